/**
 * SFT examples in the chat-messages layout the reference trains on (TRL's conversational format,
 * one `{"messages": [...]}` per line): the student's short system prompt in place of the teacher's,
 * the task, then the assistant steps and observations exactly as the teacher saw them, ending with the
 * last assistant step (the observation after final_answer is dropped).
 */
import type { Trajectory } from "../agent/trajectory.ts";
import type { ChatMessage } from "../ports/engine.ts";

export interface SftExample {
  messages: ChatMessage[];
}

export class SftExportError extends Error {
  override name = "SftExportError";
}

export function toSftExample(trajectory: Trajectory, studentSystemPrompt: string): SftExample {
  const messages = trajectory.messages.map((m) => ({ role: m.role, content: m.content }));
  if (messages[0]?.role !== "system" || messages[1]?.role !== "user") {
    throw new SftExportError("trajectory messages do not start with a system prompt and the task");
  }
  if (messages.filter((m) => m.role === "system").length > 1) {
    throw new SftExportError("trajectory has more than one system message");
  }
  messages[0] = { role: "system", content: studentSystemPrompt };
  // The reference strips reference-solution hints from the task before training.
  messages[1] = {
    role: "user",
    content: messages[1].content.replace(/<reference>[\s\S]*?<\/reference>/g, ""),
  };
  while (messages.length > 2 && messages[messages.length - 1]!.role === "user") messages.pop();
  if (messages[messages.length - 1]?.role !== "assistant") {
    throw new SftExportError("trajectory has no assistant step");
  }
  return { messages };
}

/**
 * A chain-of-thought record (eval --mode cot) as the reference prepares CoT SFT data: the messages as they
 * were sent (the CoT system prompt and the question) followed by the chosen reply; no prompt is swapped.
 */
export function toCotSftExample(trajectory: Trajectory): SftExample {
  const messages = trajectory.messages.map((m) => ({ role: m.role, content: m.content }));
  if (messages.length !== 3 || messages[0]!.role !== "system" || messages[2]!.role !== "assistant") {
    throw new SftExportError("a CoT record must hold [system, user, assistant] messages");
  }
  return { messages };
}
