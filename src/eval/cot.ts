/**
 * The chain-of-thought baseline the paper compares agent students with, as the reference's reasoning
 * runs do it: [system: CoT prompt, user: question] (with retrieval, the retrieved passages, a newline,
 * then the question), the answer read between <answer> tags (else the whole reply), and with several
 * samples the most frequent answer (ties: the earliest). For math, an answer that is neither boxed nor
 * more than one paragraph is boxed before the math extraction. Pure; the record it builds is a
 * trajectory with no steps, so reports, resume and SFT export treat CoT runs like agent runs. The request
 * itself is distill/first-thought.ts's cotMessages (the teacher's FTP call is the same request).
 */
import { TRAJECTORY_SCHEMA, TRAJECTORY_VERSION, type Trajectory } from "../agent/trajectory.ts";
import type { ChatMessage, EngineInfo, Usage } from "../ports/engine.ts";
import type { TaskKind } from "./benchmark.ts";

/** The pack name CoT records carry (and `sft export --cot` looks for). */
export const COT_PACK_PREFIX = "cot:";

/** The text between the first <answer> and </answer>, trimmed; the whole reply when there is none. */
export function taggedAnswer(reply: string): string {
  const m = /<answer>([\s\S]*?)<\/answer>/.exec(reply);
  return m ? m[1]!.trim() : reply;
}

/** For math: a bare one-paragraph answer is boxed, so the math extraction reads it. */
export function boxedForMath(answer: string): string {
  return !answer.includes("\\boxed") && answer.split("\n\n").length === 1 ? `\\boxed{${answer}}` : answer;
}

/** The most frequent value and the index of its first occurrence (ties: the earliest of the tied). */
export function majorityFirst(values: readonly string[]): { value: string; index: number } {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const top = Math.max(...counts.values());
  const index = values.findIndex((v) => counts.get(v) === top);
  return { value: values[index]!, index };
}

/**
 * The run's answer from the replies: each reply's tagged answer (boxed for math), voted on with `key`
 * (the comparable form of an answer, e.g. the math extraction; identity by default).
 */
export function cotAnswer(
  kind: TaskKind,
  replies: readonly string[],
  key: (answer: string) => string = (a) => a,
): { answer: string; index: number } {
  const answers = replies.map((r) => (kind === "math" ? boxedForMath(taggedAnswer(r)) : taggedAnswer(r)));
  const { index } = majorityFirst(answers.map(key));
  return { answer: answers[index]!, index };
}

/** A CoT run as a trajectory without steps: its messages end with the chosen reply. */
export function cotTrajectory(run: {
  question: string;
  messages: ChatMessage[];
  reply: string;
  answer: string;
  engine: EngineInfo;
  model?: string;
  promptName: string;
  settings: { n: number; temperature?: number; topP?: number; maxTokens?: number; seed?: number };
  usage?: Usage;
  durationMs: number;
}): Trajectory {
  return {
    schema: TRAJECTORY_SCHEMA,
    version: TRAJECTORY_VERSION,
    createdAt: new Date().toISOString(),
    question: run.question,
    task: run.messages.at(-1)?.content ?? run.question,
    engine: {
      kind: run.engine.kind,
      label: run.engine.label,
      isReplay: run.engine.isReplay,
      ...(run.model ? { model: run.model } : {}),
    },
    settings: {
      role: "student",
      promptPack: `${COT_PACK_PREFIX}${run.promptName}`,
      maxSteps: 0,
      ...run.settings,
    },
    messages: [...run.messages, { role: "assistant", content: run.reply }],
    steps: [],
    status: "answered",
    answer: run.answer,
    usage: run.usage ?? { promptTokens: 0, completionTokens: 0 },
    durationMs: run.durationMs,
  };
}
