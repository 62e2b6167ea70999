/**
 * One benchmark run, whoever starts it (`eval`, `teach`, a page): the selected questions not yet in the
 * output are answered with C executors, each record is stored as soon as it exists (an interrupted run
 * keeps its work and resumes), and the report is written over every record of the selection.
 *
 * Everything with a side effect is injected: where records go, the engine side of a question, the
 * executors, progress and notices. DOM- and Node-free.
 */
import type { Executor } from "../ports/executor.ts";
import { type Benchmark, type BenchmarkExample, selectExamples } from "./benchmark.ts";
import type { RunRecord } from "./record.ts";
import { buildReport, type RunReport } from "./report.ts";
import { type ComparedSettings, settingsMismatch } from "./resume.ts";
import { runQuestions } from "./run.ts";

/** Where a run's records and report live (a folder in Node: src/eval/node/output.ts). */
export interface RunOutput {
  recordsPath: string;
  reportPath: string;
  /** Ids already recorded by an earlier run (resume skips them). */
  finished: Set<string>;
  append(record: RunRecord): Promise<void>;
  readAll(): Promise<RunRecord[]>;
  writeReport(report: unknown): Promise<void>;
}

/** Answers one question with the executor it is given. */
export type RunOne = (
  example: BenchmarkExample,
  executor: Executor,
  signal: AbortSignal,
) => Promise<RunRecord>;

export interface ProgressSink {
  update(done: number, detail?: string): void;
  done(summary?: string): void;
}

export interface BenchmarkRun {
  benchmark: Benchmark;
  /** The selection: `limit` questions after the first `offset`. */
  offset: number;
  limit?: number;
  concurrency: number;
  output: RunOutput;
  /** What the folder's records must share with this run to be resumed together. */
  compared: ComparedSettings;
  /** Resume even when they differ (the report then mixes both). */
  force?: boolean;
  /** Reported as the report's `model` and `settings`. */
  model?: string;
  settings: Record<string, unknown>;
  /**
   * The engine side, started only once the resume check passed (loading a model takes a while);
   * `dispose` runs when the questions are done.
   */
  prepare(): Promise<{ runOne: RunOne; dispose?(): Promise<void> }>;
  createExecutor(): Promise<Executor>;
  /** Names the run in notices and progress, e.g. "eval hotpotqa". */
  label: string;
  startProgress?(label: string, total: number): ProgressSink;
  log?(line: string): void;
  signal?: AbortSignal;
  /** After the run, with every record of the selection: extra report fields (and whatever else). */
  finish?(records: RunRecord[]): Promise<Record<string, unknown>>;
}

/** The report of a run, with what this invocation alone did (a resumed run adds to earlier records). */
export type BenchmarkRunReport = RunReport & {
  lastRun: { questions: number; wallMs: number; concurrency: number };
};

export async function runBenchmark(run: BenchmarkRun): Promise<BenchmarkRunReport> {
  const { benchmark, output, label } = run;
  if (output.finished.size > 0 && !run.force) {
    const mismatch = settingsMismatch(await output.readAll(), run.compared);
    if (mismatch) {
      throw new Error(
        `${output.recordsPath} holds records made with other settings (${mismatch}); use another --out, the same settings, or --force to mix them`,
      );
    }
  }
  const selected = selectExamples(benchmark.examples, { offset: run.offset, limit: run.limit });
  const todo = selected.filter((e) => !output.finished.has(e.id));
  const { runOne, dispose } = await run.prepare();

  if (benchmark.withoutAnswer.length) {
    const ids = benchmark.withoutAnswer;
    run.log?.(
      `${label}: ${ids.length} example(s) without a gold answer left out (id ${ids.slice(0, 10).join(", ")}${ids.length > 10 ? ", ..." : ""})`,
    );
  }
  const progress = run.startProgress?.(label, todo.length);
  if (selected.length > todo.length) {
    run.log?.(
      `${label}: resuming, ${selected.length - todo.length} question(s) already in ${output.recordsPath}`,
    );
  }
  const started = performance.now();
  let correct = 0;
  let done = 0;
  let result: Awaited<ReturnType<typeof runQuestions>>;
  try {
    result = await runQuestions({
      examples: todo,
      concurrency: run.concurrency,
      signal: run.signal,
      createExecutor: run.createExecutor,
      runOne,
      onRecord: async (record) => {
        await output.append(record);
        done++;
        if (record.score.correct) correct++;
        progress?.update(done, `correct ${correct}/${done}`);
      },
    });
  } finally {
    await dispose?.();
  }
  progress?.done(`${done} question(s) run, ${correct} correct`);

  const selectedIds = new Set(selected.map((e) => e.id));
  const records = (await output.readAll()).filter((r) => selectedIds.has(r.id));
  const report = buildReport(records, {
    benchmark: benchmark.name,
    ...(benchmark.dataset ? { dataset: benchmark.dataset } : {}),
    kind: benchmark.kind,
    model: run.model,
    settings: run.settings,
  });
  const extra = run.finish ? await run.finish(records) : {};
  const lastRun = {
    questions: done,
    wallMs: Math.round(performance.now() - started),
    concurrency: run.concurrency,
  };
  const full = { ...report, lastRun, ...extra };
  await output.writeReport(full);
  if (result.stopped) {
    throw new Error(
      `stopped at question ${result.stopped.id}: ${result.stopped.reason} (${records.length} of ${selected.length} recorded in ${output.recordsPath}; run the same command again to resume)`,
    );
  }
  return full;
}
