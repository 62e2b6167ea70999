/** The JSON report of a run, computed from its records. Pure. */
import type { TaskKind } from "./benchmark.ts";
import type { RunRecord } from "./record.ts";

export interface RunReport {
  benchmark: string;
  dataset?: string;
  kind: TaskKind;
  model?: string;
  settings?: Record<string, unknown>;
  questions: number;
  /** Correct answers: EM for factual tasks, math equivalence for math. */
  correct: number;
  accuracy: number;
  /** Factual tasks only: mean EM and mean token F1. */
  em?: number;
  f1?: number;
  /**
   * How `correct` was decided: math equivalence, an LLM judge (as the reference scores factual answers),
   * exact match (not comparable with the paper's figures), or a mix (a run resumed with another setting).
   */
  scoring: {
    method: "math-equivalence" | "llm-judge" | "exact-match" | "mixed";
    judgeModel?: string;
    note?: string;
  };
  /** Questions per trajectory status (answered, fallback, failed, aborted). */
  status: Record<string, number>;
  /** Share of questions whose step budget ran out and were answered by the fallback call. */
  fallbackRate: number;
  /** Share of questions that failed (engine error etc.). */
  failedRate: number;
  steps: { total: number; mean: number; max: number };
  /** Share of steps whose completion had no usable code, and questions with at least one. */
  parseErrorRate: number;
  questionsWithParseError: number;
  /** Share of steps whose code raised an error. */
  executionErrorRate: number;
  tokens: {
    prompt: number;
    completion: number;
    meanPromptPerQuestion: number;
    meanCompletionPerQuestion: number;
  };
  /** Wall time of the agent per question, ms. */
  timePerQuestionMs: { mean: number; median: number; max: number };
}

export function buildReport(
  records: readonly RunRecord[],
  info: {
    benchmark: string;
    dataset?: string;
    kind: TaskKind;
    model?: string;
    settings?: Record<string, unknown>;
  },
): RunReport {
  const n = records.length;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const status: Record<string, number> = {};
  let steps = 0;
  let maxSteps = 0;
  let parseErrors = 0;
  let execErrors = 0;
  let questionsWithParseError = 0;
  let prompt = 0;
  let completion = 0;
  const times: number[] = [];
  for (const r of records) {
    const t = r.trajectory;
    status[t.status] = (status[t.status] ?? 0) + 1;
    steps += t.steps.length;
    maxSteps = Math.max(maxSteps, t.steps.length);
    const pe = t.steps.filter((s) => s.parseError !== undefined).length;
    parseErrors += pe;
    if (pe > 0) questionsWithParseError++;
    execErrors += t.steps.filter((s) => s.execution?.error).length;
    prompt += t.usage.promptTokens;
    completion += t.usage.completionTokens;
    times.push(t.durationMs);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted.length
    ? sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]!
      : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2
    : 0;
  const correct = records.filter((r) => r.score.correct).length;
  const judged = records.filter((r) => r.score.judge);
  const rate = (k: number, of: number) => (of ? k / of : 0);
  return {
    benchmark: info.benchmark,
    ...(info.dataset ? { dataset: info.dataset } : {}),
    kind: info.kind,
    ...(info.model ? { model: info.model } : {}),
    ...(info.settings ? { settings: info.settings } : {}),
    questions: n,
    correct,
    accuracy: rate(correct, n),
    ...(info.kind === "fact"
      ? { em: mean(records.map((r) => r.score.em ?? 0)), f1: mean(records.map((r) => r.score.f1 ?? 0)) }
      : {}),
    scoring: scoringOf(info.kind, judged.length, n, judged[0]?.score.judge?.model),
    status,
    fallbackRate: rate(status["fallback"] ?? 0, n),
    failedRate: rate((status["failed"] ?? 0) + (status["aborted"] ?? 0), n),
    steps: { total: steps, mean: rate(steps, n), max: maxSteps },
    parseErrorRate: rate(parseErrors, steps),
    questionsWithParseError,
    executionErrorRate: rate(execErrors, steps),
    tokens: {
      prompt,
      completion,
      meanPromptPerQuestion: rate(prompt, n),
      meanCompletionPerQuestion: rate(completion, n),
    },
    timePerQuestionMs: { mean: mean(times), median, max: sorted[sorted.length - 1] ?? 0 },
  };
}

const EM_NOTE =
  "accuracy is exact match, which is not comparable with the paper's figures: the reference scores factual answers with an LLM judge (eval --judge-base-url URL --judge-model NAME)";

function scoringOf(
  kind: string,
  judged: number,
  n: number,
  judgeModel: string | undefined,
): RunReport["scoring"] {
  if (kind === "math") return { method: "math-equivalence" };
  if (judged === 0) return { method: "exact-match", note: EM_NOTE };
  const model = judgeModel ? { judgeModel } : {};
  if (judged === n) return { method: "llm-judge", ...model };
  return {
    method: "mixed",
    ...model,
    note: `${judged} of ${n} answers were scored by the judge, the others by exact match (the run was resumed with a different setting)`,
  };
}
