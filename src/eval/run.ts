/**
 * Runs many questions through the agent with C workers, each owning one executor (one Pyodide worker),
 * and hands every finished record to the caller as soon as it exists (so an interrupted run keeps its
 * work). A failed, throwing or cancelled question stops the run and is not recorded, so a resume
 * retries it.
 */
import type { Executor } from "../ports/executor.ts";
import type { BenchmarkExample } from "./benchmark.ts";
import type { RunRecord } from "./record.ts";

export interface RunQuestionsOptions {
  examples: readonly BenchmarkExample[];
  concurrency: number;
  createExecutor: () => Promise<Executor>;
  runOne: (example: BenchmarkExample, executor: Executor, signal: AbortSignal) => Promise<RunRecord>;
  onRecord: (record: RunRecord) => Promise<void> | void;
  signal?: AbortSignal;
}

export interface RunQuestionsResult {
  done: number;
  /** Set when the run stopped early: the question and why. */
  stopped?: { id: string; reason: string };
}

export async function runQuestions(options: RunQuestionsOptions): Promise<RunQuestionsResult> {
  // Nothing to do (e.g. a finished run resumed): no executor is started.
  if (options.examples.length === 0) return { done: 0 };
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  let next = 0;
  let done = 0;
  let stopped: RunQuestionsResult["stopped"];
  const workers = Math.max(1, Math.min(options.concurrency, options.examples.length));
  const executors: Executor[] = [];

  const work = async (executor: Executor) => {
    while (!stop.signal.aborted && next < options.examples.length) {
      const example = options.examples[next++]!;
      let record: RunRecord;
      try {
        record = await options.runOne(example, executor, stop.signal);
      } catch (error) {
        const reason = stop.signal.aborted
          ? "cancelled"
          : error instanceof Error
            ? error.message
            : String(error);
        stopped ??= { id: example.id, reason };
        stop.abort();
        return;
      }
      const status = record.trajectory.status;
      if (status === "failed" || status === "aborted") {
        stopped ??= {
          id: example.id,
          reason: status === "aborted" ? "cancelled" : (record.trajectory.error ?? "failed"),
        };
        stop.abort();
        return;
      }
      await options.onRecord(record);
      done++;
    }
  };

  try {
    for (let i = 0; i < workers; i++) executors.push(await options.createExecutor());
    await Promise.all(executors.map(work));
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await Promise.all(executors.map((e) => e.dispose()));
  }
  if (!stopped && options.signal?.aborted && next < options.examples.length) {
    stopped = { id: options.examples[next]?.id ?? "", reason: "cancelled" };
  }
  return stopped ? { done, stopped } : { done };
}
