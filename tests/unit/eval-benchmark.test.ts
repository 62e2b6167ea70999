/** Benchmark loading (the reference JSON layout), record files and the report, on real and broken inputs. */
import { describe, expect, it } from "vitest";
import type { Trajectory } from "../../src/agent/trajectory.ts";
import { BenchmarkFormatError, inferKind, parseBenchmark, selectExamples } from "../../src/eval/benchmark.ts";
import {
  finishedIds,
  parseRecords,
  RecordFormatError,
  type RunRecord,
  recordLine,
} from "../../src/eval/record.ts";
import { buildReport } from "../../src/eval/report.ts";
import { sharedText } from "../support/shared.ts";
import { fakeTrajectory } from "../support/trajectory.ts";

const FILES: [string, number, "fact" | "math"][] = [
  ["hotpotqa_500_20250422.json", 500, "fact"],
  ["2wikimultihopqa_500_20250511.json", 500, "fact"],
  ["bamboogle_125_20250507.json", 125, "fact"],
  ["musique_500_20250504.json", 500, "fact"],
  ["math_500_20250414.json", 500, "math"],
  ["gsm_hard_500_20250507.json", 500, "math"],
  ["aime_90_20250504.json", 90, "math"],
  ["olymath_200_20250511.json", 200, "math"],
];

describe("parseBenchmark", () => {
  it.each(FILES)("loads %s (%i examples, %s)", (file, count, kind) => {
    const bench = parseBenchmark(sharedText(`data/benchmarks/${file}`), file);
    expect(bench.examples).toHaveLength(count);
    expect(bench.kind).toBe(kind);
    for (const e of bench.examples) {
      expect(typeof e.id).toBe("string");
      expect(e.question.length).toBeGreaterThan(0);
    }
  });

  it("keeps numeric ids and answers as the file has them, and the other fields", () => {
    const gsm = parseBenchmark(sharedText("data/benchmarks/gsm_hard_500_20250507.json"), "gsm.json");
    expect(gsm.examples[0]).toMatchObject({ id: "1309", answer: 13138980 });
    expect(gsm.examples[0]!.extra).toMatchObject({ dataset_name: "GSM-hard" });
    expect(gsm).toMatchObject({ name: "gsm", dataset: "MATH", kind: "math" });
    const url = parseBenchmark(
      JSON.stringify({ examples: [{ id: 1, question: "q", answer: 1 }] }),
      "https://example.org/sets/aime.json?raw=1",
    );
    expect(url).toMatchObject({ name: "aime", kind: "math" });
  });

  it("keeps a question exactly as written, spaces and newlines included (the reference does not trim)", () => {
    const set = parseBenchmark(
      JSON.stringify({ examples: [{ id: 1, question: "  Who wrote it?\n", answer: "x" }] }),
      "q.json",
    );
    expect(set.examples[0]!.question).toBe("  Who wrote it?\n");
  });

  it("leaves out, and lists, examples whose gold answer is missing in the reference files", () => {
    const medium = parseBenchmark(sharedText("data/benchmarks/math_medium_1000_20250430.json"), "m.json");
    expect(medium.withoutAnswer).toEqual(["124", "519"]);
    expect(medium.examples).toHaveLength(998);
    const math = parseBenchmark(sharedText("data/benchmarks/math_1000_20250414.json"), "m.json");
    expect(math.withoutAnswer).toEqual(["174", "499"]);
    const none = JSON.stringify({ examples: [{ id: 1, question: "q", answer: null }] });
    expect(() => parseBenchmark(none, "none.json")).toThrow(/no example has a gold answer/);
  });

  it("lets the caller override the task kind", () => {
    const text = JSON.stringify({ metadata: {}, examples: [{ id: 1, question: "q", answer: "a" }] });
    expect(parseBenchmark(text, "my-set.json").kind).toBe("fact");
    expect(parseBenchmark(text, "my-set.json", "math").kind).toBe("math");
    expect(inferKind("whatever", "/data/gsm_hard_500.json")).toBe("math");
  });

  it.each([
    ["not json", "{", /not valid JSON/],
    ["no examples key", JSON.stringify({ metadata: {} }), /examples: .*expected/i],
    ["empty examples", JSON.stringify({ examples: [] }), /has no examples/],
    ["a question missing", JSON.stringify({ examples: [{ id: 1, answer: "x" }] }), /examples\[0\]\.question/],
    [
      "an empty question",
      JSON.stringify({ examples: [{ id: 1, question: " ", answer: "x" }] }),
      /examples\[0\]\.question: is empty/,
    ],
    [
      "a list answer",
      JSON.stringify({ examples: [{ id: 1, question: "q", answer: ["x"] }] }),
      /examples\[0\]\.answer/,
    ],
    ["no id", JSON.stringify({ examples: [{ question: "q", answer: "x" }] }), /examples\[0\]\.id/],
    [
      "a duplicate id",
      JSON.stringify({
        examples: [
          { id: 1, question: "q", answer: "x" },
          { id: "1", question: "r", answer: "y" },
        ],
      }),
      /examples\[1\]: duplicate id 1/,
    ],
  ])("rejects %s with a clear error", (_what, text, message) => {
    expect(() => parseBenchmark(text, "bad.json")).toThrow(BenchmarkFormatError);
    expect(() => parseBenchmark(text, "bad.json")).toThrow(message);
  });

  it("selects with offset and limit", () => {
    const bench = parseBenchmark(sharedText("data/benchmarks/aime_90_20250504.json"), "aime.json");
    expect(selectExamples(bench.examples, { offset: 2, limit: 3 }).map((e) => e.id)).toEqual(["2", "3", "4"]);
    expect(selectExamples(bench.examples, { offset: 88 })).toHaveLength(2);
  });
});

function trajectory(overrides: Partial<Trajectory>): Trajectory {
  return fakeTrajectory({
    usage: { promptTokens: 100, completionTokens: 10 },
    durationMs: 1000,
    ...overrides,
  });
}

const step = (n: number, extra: Record<string, unknown> = {}) => ({
  step: n,
  completion: "c",
  assistant: "c",
  thought: "t",
  code: "x",
  repairs: [],
  observation: "o",
  timings: { generationMs: 1, executionMs: 1 },
  ...extra,
});

function record(id: string, correct: boolean, t: Partial<Trajectory>, f1 = correct ? 1 : 0): RunRecord {
  return {
    id,
    question: "q",
    gold: "a",
    kind: "fact",
    score: { correct, em: correct ? 1 : 0, f1, extracted: "a" },
    trajectory: trajectory(t),
  };
}

describe("records and report", () => {
  const records = [
    record("1", true, { steps: [step(1), step(2)], durationMs: 1000 }),
    record(
      "2",
      false,
      { steps: [step(1, { code: null, parseError: "no code" }), step(2)], durationMs: 3000 },
      0.5,
    ),
    record("3", false, {
      status: "fallback",
      steps: [
        step(1),
        step(2, {
          execution: {
            logs: "",
            output: "",
            isFinalAnswer: false,
            durationMs: 1,
            error: { type: "E", message: "m" },
          },
        }),
      ],
      durationMs: 2000,
      usage: { promptTokens: 300, completionTokens: 30 },
    }),
  ];

  it("reads back what it writes, and accepts bare trajectories", () => {
    const text = records.map(recordLine).join("");
    expect(parseRecords(text, "r.jsonl").map((r) => r.id)).toEqual(["1", "2", "3"]);
    const bare = parseRecords(`${JSON.stringify(trajectory({}))}\n`, "t.jsonl");
    expect(bare[0]!.trajectory.answer).toBe("a");
  });

  it("names the line of a damaged record", () => {
    const text = `${recordLine(records[0]!)}{"id":"2","trajectory":{"schema":"x"}}\n`;
    expect(() => parseRecords(text, "r.jsonl")).toThrow(RecordFormatError);
    expect(() => parseRecords(text, "r.jsonl")).toThrow(/r\.jsonl:2: /);
  });

  it("finds finished ids, dropping only a cut-off last line", () => {
    const text = `${recordLine(records[0]!)}${recordLine(records[1]!)}{"id":"3","tra`;
    const { ids, validText } = finishedIds(text, "r.jsonl");
    expect([...ids]).toEqual(["1", "2"]);
    expect(validText).toBe(recordLine(records[0]!) + recordLine(records[1]!));
    expect(() => finishedIds(`{"id":"1"\n${recordLine(records[1]!)}`, "r.jsonl")).toThrow(/r\.jsonl:1/);
  });

  it("computes accuracy, EM/F1, steps, error rates, tokens and times", () => {
    const report = buildReport(records, { benchmark: "hotpotqa", kind: "fact" });
    expect(report).toMatchObject({
      questions: 3,
      correct: 1,
      status: { answered: 2, fallback: 1 },
      steps: { total: 6, mean: 2, max: 2 },
      questionsWithParseError: 1,
      tokens: { prompt: 500, completion: 50 },
      timePerQuestionMs: { mean: 2000, median: 2000, max: 3000 },
    });
    expect(report.accuracy).toBeCloseTo(1 / 3, 10);
    expect(report.em).toBeCloseTo(1 / 3, 10);
    expect(report.f1).toBeCloseTo(0.5, 10);
    expect(report.fallbackRate).toBeCloseTo(1 / 3, 10);
    expect(report.parseErrorRate).toBeCloseTo(1 / 6, 10);
    expect(report.executionErrorRate).toBeCloseTo(1 / 6, 10);
    expect(buildReport([], { benchmark: "x", kind: "math" })).toMatchObject({ questions: 0, accuracy: 0 });
  });

  it("says how answers were scored: EM (with the warning), the judge, a mix, or math equivalence", () => {
    expect(buildReport(records, { benchmark: "h", kind: "fact" }).scoring).toMatchObject({
      method: "exact-match",
    });
    const judged = records.map((r, i) => ({
      ...r,
      score: { ...r.score, correct: i < 2, judge: { correct: i < 2, explanation: "", model: "j" } },
    }));
    const report = buildReport(judged, { benchmark: "h", kind: "fact" });
    expect(report.scoring).toEqual({ method: "llm-judge", judgeModel: "j" });
    expect(report.accuracy).toBeCloseTo(2 / 3, 10);
    const mixed = buildReport([judged[0]!, records[1]!], { benchmark: "h", kind: "fact" }).scoring;
    expect(mixed).toMatchObject({ method: "mixed", judgeModel: "j" });
    expect(mixed.note).toMatch(/1 of 2 answers were scored by the judge/);
    expect(buildReport(records, { benchmark: "m", kind: "math" }).scoring).toEqual({
      method: "math-equivalence",
    });
  });
});
