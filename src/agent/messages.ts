/**
 * The message list the reference sends on each model call, built from the episode's memory.
 * Layout facts (students were fine-tuned on them): see ARCHITECTURE.md, "Protocol facts".
 */
import type { ChatMessage, Role } from "../ports/engine.ts";
import { finalAnswerTask, type PromptPack, renderTemplate } from "./prompt-pack.ts";

/** What one finished step contributes to later prompts. */
export interface StepMemory {
  /** 1-based step number; the reference's call id is `call_<step>`. */
  step: number;
  /** The assistant text as stored (see assistantText). */
  assistant: string;
  /** Set when no code could be parsed (the pack's parse_error text): the step has no tool call and no call id. */
  parseError?: string;
  /** Captured prints ("" when none). */
  logs?: string;
  /** str() of the last value; absent when execution failed. */
  output?: string;
  /** Execution error in the reference layout ("Code execution failed at line ... due to: ..."). */
  executionError?: string;
  /** Extra line from the executor (e.g. the namespace was reset after a timeout). */
  notice?: string;
}

export function taskMessage(task: string): ChatMessage {
  return { role: "user", content: `New task:\n${task}` };
}

/** The user messages that follow a step's assistant text, before merging. */
export function observationMessages(memory: StepMemory, pack: PromptPack): ChatMessage[] {
  const callId = `Call id: call_${memory.step}\n`;
  if (memory.parseError !== undefined) {
    return [{ role: "user", content: `Error:\n${memory.parseError}\n${pack.errorRetryHint}` }];
  }
  const messages: ChatMessage[] = [];
  const notice = memory.notice ? `${memory.notice}\n` : "";
  if (memory.executionError !== undefined) {
    if (memory.logs)
      messages.push({ role: "user", content: `${callId}Observation:\nExecution logs:\n${memory.logs}` });
    messages.push({
      role: "user",
      content: `${callId}Error:\n${notice}${memory.executionError}\n${pack.errorRetryHint}`,
    });
    return messages;
  }
  messages.push({
    role: "user",
    content: `${callId}Observation:\n${notice}Execution logs:\n${memory.logs ?? ""}Last output from code snippet:\n${memory.output ?? "None"}`,
  });
  return messages;
}

/**
 * Consecutive messages with the same role become one, their texts concatenated with no separator: the
 * reference serves students with messages flattened to text (smolagents `get_clean_message_list` with
 * `flatten_messages_as_text=True`, also used by its SFT preprocessing), which appends the texts as they are.
 */
export function mergeSameRole(messages: readonly ChatMessage[]): ChatMessage[] {
  const merged: ChatMessage[] = [];
  for (const message of messages) {
    const last = merged[merged.length - 1];
    if (last && last.role === message.role) last.content += message.content;
    else merged.push({ ...message });
  }
  return merged;
}

/**
 * Messages for the next action: system prompt, task, then each step's assistant text and observation.
 * `earlier` is the memory of the conversation's earlier questions when this one is a follow-up
 * (follow-up.ts): it comes between the system prompt and this task, as smolagents' `run(task,
 * reset=False)` keeps its memory and appends the new task after it.
 */
export function buildStepMessages(
  systemPrompt: string,
  task: string,
  memory: readonly StepMemory[],
  pack: PromptPack,
  earlier: readonly ChatMessage[] = [],
): ChatMessage[] {
  return mergeSameRole([
    { role: "system", content: systemPrompt },
    ...earlier,
    ...memoryMessages(task, memory, pack),
  ]);
}

/** Messages for the extra call made when the step budget is spent: the memory framed by the pack's final-answer texts. */
export function buildFinalAnswerMessages(
  task: string,
  memory: readonly StepMemory[],
  pack: PromptPack,
  earlier: readonly ChatMessage[] = [],
): ChatMessage[] {
  return mergeSameRole([
    { role: "system", content: pack.finalAnswerPre },
    ...earlier,
    ...memoryMessages(task, memory, pack),
    { role: "user", content: renderTemplate(pack.finalAnswerPost, { task: finalAnswerTask(task) }) },
  ]);
}

/** One question's memory as messages, before merging: its task, then each step's assistant text and observation. */
export function memoryMessages(task: string, memory: readonly StepMemory[], pack: PromptPack): ChatMessage[] {
  const out: ChatMessage[] = [taskMessage(task)];
  for (const step of memory) {
    out.push({ role: "assistant", content: step.assistant }, ...observationMessages(step, pack));
  }
  return out;
}

/** One plain-text prompt from a message list, for engines without a chat template. */
export function flattenMessages(messages: readonly ChatMessage[]): string {
  const label: Record<Role, string> = { system: "System", user: "User", assistant: "Assistant" };
  return messages.map((m) => `${label[m.role]}: ${m.content}`).join("\n");
}
