/** Scoring one prediction against its gold answer, by task kind. Pure functions. */
import type { TaskKind } from "./benchmark.ts";
import { exactMatch, f1Score } from "./factual.ts";
import { mathAnswerText, mathEqual } from "./math.ts";

export interface Score {
  /** The verdict used for accuracy and for filtering teacher trajectories. */
  correct: boolean;
  /** Factual tasks: exact match after normalisation (same as `correct`) and token F1. */
  em?: number;
  f1?: number;
  /** The answer text that was compared (boxed content for math). */
  extracted: string;
}

/** The final answer as text: strings as-is, numbers and other values as JSON. */
export function answerToText(answer: unknown): string {
  if (answer === null || answer === undefined) return "";
  return typeof answer === "string" ? answer : JSON.stringify(answer);
}

export function scoreAnswer(kind: TaskKind, predicted: unknown, gold: string | number): Score {
  if (kind === "math") {
    return { correct: mathEqual(predicted, gold), extracted: mathAnswerText(predicted) };
  }
  const text = answerToText(predicted);
  const goldText = String(gold);
  const em = exactMatch(text, goldText) ? 1 : 0;
  return { correct: em === 1, em, f1: f1Score(text, goldText), extracted: text };
}
