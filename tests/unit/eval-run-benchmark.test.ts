/**
 * runBenchmark (src/eval/run-benchmark.ts) with fakes for everything it is given: an in-memory output,
 * a per-question run that answers from a table, executors that count themselves.
 */
import { describe, expect, it } from "vitest";
import type { Benchmark, BenchmarkExample } from "../../src/eval/benchmark.ts";
import { questionRecord, type RunRecord } from "../../src/eval/record.ts";
import { type BenchmarkRun, type RunOutput, runBenchmark } from "../../src/eval/run-benchmark.ts";
import type { Executor } from "../../src/ports/executor.ts";
import { fakeTrajectory } from "../support/trajectory.ts";

const examples: BenchmarkExample[] = [1, 2, 3, 4].map((i) => ({
  id: `q${i}`,
  question: `What is ${i}+${i}?`,
  answer: 2 * i,
  extra: {},
}));
const benchmark: Benchmark = {
  name: "arith",
  kind: "math",
  source: "arith.json",
  metadata: {},
  examples,
  withoutAnswer: [],
};

/** What the fake records are made with, and so what a resumed run must match. */
const SETTINGS = { role: "student", promptPack: "p", maxSteps: 5, n: 1 } as const;

function memoryOutput(initial: RunRecord[] = []): RunOutput & { records: RunRecord[]; report?: unknown } {
  const out = {
    records: [...initial],
    report: undefined as unknown,
    recordsPath: "mem/records.jsonl",
    reportPath: "mem/report.json",
    finished: new Set(initial.map((r) => r.id)),
    append: async (record: RunRecord) => {
      out.records.push(record);
    },
    readAll: async () => [...out.records],
    writeReport: async (report: unknown) => {
      out.report = report;
    },
  };
  return out;
}

function fakeExecutor(log: string[]): Executor {
  const nope = async () => {
    throw new Error("not used");
  };
  return {
    reset: async () => {},
    run: nope,
    runCandidate: nope,
    commitCandidate: async () => {},
    discardCandidates: async () => {},
    dispose: async () => {
      log.push("executor disposed");
    },
  };
}

/** Answers 2*i, except the ids in `wrong` (answer 0) and `failing` (the run throws). */
function run(overrides: Partial<BenchmarkRun> & { wrong?: string[]; failing?: string[] } = {}) {
  const log: string[] = [];
  const output = (overrides.output as ReturnType<typeof memoryOutput>) ?? memoryOutput();
  const request: BenchmarkRun = {
    benchmark,
    offset: 0,
    concurrency: 1,
    output,
    compared: SETTINGS,
    settings: { mode: "agent" },
    model: "fake",
    prepare: async () => {
      log.push("prepared");
      return {
        runOne: async (example) => {
          if (overrides.failing?.includes(example.id)) throw new Error(`boom on ${example.id}`);
          const answer = overrides.wrong?.includes(example.id) ? 0 : example.answer;
          const trajectory = fakeTrajectory({
            question: example.question,
            answer,
            settings: SETTINGS,
          });
          const correct = answer === example.answer;
          return questionRecord("math", example, trajectory, { correct, extracted: String(answer) });
        },
        dispose: async () => {
          log.push("disposed");
        },
      };
    },
    createExecutor: async () => fakeExecutor(log),
    label: "eval arith",
    startProgress: (label, total) => ({
      update: (done, detail) => log.push(`${label} ${done}/${total} ${detail ?? ""}`.trim()),
      done: (summary) => log.push(`${label} done: ${summary}`),
    }),
    log: (line) => log.push(line),
    ...overrides,
  };
  return { request, output, log };
}

describe("runBenchmark", () => {
  it("answers the selection, stores every record, reports over them and frees the engine side", async () => {
    const { request, output, log } = run({ offset: 1, limit: 2, wrong: ["q3"] });
    const report = await runBenchmark(request);
    expect(output.records.map((r) => r.id)).toEqual(["q2", "q3"]);
    expect(report).toMatchObject({
      benchmark: "arith",
      questions: 2,
      correct: 1,
      accuracy: 0.5,
      model: "fake",
    });
    expect(report.lastRun.questions).toBe(2);
    expect(output.report).toEqual(report);
    expect(log).toContain("eval arith 2/2 correct 1/2");
    expect(log).toContain("disposed");
    expect(log).toContain("executor disposed");
  });

  it("resumes: recorded questions are skipped, and the report covers old and new records", async () => {
    const first = run({ limit: 2 });
    await runBenchmark(first.request);
    // A new invocation opens the output again and finds what the first one stored.
    const again = run({ output: memoryOutput(first.output.records) });
    const report = await runBenchmark(again.request);
    expect(again.log).toContain("eval arith: resuming, 2 question(s) already in mem/records.jsonl");
    expect((again.output as ReturnType<typeof memoryOutput>).records.map((r) => r.id)).toEqual([
      "q1",
      "q2",
      "q3",
      "q4",
    ]);
    expect(report.questions).toBe(4);
    expect(report.lastRun.questions).toBe(2);
  });

  it("refuses to resume records made with other settings before loading anything, unless forced", async () => {
    const first = run({ limit: 1 });
    await runBenchmark(first.request);
    const other = run({ output: memoryOutput(first.output.records), compared: { ...SETTINGS, n: 8 } });
    await expect(runBenchmark(other.request)).rejects.toThrow(/other settings \(n: 1 in the folder, 8 now\)/);
    expect(other.log).not.toContain("prepared");
    const forced = run({
      output: memoryOutput(first.output.records),
      compared: { ...SETTINGS, n: 8 },
      force: true,
    });
    await expect(runBenchmark(forced.request)).resolves.toMatchObject({ questions: 4 });
  });

  it("stops at a failing question, keeps what was recorded, and says how to resume", async () => {
    const { request, output, log } = run({ failing: ["q3"] });
    await expect(runBenchmark(request)).rejects.toThrow(
      /stopped at question q3: boom on q3 \(2 of 4 recorded in mem\/records\.jsonl; run the same command again to resume\)/,
    );
    expect(output.records.map((r) => r.id)).toEqual(["q1", "q2"]);
    expect(output.report).toMatchObject({ questions: 2 });
    expect(log).toContain("disposed");
  });

  it("adds what `finish` returns to the report", async () => {
    const { request } = run({ finish: async (records) => ({ filter: { kept: records.length } }) });
    await expect(runBenchmark(request)).resolves.toMatchObject({ filter: { kept: 4 } });
  });
});
