/**
 * What the Node and the browser halves of `npm run bench -- llm` measure alike: the agent's first
 * request as a prompt, and token rates and medians from timed runs.
 */
import { buildStepMessages } from "../src/agent/messages.ts";
import { type PromptPack, renderSystemPrompt, taskFor } from "../src/agent/prompt-pack.ts";
import type { ChatMessage } from "../src/ports/engine.ts";
import { REFERENCE_AUTHORIZED_IMPORTS } from "../src/ports/executor.ts";

/** One generation, split at its first token. */
export interface Timing {
  prefillMs: number;
  decodeMs: number;
  promptTokens: number;
  generatedTokens: number;
}

/**
 * The agent's first request for `question`. The question also leads the system prompt, so no two
 * prompts share a prefix: an engine's prefix cache must not make it look faster than a bare loop that
 * starts every prompt from scratch.
 */
export function agentMessages(pack: PromptPack, question: string, toolNames?: string[]): ChatMessage[] {
  const system = renderSystemPrompt(pack, {
    role: "student",
    authorizedImports: REFERENCE_AUTHORIZED_IMPORTS,
    ...(toolNames ? { toolNames } : {}),
  });
  return buildStepMessages(`${question}\n${system}`, taskFor(pack, question), [], pack);
}

export function perToken(t: Timing): number {
  return t.decodeMs / Math.max(1, t.generatedTokens - 1);
}

export function rates(runs: Timing[]): Record<string, number> {
  return {
    prefillTokensPerSecond: Math.round(median(runs.map((r) => r.promptTokens / (r.prefillMs / 1000)))),
    decodeTokensPerSecond: Math.round(median(runs.map((r) => 1000 / perToken(r)))),
  };
}

/** Engine over bare loop, per round then the median: prefill, decode per token, and the whole run. */
export function overheadRatios(
  engineRuns: Timing[],
  bareRuns: Timing[],
): Record<"prefill" | "decode" | "total", number> {
  const ratio = (f: (t: Timing) => number) => median(engineRuns.map((e, i) => f(e) / f(bareRuns[i]!)));
  return {
    prefill: ratio((t) => t.prefillMs),
    decode: ratio(perToken),
    total: ratio((t) => t.prefillMs + t.decodeMs),
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function round3<T extends Record<string, number>>(values: T): T {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Math.round(v * 1000) / 1000])) as T;
}
