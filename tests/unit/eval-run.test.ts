/** runQuestions: workers, one executor each, records handed over as they finish, stop on failure. */
import { describe, expect, it } from "vitest";
import type { Trajectory } from "../../src/agent/trajectory.ts";
import type { BenchmarkExample } from "../../src/eval/benchmark.ts";
import type { RunRecord } from "../../src/eval/record.ts";
import { runQuestions } from "../../src/eval/run.ts";
import type { Executor } from "../../src/ports/executor.ts";

const examples: BenchmarkExample[] = Array.from({ length: 7 }, (_, i) => ({
  id: String(i),
  question: `q${i}`,
  answer: String(i),
  extra: {},
}));

function fakeExecutors() {
  const created: { disposed: boolean; busy: boolean }[] = [];
  const create = async () => {
    const state = { disposed: false, busy: false };
    created.push(state);
    const dispose = async () => {
      state.disposed = true;
    };
    return { state, dispose } as unknown as Executor;
  };
  return { created, create };
}

const record = (
  e: BenchmarkExample,
  status: Trajectory["status"] = "answered",
  error?: string,
): RunRecord => ({
  id: e.id,
  question: e.question,
  gold: e.answer,
  kind: "fact",
  score: { correct: true, extracted: "" },
  trajectory: { status, error } as Trajectory,
});

describe("runQuestions", () => {
  it("runs every question once with C workers, never two questions on one executor at a time", async () => {
    const { created, create } = fakeExecutors();
    const seen: string[] = [];
    let concurrent = 0;
    let peak = 0;
    const result = await runQuestions({
      examples,
      concurrency: 3,
      createExecutor: create,
      runOne: async (e, executor) => {
        const state = (executor as unknown as { state: { busy: boolean } }).state;
        expect(state.busy).toBe(false);
        state.busy = true;
        peak = Math.max(peak, ++concurrent);
        await new Promise((r) => setTimeout(r, 5 + (Number(e.id) % 3) * 3));
        concurrent--;
        state.busy = false;
        return record(e);
      },
      onRecord: (r) => void seen.push(r.id),
    });
    expect(result).toEqual({ done: 7 });
    expect([...seen].sort()).toEqual(examples.map((e) => e.id));
    expect(created).toHaveLength(3);
    expect(peak).toBe(3);
    expect(created.every((c) => c.disposed)).toBe(true);
  });

  it("stops at a failed question without recording it, keeping what finished", async () => {
    const { created, create } = fakeExecutors();
    const seen: string[] = [];
    const result = await runQuestions({
      examples,
      concurrency: 1,
      createExecutor: create,
      runOne: async (e) => (e.id === "2" ? record(e, "failed", "server unreachable") : record(e)),
      onRecord: (r) => void seen.push(r.id),
    });
    expect(result).toEqual({ done: 2, stopped: { id: "2", reason: "server unreachable" } });
    expect(seen).toEqual(["0", "1"]);
    expect(created[0]!.disposed).toBe(true);
  });

  it("treats a question that throws like a failed one", async () => {
    const { create } = fakeExecutors();
    const seen: string[] = [];
    const result = await runQuestions({
      examples,
      concurrency: 2,
      createExecutor: create,
      runOne: async (e) => {
        if (e.id === "0") throw new Error("teacher CoT call failed");
        await new Promise((r) => setTimeout(r, 20));
        return record(e);
      },
      onRecord: (r) => void seen.push(r.id),
    });
    expect(result.stopped).toEqual({ id: "0", reason: "teacher CoT call failed" });
    // The question already running on the other worker finishes and is kept; nothing new starts.
    expect(seen).toEqual(["1"]);
  });

  it("starts no executor when there is nothing to run", async () => {
    const { created, create } = fakeExecutors();
    const result = await runQuestions({
      examples: [],
      concurrency: 4,
      createExecutor: create,
      runOne: async (e) => record(e),
      onRecord: () => {},
    });
    expect(result).toEqual({ done: 0 });
    expect(created).toHaveLength(0);
  });

  it("stops when cancelled", async () => {
    const { create } = fakeExecutors();
    const controller = new AbortController();
    const seen: string[] = [];
    const result = await runQuestions({
      examples,
      concurrency: 1,
      signal: controller.signal,
      createExecutor: create,
      runOne: async (e, _executor, signal) => {
        if (e.id === "1") controller.abort();
        return record(e, signal.aborted ? "aborted" : "answered");
      },
      onRecord: (r) => void seen.push(r.id),
    });
    expect(seen).toEqual(["0"]);
    expect(result.stopped).toEqual({ id: "1", reason: "cancelled" });
  });
});
