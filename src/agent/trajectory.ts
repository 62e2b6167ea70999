/**
 * The trajectory: everything one run did, as versioned JSON. It is the CLI's --json output, the
 * replay format and the source of SFT exports. Loading validates it, so a damaged file fails clearly.
 */
import { z } from "zod";

import { TRAJECTORY_SCHEMA, TRAJECTORY_VERSION } from "./trajectory-format.ts";

export { recordedCompletions, TRAJECTORY_SCHEMA, TRAJECTORY_VERSION } from "./trajectory-format.ts";

const message = z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() });

const usage = z.object({ promptTokens: z.number(), completionTokens: z.number() });

const execution = z.object({
  logs: z.string(),
  output: z.string(),
  error: z.object({ type: z.string(), message: z.string() }).optional(),
  isFinalAnswer: z.boolean(),
  finalAnswer: z.unknown().optional(),
  durationMs: z.number(),
  restarted: z.boolean().optional(),
  notice: z.string().optional(),
});

const candidate = z.object({
  /** Order of generation within the step, from 0. */
  index: z.number().int(),
  completion: z.string(),
  code: z.string().nullable(),
  parseError: z.string().optional(),
  execution: execution.optional(),
  /** The vote key (the output the candidate is judged by); absent for failed candidates. */
  voteKey: z.string().optional(),
  /** Index of the group (by first appearance) the candidate belongs to; absent for failed candidates. */
  group: z.number().int().optional(),
  /** True when identical code ran earlier in the step and its result was reused. */
  reused: z.boolean().optional(),
  generationMs: z.number(),
});

const vote = z.object({
  mode: z.enum(["exact", "normalized"]),
  adaptive: z.boolean(),
  /** Votes per group, in order of first appearance. */
  groups: z.array(z.object({ key: z.string(), members: z.array(z.number().int()) })),
  winner: z.number().int(),
  reason: z.enum(["majority", "tie-earliest", "all-singletons", "all-failed", "single"]),
  requested: z.number().int(),
  generated: z.number().int(),
  executed: z.number().int(),
  /** Generations adaptive voting did not need, and executions saved by reusing identical code. */
  generationsSaved: z.number().int(),
  executionsSaved: z.number().int(),
  votingMs: z.number(),
});

const step = z.object({
  step: z.number().int().min(1),
  /** The completion exactly as the engine returned it (the winner's, under SAG). */
  completion: z.string(),
  /** The assistant text stored in memory and sent on later calls. */
  assistant: z.string(),
  thought: z.string(),
  code: z.string().nullable(),
  repairs: z.array(z.string()),
  parseError: z.string().optional(),
  execution: execution.optional(),
  /** The user message(s) fed back for this step, merged. */
  observation: z.string(),
  candidates: z.array(candidate).optional(),
  vote: vote.optional(),
  timings: z.object({ generationMs: z.number(), executionMs: z.number() }),
  usage: usage.optional(),
});

const thread = z.object({
  /** The earlier questions of the conversation and how they ended, oldest first. */
  turns: z.array(z.object({ question: z.string(), answer: z.unknown(), status: z.string() })),
  /** Their memory as messages (not merged), as every prompt of this run carries it after the system prompt. */
  messages: z.array(message),
  /** Their code actions that ran without error, in order: run again first to restore the Python namespace. */
  actions: z.array(z.string()),
});

export const trajectorySchema = z.object({
  schema: z.literal(TRAJECTORY_SCHEMA),
  version: z.literal(TRAJECTORY_VERSION),
  createdAt: z.string(),
  question: z.string(),
  task: z.string(),
  /** Set when the question was a follow-up: the conversation it continued (follow-up.ts). */
  thread: thread.optional(),
  engine: z.object({
    kind: z.string(),
    label: z.string(),
    isReplay: z.boolean(),
    model: z.string().optional(),
  }),
  settings: z.object({
    role: z.enum(["student", "teacher"]),
    promptPack: z.string(),
    maxSteps: z.number().int(),
    n: z.number().int(),
    temperature: z.number().optional(),
    topP: z.number().optional(),
    maxTokens: z.number().optional(),
    seed: z.number().optional(),
  }),
  /** The last request's messages plus the model's last reply: the whole conversation as the model saw it. */
  messages: z.array(message),
  steps: z.array(step),
  /** The completion of the extra call made when the step budget ran out. */
  fallback: z
    .object({ completion: z.string(), messages: z.array(message), generationMs: z.number() })
    .optional(),
  status: z.enum(["answered", "fallback", "aborted", "failed"]),
  answer: z.unknown(),
  error: z.string().optional(),
  usage: usage,
  durationMs: z.number(),
});

export type Trajectory = z.infer<typeof trajectorySchema>;
export type TrajectoryStep = z.infer<typeof step>;
export type Thread = z.infer<typeof thread>;
export type CandidateRecord = z.infer<typeof candidate>;
export type VoteRecord = z.infer<typeof vote>;
export type ExecutionRecord = z.infer<typeof execution>;

export class TrajectoryFormatError extends Error {
  override name = "TrajectoryFormatError";
}

/** Parses and validates a trajectory; the error names the first bad field. */
export function parseTrajectory(json: string | unknown): Trajectory {
  let data: unknown = json;
  if (typeof json === "string") {
    try {
      data = JSON.parse(json);
    } catch (error) {
      throw new TrajectoryFormatError(`trajectory is not valid JSON: ${(error as Error).message}`);
    }
  }
  const header = data as { schema?: unknown; version?: unknown } | null;
  if (
    header &&
    typeof header === "object" &&
    header.schema === TRAJECTORY_SCHEMA &&
    header.version !== TRAJECTORY_VERSION
  ) {
    throw new TrajectoryFormatError(
      `trajectory version ${String(header.version)} is not supported (this build reads version ${TRAJECTORY_VERSION})`,
    );
  }
  const result = trajectorySchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new TrajectoryFormatError(
      `not a pocket-agent trajectory: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
  }
  return result.data;
}
