/** createSympyChecker's use of its runner, with a fake runner standing for Pyodide. */
import { describe, expect, it } from "vitest";
import {
  createSympyChecker,
  type PythonRunner,
  SYMBOLIC_TIMEOUT_MS,
  SYMPY_IMPORT_TIMEOUT_MS,
} from "../../src/eval/symbolic.ts";

function recordingRunner(calls: { code: string; timeoutMs?: number }[]): PythonRunner {
  return {
    run: async (code, options) => {
      calls.push({ code, timeoutMs: options?.timeoutMs });
      return { logs: code.includes("_pa_side") ? "PA_SYMBOLIC=True\n" : "", output: "None" };
    },
  };
}

describe("createSympyChecker", () => {
  it("imports sympy once, under its own long time limit, before the first timed comparison", async () => {
    const calls: { code: string; timeoutMs?: number }[] = [];
    const symbolic = createSympyChecker(recordingRunner(calls));
    expect(await symbolic("(x+1)^2", "x^2+2x+1")).toBe(true);
    expect(await symbolic("2x", "x+x")).toBe(true);
    expect(calls.map((c) => c.timeoutMs)).toEqual([
      SYMPY_IMPORT_TIMEOUT_MS,
      SYMBOLIC_TIMEOUT_MS,
      SYMBOLIC_TIMEOUT_MS,
    ]);
    expect(calls[0]!.code).toMatch(/^import sympy/);
    expect(calls.filter((c) => c.code.startsWith("import sympy"))).toHaveLength(1);
  });
});
