/**
 * First-thought prefix (FTP): the teacher first answers the question with a chain-of-thought prompt;
 * the first paragraph of that answer opens the agent's first step ("Thought: " + paragraph + blank line),
 * and the teacher continues from there. The reference keeps these prefixes as strings per question.
 */
import { parse as parseYaml } from "yaml";
import type { ChatMessage } from "../ports/engine.ts";

/**
 * The chain-of-thought prompt, in this project's words (the reference's teacher_model.yaml can be loaded
 * instead with loadCotPrompt). The answer layout matters: reasoning first, then <answer> tags.
 */
export const DEFAULT_COT_PROMPT = `You answer questions accurately and show how you get there.

How to answer:
1. Reason step by step first, clearly and in order.
2. Then give the final answer inside <answer> </answer> tags, for example <answer> xxx </answer>.
3. Keep the final answer short. For math, write it in LaTeX inside \\boxed{}.
4. When the question needs several facts or steps, take them one at a time.
5. Be precise and stick to facts.
6. Say so when you are not sure about something.

The question: `;

export class CotPromptError extends Error {
  override name = "CotPromptError";
}

/** Reads `system_prompt` from a YAML prompt file such as the reference's teacher_model.yaml. */
export function loadCotPrompt(yamlText: string, source: string): string {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (error) {
    throw new CotPromptError(`CoT prompt ${source}: not valid YAML: ${(error as Error).message}`);
  }
  const prompt = (doc as { system_prompt?: unknown } | null)?.system_prompt;
  if (typeof prompt !== "string" || !prompt.trim()) {
    throw new CotPromptError(`CoT prompt ${source}: \`system_prompt\` (a non-empty string) is missing`);
  }
  return prompt;
}

/**
 * The chain-of-thought request, as the reference's reasoning run sends it: system prompt, then the
 * question; with retrieval (its --use_rag), the retrieved passages, a newline, then the question.
 */
export function cotMessages(systemPrompt: string, question: string, retrieved?: string): ChatMessage[] {
  return [
    { role: "system", content: systemPrompt },
    { role: "user", content: retrieved ? `${retrieved}\n${question}` : question },
  ];
}

/**
 * The first-thought prefix of a chain-of-thought answer, built as the reference's published script does
 * (exps_research/first_thought_prefix/build_prefix_memory.py): "Thought: " + the text before the first
 * blank line ("\n\n") + "\n\n", taken as it is (no trimming, no tag or label removal, no length cap),
 * and for every question, even when that text is empty.
 */
export function firstThoughtPrefix(cot: string): string {
  return `Thought: ${cot.split("\n\n")[0]}\n\n`;
}
