/**
 * Scoring factual answers with an LLM judge, as the reference scores them (it does not use EM/F1): a model
 * is asked whether the prediction and the gold answer mean the same for the question, accepting aliases
 * and rephrasing, rejecting answers so verbose that the key information is lost, and answers with JSON
 * {explanation, score}. The prompt is this project's wording of those criteria. The judge is any Engine
 * (an OpenAI-compatible server the user names): nothing is sent anywhere else.
 */
import type { Engine } from "../ports/engine.ts";

export interface JudgeVerdict {
  correct: boolean;
  explanation: string;
  /** The judge model, as its server reports it. */
  model: string;
}

export class JudgeError extends Error {
  override name = "JudgeError";
}

export function judgePrompt(question: string, predicted: string, gold: string): string {
  return `Decide whether a predicted answer to a question means the same as the gold (correct) answer.

Judge the meaning, not the wording: different phrasing, aliases and other names for the same thing, and
answers that reach the same conclusion all count as a match. A predicted answer that is so long or vague
that it misses the key information of the gold answer does not match.

Question: ${question}
Predicted answer: ${predicted}
Gold answer: ${gold}

Reply with a JSON object and nothing else, with two fields:
- "explanation": one or two sentences on why,
- "score": 1 if the answers match, 0 if they do not.`;
}

/**
 * The verdict in a judge's reply: the first JSON object that has a 0/1 (or true/false) `score`; tolerant
 * of code fences and text around it. null when there is none.
 */
export function parseVerdict(text: string): { score: 0 | 1; explanation: string } | null {
  for (let start = text.indexOf("{"); start !== -1; start = text.indexOf("{", start + 1)) {
    for (let end = text.indexOf("}", start); end !== -1; end = text.indexOf("}", end + 1)) {
      let value: unknown;
      try {
        value = JSON.parse(text.slice(start, end + 1));
      } catch {
        continue;
      }
      const { score, explanation } = (value ?? {}) as { score?: unknown; explanation?: unknown };
      const verdict =
        score === 1 || score === "1" || score === true
          ? 1
          : score === 0 || score === "0" || score === false
            ? 0
            : null;
      if (verdict === null) continue;
      return { score: verdict, explanation: typeof explanation === "string" ? explanation : "" };
    }
  }
  return null;
}

/** Asks the judge once (temperature 0); a reply without a verdict is an error naming what came back. */
export async function judgeAnswer(
  judge: Engine,
  example: { question: string; predicted: string; gold: string },
  signal?: AbortSignal,
): Promise<JudgeVerdict> {
  const result = await judge.generate({
    messages: [{ role: "user", content: judgePrompt(example.question, example.predicted, example.gold) }],
    n: 1,
    temperature: 0,
    maxTokens: 512,
    ...(signal ? { signal } : {}),
  });
  const text = result.completions[0]?.text ?? "";
  const verdict = parseVerdict(text);
  if (!verdict) {
    const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    throw new JudgeError(`the judge (${judge.info.label}) gave no verdict: ${JSON.stringify(shown)}`);
  }
  return { correct: verdict.score === 1, explanation: verdict.explanation, model: result.model };
}
