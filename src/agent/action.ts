/**
 * One action of one step: generate, parse, execute. The plain path (n = 1) lives here; self-consistent
 * action generation (n > 1) lives in sag.ts and returns the same ChosenAction.
 */

import type { ChatMessage, Engine, GenerateRequest, Usage } from "../ports/engine.ts";
import type { ExecutionResult, Executor } from "../ports/executor.ts";
import type { AgentEventListener } from "./events.ts";
import { assistantText, type ParsedStep, parseStep, STOP_SEQUENCES } from "./parse.ts";
import { type PromptPack, packRequestFields, renderTemplate } from "./prompt-pack.ts";
import type { CandidateRecord, VoteRecord } from "./trajectory.ts";

export interface SamplingOptions {
  n?: number;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
}

export interface StepContext {
  step: number;
  messages: ChatMessage[];
  engine: Engine;
  executor: Executor;
  pack: PromptPack;
  sampling: SamplingOptions;
  actionTimeoutMs?: number;
  signal?: AbortSignal;
  emit: AgentEventListener;
}

export interface ChosenAction {
  completion: string;
  parsed: ParsedStep;
  /** Set when the action had no usable code; the rendered parse-error text. */
  parseError?: string;
  execution?: ExecutionResult;
  candidates?: CandidateRecord[];
  vote?: VoteRecord;
  generationMs: number;
  executionMs: number;
  usage?: Usage;
  /** The model that generated the action, as the engine reports it. */
  model?: string;
}

export function generationRequest(ctx: StepContext, n: number): GenerateRequest {
  const { temperature, topP, maxTokens, seed } = ctx.sampling;
  const request: GenerateRequest = {
    messages: ctx.messages,
    n,
    stop: [...STOP_SEQUENCES],
    temperature,
    topP,
    maxTokens,
    seed,
    signal: ctx.signal,
  };
  const extraBody = packRequestFields(ctx.pack);
  if (extraBody) request.extraBody = extraBody;
  return request;
}

export function parseErrorText(pack: PromptPack, completion: string): string {
  return renderTemplate(pack.parseError, { snippet: assistantText(completion) });
}

/**
 * An unfenced completion is only code if Python can parse it (the reference's ast.parse check);
 * a SyntaxError from the executor on such text is a parse error, not an execution error.
 */
export function isUnparsableText(parsed: ParsedStep, execution: ExecutionResult): boolean {
  return parsed.unfenced && execution.error?.type === "SyntaxError";
}

/** Tells listeners which action the step takes (the chosen one, under SAG). */
export function emitAction(ctx: StepContext, parsed: ParsedStep): void {
  ctx.emit({
    type: "action",
    step: ctx.step,
    thought: parsed.thought,
    code: parsed.code,
    repairs: parsed.repairs,
  });
}

export async function singleAction(ctx: StepContext): Promise<ChosenAction> {
  const started = performance.now();
  const request = generationRequest(ctx, 1);
  request.onToken = (delta) => ctx.emit({ type: "token", step: ctx.step, delta });
  const result = await ctx.engine.generate(request);
  const completion = result.completions[0]?.text ?? "";
  const generationMs = performance.now() - started;
  const parsed = parseStep(completion);
  emitAction(ctx, parsed);
  const base = { completion, parsed, generationMs, usage: result.usage, model: result.model };
  if (parsed.code === null)
    return { ...base, parseError: parseErrorText(ctx.pack, completion), executionMs: 0 };

  const execution = await ctx.executor.run(parsed.code, {
    timeoutMs: ctx.actionTimeoutMs,
    signal: ctx.signal,
  });
  if (isUnparsableText(parsed, execution)) {
    return { ...base, parseError: parseErrorText(ctx.pack, completion), executionMs: execution.durationMs };
  }
  return { ...base, execution, executionMs: execution.durationMs };
}
