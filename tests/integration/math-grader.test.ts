/**
 * Every pair of the math grader table (tests/unit/math-grader-table.ts) through the full grader: the
 * TypeScript rules with the symbolic rule answered by sympy in a real Pyodide executor.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mathEqualAsync, type SymbolicEqual } from "../../src/eval/math.ts";
import { createScorer } from "../../src/eval/score.ts";
import { createSympyChecker } from "../../src/eval/symbolic.ts";
import { createNodeExecutor, type Executor } from "../../src/exec/index.ts";
import { DEFAULT_PACKAGES_DIR } from "../../src/exec/node/node-executor.ts";
import { MATH_GRADER_TABLE } from "../unit/math-grader-table.ts";

const built = existsSync(join(DEFAULT_PACKAGES_DIR, "manifest.json"));
if (!built) console.warn("math-grader: public/py-packages is missing; run npm run py-packages");

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

describe.skipIf(!built)("math grader with sympy (Pyodide)", () => {
  let executor: Executor;
  let symbolic: SymbolicEqual;
  beforeAll(async () => {
    executor = await createNodeExecutor({ timeoutMs: 10_000 });
    await executor.run("import sympy");
    symbolic = createSympyChecker(executor);
  });
  afterAll(async () => {
    await executor?.dispose();
  });

  it.each(MATH_GRADER_TABLE.map((c) => [show(c.pred), show(c.gold), c.verdict, c] as const))(
    "%s vs %s -> %s",
    async (_p, _g, verdict, c) => {
      expect(await mathEqualAsync(c.pred, c.gold, symbolic)).toBe(verdict);
    },
  );

  it("wires the checker through the scorer", async () => {
    const score = createScorer(undefined, { symbolic });
    const example = { question: "", answer: "x^2+2x+1" };
    expect(await score("math", "The answer is \\boxed{(x+1)^2}.", example)).toEqual({
      correct: true,
      extracted: "(x+1)^2",
    });
    expect((await score("math", "(x+1)^3", example)).correct).toBe(false);
  });

  it("counts a comparison that runs out of time as not equal", async () => {
    const slow = createSympyChecker(
      {
        run: async () => ({
          logs: "",
          output: "None",
          error: { type: "TimeoutError", message: "timed out" },
        }),
      },
      { timeoutMs: 10 },
    );
    expect(await mathEqualAsync("p - q", "-q + p", slow)).toBe(false);
    // A real time limit on a real executor: a comparison sympy cannot finish in 1 ms.
    const hurried = createSympyChecker(executor, { timeoutMs: 1 });
    expect(await hurried("\\sec^2(y)", "\\tan^2(y)+1")).toBe(false);
  });
});
