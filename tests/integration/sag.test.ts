/**
 * Self-consistent action generation against real Pyodide: candidates run in isolation, failures drop
 * out, the largest group wins, the winner's namespace is committed without running it again.
 * Completions are written by hand in a student's format and played back; no model produced them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActionStrategy } from "../../src/agent/loop.ts";
import { runAgent } from "../../src/agent/loop.ts";
import { type SagOptions, sagStrategy } from "../../src/agent/sag.ts";
import { createNodeExecutor, type Executor } from "../../src/exec/index.ts";
import { ReplayEngine } from "../../src/llm/replay/replay-engine.ts";
import { runCli } from "../support/cli.ts";
import { startTestServer } from "../support/openai-test-server.ts";

let executor: Executor;
beforeAll(async () => {
  executor = await createNodeExecutor({});
});
afterAll(async () => {
  await executor?.dispose();
});

const step = (thought: string, code: string) => `Thought: ${thought}\nCode:\n\`\`\`py\n${code}\n\`\`\``;

/** SAG with a different number of candidates per step (n of step k = perStep[k - 1], then 1). */
const sagPerStep = (perStep: number[], options: SagOptions = {}): ActionStrategy => {
  const strategy = sagStrategy(options);
  return (ctx) => strategy({ ...ctx, sampling: { ...ctx.sampling, n: perStep[ctx.step - 1] ?? 1 } });
};

describe("SAG voting with isolated candidates", () => {
  it("keeps the majority, drops failures, and hides the losers' variables", async () => {
    const engine = new ReplayEngine([
      // step 1: two candidates print 42, one prints 41, one does not parse, one imports what it must not
      step("Add.", "x = 40 + 2\nprint(x)"),
      step("Guess.", "y = 41\nprint(y)"),
      "Thought: I will compute it. The result is 42.",
      step("Multiply.", "z = 6 * 7\nprint(z)"),
      step("Shell.", "import os\nprint(os.getcwd())"),
      // step 2: every candidate reaches for a loser's variable -> all fail -> first sample's error is fed back
      step("Use y.", "print(y + 1)"),
      step("Use z.", "print(z + 1)"),
      step("Use y again.", "print(y)"),
      step("Use z again.", "print(z * 2)"),
      step("Use y twice.", "print(y + y)"),
      // step 3: the committed namespace has x; final answers vote by their answer
      step("Answer.", "final_answer(x)"),
      step("Answer.", "final_answer(43)"),
      step("Answer.", "final_answer(x)"),
      step("Answer.", "print(x)"),
      step("Answer.", "final_answer(42)"),
    ]);
    const trajectory = await runAgent("What is 6 times 7?", { engine, executor, sampling: { n: 5 } });
    expect(engine.requests.map((r) => [r.n, r.temperature, r.topP])).toEqual([
      [5, 0.4, 0.8],
      [5, 0.4, 0.8],
      [5, 0.4, 0.8],
    ]);

    const [first, second, third] = trajectory.steps;
    expect(first!.vote).toMatchObject({
      groups: [
        { key: "42\n", members: [0, 3] },
        { key: "41\n", members: [1] },
      ],
      winner: 0,
      reason: "majority",
      generated: 5,
      executed: 4,
      executionsSaved: 0,
    });
    expect(first!.candidates!.map((c) => c.group ?? null)).toEqual([0, 1, null, 0, null]);
    expect(first!.candidates![2]!.parseError).toBeDefined();
    expect(first!.candidates![4]!.execution!.error!.message).toMatch(/Import of os is not allowed/);
    expect(first!.code).toBe("x = 40 + 2\nprint(x)");

    expect(second!.vote).toMatchObject({ reason: "all-failed", winner: 0 });
    expect(second!.observation).toContain("NameError: name 'y' is not defined");
    expect(second!.candidates!.map((c) => c.execution?.error?.type)).toEqual(Array(5).fill("NameError"));

    expect(third!.vote!.groups.map((g) => [g.key, g.members])).toEqual([
      ["final_answer(42)", [0, 2, 4]],
      ["final_answer(43)", [1]],
      ["42\n", [3]],
    ]);
    expect(trajectory).toMatchObject({ status: "answered", answer: 42 });
  });

  it("commits the winner's side effects exactly once", async () => {
    const engine = new ReplayEngine([
      step("Init.", "log = []\nprint(len(log))"),
      step("Append.", "log.append('a')\nprint(log)"),
      step("Append.", "log.append('b')\nprint(log)"),
      step("Append.", "log.append('a')\nprint(log)"),
      step("Check.", "final_answer(log)"),
    ]);
    // One candidate for the first and last step, three for the middle one.
    const trajectory = await runAgent("q", {
      engine,
      executor,
      sampling: { n: 3 },
      strategy: sagPerStep([1, 3]),
    });
    expect(trajectory.steps[1]!.vote).toMatchObject({
      winner: 0,
      groups: [
        { key: "['a']\n", members: [0, 2] },
        { key: "['b']\n", members: [1] },
      ],
    });
    expect(trajectory.answer).toEqual(["a"]);
  });

  it("runs identical code once and, adaptively, stops generating once the vote is decided", async () => {
    const same = step("Compute.", "print(sum(range(10)))");
    // Only what an adaptive run asks for: four identical candidates decide a vote of eight.
    const engine = new ReplayEngine([same, same, same, same, step("Done.", "final_answer(45)")]);
    const trajectory = await runAgent("q", {
      engine,
      executor,
      sampling: { n: 8 },
      strategy: sagPerStep([8], { adaptive: true }),
    });
    const vote = trajectory.steps[0]!.vote!;
    expect(vote).toMatchObject({
      adaptive: true,
      requested: 8,
      generated: 4,
      generationsSaved: 4,
      executed: 1,
      executionsSaved: 3,
    });
    expect(trajectory.steps[0]!.candidates!.map((c) => c.reused ?? false)).toEqual([false, true, true, true]);
    expect(engine.requests.slice(0, 4).map((r) => r.n)).toEqual([1, 1, 1, 1]);
    expect(trajectory.error).toBeUndefined();
    expect(trajectory.answer).toBe(45);
  });

  it("ties go to the group that appeared first; normalised mode merges formatting", async () => {
    const engine = new ReplayEngine([
      step("a", "print(2.0)"),
      step("b", "print(3)"),
      step("c", "print(3)"),
      step("d", "print(2)"),
      step("e", "final_answer('ok')"),
    ]);
    const trajectory = await runAgent("q", {
      engine,
      executor,
      sampling: { n: 4 },
      strategy: sagPerStep([4], { mode: "normalized" }),
    });
    // exact keys would be "2.0\n", "3\n", "3\n", "2\n" -> "3" wins; normalised, 2.0 == 2 and ties go to the earlier group
    expect(trajectory.steps[0]!.vote).toMatchObject({
      mode: "normalized",
      winner: 0,
      reason: "tie-earliest",
    });
  });
});

describe("pocket-agent ask --n", () => {
  it("votes per step and shows the vote in the trace", async () => {
    const server = await startTestServer({
      completions: [
        step("Compute with a loop.", "f = 1\nfor k in range(2, 6):\n    f *= k\nprint(f)"),
        step("Compute.", "import math\nprint(math.factorial(5))"),
        step("Compute.", "print(5 * 4 * 3 * 2)"),
        step("Wrong.", "print(5 * 4 * 3)"),
        "Thought: the answer is 120",
        step("Answer.", "final_answer(120)"),
        step("Answer.", "final_answer(120)"),
        step("Answer.", "final_answer(60)"),
        step("Answer.", "final_answer(120)"),
        step("Answer.", "final_answer(120)"),
      ],
    });
    try {
      const result = await runCli([
        "ask",
        "What is 5 factorial?",
        "--base-url",
        server.url,
        "--model",
        "test-student",
        "--n",
        "5",
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(server.requests.map((r) => r.body.n)).toEqual([5, 5]);
      expect(result.stdout).toMatch(
        /Vote \(exact\): 5\/5 candidates generated, \d executed, winner #\d \(majority\)/,
      );
      expect(result.stdout).toContain('*3 vote(s) for "120\\n"');
      expect(result.stdout).toMatch(/Answer: 120\n$/);
    } finally {
      await server.close();
    }
  });
});

describe("SAG when every candidate fails", () => {
  it("commits the first sample even when it was refused before running (a package not available offline)", async () => {
    const engine = new ReplayEngine([
      step("Use numpy.", "import numpy as np\nprint(np.mean([1, 2, 3]))"),
      step("Typo.", "print(undefined_name)"),
      step("Plain Python.", "final_answer(sum([1, 2, 3]) / 3)"),
    ]);
    const trajectory = await runAgent("Mean of 1, 2, 3?", {
      engine,
      executor,
      strategy: sagPerStep([2]),
    });
    expect(trajectory.error).toBeUndefined();
    expect(trajectory.steps[0]!.vote).toMatchObject({ reason: "all-failed", winner: 0 });
    expect(trajectory.steps[0]!.observation).toMatch(/ModuleNotFoundError: No module named 'numpy'/);
    expect(trajectory.answer).toBe(2);
  });
});
