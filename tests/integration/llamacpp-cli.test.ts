/**
 * `ask` and `eval` with `--model-file`: the real CLI runs a real GGUF (the tiny random qwen2 model) in
 * process with llama.cpp, no server and no replay. The model writes gibberish, so the tests check that
 * the model ran (engine label, token counts, exit code), not what it answered.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTrajectory } from "../../src/agent/trajectory.ts";
import { runCli } from "../support/cli.ts";
import { writeTinyGguf } from "../support/tiny-gguf.ts";

let dir: string;
let modelFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocket-agent-llamacpp-cli-"));
  modelFile = await writeTinyGguf(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The local model, one step, short completions; one thread because the test machine's cores are shared. */
const localModel = () => [
  "--model-file",
  modelFile,
  "--context-size",
  "4096",
  "--threads",
  "1",
  "--max-steps",
  "1",
  "--max-tokens",
  "16",
  "--temperature",
  "1",
  "--seed",
  "3",
];

describe("pocket-agent with --model-file", () => {
  it("ask runs the GGUF with llama.cpp and says so in the trace", async () => {
    const saved = join(dir, "ask.json");
    const result = await runCli(["ask", "What is 2+2?", ...localModel(), "--save", saved]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("pocket-agent: llama.cpp: tiny-qwen2.gguf, at most 1 steps\n");
    expect(result.stdout).not.toContain("REPLAY");
    expect(result.stdout).toContain("━━ Step 1 ━━");

    const trajectory = parseTrajectory(await readFile(saved, "utf8"));
    expect(trajectory.engine).toMatchObject({
      kind: "llamacpp",
      label: "llama.cpp: tiny-qwen2.gguf",
      isReplay: false,
    });
    // The step and the final-answer call each generated up to --max-tokens tokens from a real prompt.
    const usage = trajectory.steps[0]!.usage;
    expect(usage?.promptTokens).toBeGreaterThan(100);
    expect(usage?.completionTokens).toBeGreaterThan(0);
    expect(usage?.completionTokens).toBeLessThanOrEqual(16);
  });

  it("ask --n 3 samples distinct candidates from the GGUF and votes (SAG)", async () => {
    const result = await runCli(["ask", "What is 2+2?", ...localModel(), "--n", "3", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const step = parseTrajectory(result.stdout).steps[0]!;
    expect(step.vote?.requested).toBe(3);
    const candidates = step.candidates ?? [];
    expect(candidates.length).toBe(step.vote?.generated);
    expect(candidates.length).toBeGreaterThanOrEqual(2);
    expect(new Set(candidates.map((c) => c.completion)).size).toBeGreaterThanOrEqual(2);
  });

  it("eval runs a benchmark question on the GGUF", async () => {
    const benchmark = join(dir, "bench.json");
    await writeFile(
      benchmark,
      JSON.stringify({
        metadata: { dataset: "test" },
        examples: [{ id: "1", question: "What is 3*4?", answer: "12" }],
      }),
    );
    const out = join(dir, "eval");
    const result = await runCli(["eval", "--benchmark", benchmark, ...localModel(), "--out", out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/1 question\(s\) run/);
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8")) as {
      model: string;
      questions: number;
      tokens: { prompt: number; completion: number };
    };
    expect(report.model).toBe(modelFile);
    expect(report.questions).toBe(1);
    expect(report.tokens.completion).toBeGreaterThan(0);
  });

  it("refuses --model-file with --base-url, names a missing file, and runs the micro-student by default", async () => {
    const both = await runCli(["ask", "q", "--model-file", modelFile, "--base-url", "http://127.0.0.1:9/v1"]);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(
      /^pocket-agent: --model-file runs a local model and --base-url names a server/,
    );

    const missing = await runCli(["ask", "q", "--model-file", join(dir, "nope.gguf")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^pocket-agent: model file not found: .*nope\.gguf/);

    // No model named: the bundled micro-student runs, and says so (it only knows arithmetic).
    const none = await runCli(["ask", "What is 2+3?", "--threads", "1", "--json"]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toMatch(/^pocket-agent: no model named, so the bundled micro runs/);
    expect(JSON.parse(none.stdout).answer).toBe(5);
  });
});
