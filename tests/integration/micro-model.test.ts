/**
 * The micro-student (models/micro/), a REAL trained model, run by the real CLI with llama.cpp in
 * process: no server, no replay, no network. It was distilled here from a programmatic teacher on
 * arithmetic questions (models/micro/README.md), so these tests check what it answers.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTrajectory } from "../../src/agent/trajectory.ts";
import { arithmeticQuestions } from "../../src/distill/arithmetic.ts";
import { ROOT, runCli } from "../support/cli.ts";

const MODEL = join(ROOT, "models", "micro", "micro-arith.gguf");
const PACK = join(ROOT, "models", "micro", "pack.yaml");
/** One thread: the test machine's cores are shared, and llama.cpp's spinning threads hate that. */
// 2048: with --n, the engine's sequences share one context window (see models/micro/README.md).
const local = ["--model-file", MODEL, "--prompt-pack", PACK, "--threads", "1", "--context-size", "2048"];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocket-agent-micro-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the micro-student GGUF", () => {
  it('answers "What is 17*23+1?" with 392 by computing it in Python', async () => {
    const result = await runCli(["ask", "What is 17*23+1?", ...local, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const trajectory = parseTrajectory(result.stdout);
    expect(trajectory.engine).toMatchObject({ kind: "llamacpp", isReplay: false });
    expect(trajectory.status).toBe("answered");
    expect(trajectory.steps).toHaveLength(1);
    // The teacher's layout: the expression right-aligned after `result =` (src/distill/arithmetic.ts).
    expect(trajectory.steps[0]!.code).toBe(`result = ${" ".repeat(10)}17*23+1\nfinal_answer(result)`);
    expect(JSON.parse(result.stdout).answer).toBe(392);
  });

  it("with SAG at temperature 0.4 (n = 3), votes and still answers 392", async () => {
    const args = ["ask", "What is 17*23+1?", ...local, "--n", "3", "--seed", "7", "--json"];
    const result = await runCli(args);
    expect(result.code, result.stderr).toBe(0);
    const step = parseTrajectory(result.stdout).steps[0]!;
    expect(step.vote?.requested).toBe(3);
    expect(step.vote?.generated).toBe(3);
    expect(JSON.parse(result.stdout).answer).toBe(392);
  });

  it("SAG at temperature 0 gives n identical candidates on every question (no corrupted candidate)", async () => {
    // Side-by-side decoding in node-llama-cpp 3.21.1 used to corrupt a token or two in 25-35% of such
    // questions; the model is certain of every token, so greedy candidates must be equal.
    const benchmark = join(dir, "arithmetic_greedy.json");
    await writeFile(
      benchmark,
      JSON.stringify({
        metadata: { dataset_info: { name: "arith" } },
        examples: arithmeticQuestions(15, 77),
      }),
    );
    const out = join(dir, "greedy");
    const result = await runCli([
      "eval",
      "--benchmark",
      benchmark,
      "--task",
      "math",
      "--out",
      out,
      ...local,
      "--n",
      "5",
      "--temperature",
      "0",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const records = (await readFile(join(out, "trajectories.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(15);
    const differing = records.filter((r) =>
      r.trajectory.steps.some(
        (s: { candidates?: { completion: string }[] }) =>
          new Set((s.candidates ?? []).map((c) => c.completion)).size > 1,
      ),
    );
    expect(differing.map((r) => r.id)).toEqual([]);
  });

  it("eval --model micro scores it on fresh questions of the family (a seed the training set did not use)", async () => {
    const benchmark = join(dir, "arithmetic_fresh.json");
    const examples = arithmeticQuestions(10, 2024);
    await writeFile(benchmark, JSON.stringify({ metadata: { dataset_info: { name: "arith" } }, examples }));
    const out = join(dir, "eval");
    // By catalog id: the bundled file, its own pack and context size, no other option.
    const args = [
      "eval",
      "--benchmark",
      benchmark,
      "--task",
      "math",
      "--out",
      out,
      "--model",
      "micro",
      "--threads",
      "1",
    ];
    const result = await runCli(args);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.model).toBe("micro");
    expect(report.questions).toBe(10);
    expect(report.accuracy).toBeGreaterThanOrEqual(0.9);
  });
});
