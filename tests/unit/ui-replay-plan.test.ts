/**
 * A replay answers only the question it recorded, with the recorded n and step budget
 * (src/ui/replay-plan.ts), enforced where the page runs a question (AgentSession.run).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_PACK } from "../../src/agent/packs/default-pack.ts";
import {
  recordedCompletions,
  TRAJECTORY_SCHEMA,
  TRAJECTORY_VERSION,
  type Trajectory,
} from "../../src/agent/trajectory.ts";
import { ReplayEngine } from "../../src/llm/replay/replay-engine.ts";
import type { Executor } from "../../src/ports/executor.ts";
import { AgentSession } from "../../src/ui/agent-session.ts";
import type { ReplaySource } from "../../src/ui/engines.ts";
import { describeReplay, ReplayMismatchError, replaySettings } from "../../src/ui/replay-plan.ts";
import type { RunSettings } from "../../src/ui/settings.ts";

const ANSWER = 'Thought: done.\nCode:\n```py\nfinal_answer("42")\n```';

function recorded(question: string, n: number, maxSteps: number): ReplaySource {
  const trajectory: Trajectory = {
    schema: TRAJECTORY_SCHEMA,
    version: TRAJECTORY_VERSION,
    createdAt: new Date(0).toISOString(),
    question,
    task: question,
    engine: { kind: "recorded", label: "hand-written completions", isReplay: true },
    settings: { role: "student", promptPack: "default", maxSteps, n },
    messages: [],
    steps: [
      {
        step: 1,
        completion: ANSWER,
        assistant: ANSWER,
        thought: "",
        code: null,
        repairs: [],
        observation: "",
        timings: { generationMs: 0, executionMs: 0 },
      },
    ],
    status: "answered",
    answer: "42",
    usage: { promptTokens: 0, completionTokens: 0 },
    durationMs: 0,
  };
  return { trajectory, name: "run.json" };
}

const form: RunSettings = {
  engine: { kind: "replay" },
  shard: { kind: "none" },
  n: 8,
  maxSteps: 10,
  actionTimeoutMs: 5000,
};

describe("replaySettings", () => {
  it("takes n and the step budget from the recording, not from the form", () => {
    const plan = replaySettings("6*7?", form, recorded("6*7?", 3, 2));
    expect([plan.n, plan.maxSteps]).toEqual([3, 2]);
  });

  it("refuses another question, naming the one the replay can answer", () => {
    expect(() => replaySettings("Who wrote Hamlet?", form, recorded("6*7?", 1, 1))).toThrow(
      new ReplayMismatchError(
        "run.json replays the recorded completions for “6*7?”, so it cannot answer “Who wrote Hamlet?”. Ask the recorded question, or pick another engine.",
      ),
    );
    // Not even a question that differs in spacing: the recorded run was asked exactly that text.
    expect(() => replaySettings("6*7? ", form, recorded("6*7?", 1, 1))).toThrow(ReplayMismatchError);
  });

  it("describes a picked replay with what it will play back", () => {
    expect(describeReplay(recorded("6*7?", 3, 2))).toBe(
      "run.json: 1 recorded step(s) for “6*7?”; it replays with n = 3 and at most 2 step(s), as recorded.",
    );
  });
});

describe("AgentSession with a replay", () => {
  function session(executors: string[]) {
    return new AgentSession({
      engines: {
        get: async (_choice, request) => new ReplayEngine(recordedCompletions(request.replay!.trajectory)),
      },
      createExecutor: async () => {
        executors.push("started");
        return {
          reset: async () => {},
          run: async () => ({
            output: "42",
            logs: "",
            isFinalAnswer: true,
            finalAnswer: "42",
            durationMs: 1,
          }),
        } as unknown as Executor;
      },
      fetchShard: async () => new Uint8Array(),
      checkShard: async () => ({ passages: 0 }),
      packFor: () => DEFAULT_PACK,
      progress: {
        model: { update() {}, done() {}, fail() {} },
        shard: { update() {}, done() {}, fail() {} },
        python: { update() {}, done() {}, fail() {} },
      },
    });
  }

  it("runs the recorded question with the recorded budget, so the saved trajectory says what was replayed", async () => {
    const executors: string[] = [];
    const trajectory = await session(executors).run("6*7?", form, {
      replay: recorded("6*7?", 1, 2),
      signal: new AbortController().signal,
    });
    expect([trajectory.question, trajectory.settings.n, trajectory.settings.maxSteps]).toEqual([
      "6*7?",
      1,
      2,
    ]);
    expect(trajectory.engine.isReplay).toBe(true);
  });

  it("refuses another question before anything starts", async () => {
    const executors: string[] = [];
    await expect(
      session(executors).run("Who wrote Hamlet?", form, {
        replay: recorded("6*7?", 1, 1),
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow(ReplayMismatchError);
    expect(executors).toEqual([]);
  });
});
