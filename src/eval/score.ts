/** Scoring one prediction against its gold answer, by task kind; factual answers optionally by an LLM judge. */
import type { Engine } from "../ports/engine.ts";
import type { TaskKind } from "./benchmark.ts";
import { exactMatch, f1Score } from "./factual.ts";
import { judgeAnswer } from "./judge.ts";
import { gradedAnswerText, mathEqual, mathEqualAsync, type SymbolicEqual } from "./math.ts";

export interface Score {
  /** The verdict used for accuracy and for filtering teacher trajectories. */
  correct: boolean;
  /** Factual tasks: exact match after normalisation (same as `correct`) and token F1. */
  em?: number;
  f1?: number;
  /** The answer text that was compared (for math: the extracted, normalised boxed answer, else str() of the value). */
  extracted: string;
  /** Set when an LLM judge scored the answer (factual tasks): then `correct` is its verdict. */
  judge?: { correct: boolean; explanation: string; model: string };
}

/** Scores one record's answer; async because a judge may be asked. */
export type Scorer = (
  kind: TaskKind,
  predicted: unknown,
  example: { question: string; answer: string | number },
  signal?: AbortSignal,
) => Promise<Score>;

export interface ScorerOptions {
  /** Symbolic equality for math answers (sympy in Pyodide, see symbolic.ts); without it math is graded numerically/textually. */
  symbolic?: SymbolicEqual;
}

/**
 * EM/F1 and math equivalence, plus, for factual tasks when a judge is given, the judge's verdict as
 * `correct` (the reference's way of scoring them; EM is kept beside it).
 */
export function createScorer(judge?: Engine, options: ScorerOptions = {}): Scorer {
  return async (kind, predicted, example, signal) => {
    if (kind === "math") {
      const correct = await mathEqualAsync(predicted, example.answer, options.symbolic, signal);
      return { correct, extracted: gradedAnswerText(predicted) };
    }
    const score = scoreAnswer(kind, predicted, example.answer);
    if (!judge || kind !== "fact") return score;
    const verdict = await judgeAnswer(
      judge,
      { question: example.question, predicted: answerToText(predicted), gold: String(example.answer) },
      signal,
    );
    return { ...score, correct: verdict.correct, judge: verdict };
  };
}

/** The final answer as text: strings as-is, numbers and other values as JSON. */
export function answerToText(answer: unknown): string {
  if (answer === null || answer === undefined) return "";
  return typeof answer === "string" ? answer : JSON.stringify(answer);
}

/** Scores without a judge or Python: math symbolic checks reduced to numbers and text (see math.ts). */
export function scoreAnswer(kind: TaskKind, predicted: unknown, gold: string | number): Score {
  if (kind === "math") {
    return { correct: mathEqual(predicted, gold), extracted: gradedAnswerText(predicted) };
  }
  const text = answerToText(predicted);
  const goldText = String(gold);
  const em = exactMatch(text, goldText) ? 1 : 0;
  return { correct: em === 1, em, f1: f1Score(text, goldText), extracted: text };
}
