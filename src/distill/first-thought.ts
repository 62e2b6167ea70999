/**
 * First-thought prefix (FTP): the teacher first answers the question with a chain-of-thought prompt;
 * the first thought of that answer opens the agent's first step ("Thought: " + thought), and the teacher
 * continues from there. The reference keeps these prefixes as "Thought: ..." strings per question.
 */
import { parse as parseYaml } from "yaml";
import type { ChatMessage } from "../llm/engine.ts";

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

/** The chain-of-thought request, as the reference's reasoning run sends it: system prompt, then the question. */
export function cotMessages(systemPrompt: string, question: string): ChatMessage[] {
  return [
    { role: "system", content: systemPrompt },
    { role: "user", content: question },
  ];
}

/** Longest first thought kept, in characters; a longer first paragraph is cut at a sentence end. */
export const MAX_THOUGHT_CHARS = 600;

/**
 * The first thought of a chain-of-thought answer: its first paragraph before the <answer> tag, without
 * a leading "Thought:"/"Reasoning:" label; "" when the answer has no reasoning before the tag.
 */
export function firstThought(cot: string, maxChars = MAX_THOUGHT_CHARS): string {
  const reasoning = cot
    .replace(/<think>[\s\S]*?<\/think>/g, "")
    .split(/<answer>/i)[0]!
    .trim();
  const paragraph =
    reasoning
      .split(/\n\s*\n/)
      .map((p) => p.trim())
      .find(Boolean) ?? "";
  const thought = paragraph.replace(/^(thought|reasoning|step 1)\s*:\s*/i, "").trim();
  if (thought.length <= maxChars) return thought;
  const sentences = thought.match(/[^.!?]+[.!?]+(\s+|$)/g) ?? [];
  let cut = "";
  for (const s of sentences) {
    if ((cut + s).trim().length > maxChars) break;
    cut += s;
  }
  return (cut.trim() || thought.slice(0, maxChars)).trim();
}

/** The text the first step starts with. */
export function ftpPrefix(thought: string): string {
  return `Thought: ${thought}`;
}
