/**
 * Self-consistent action generation: sample several candidate actions, run each against its own copy
 * of the episode namespace, drop the failures, keep the first member of the largest group of identical
 * outputs, and commit that candidate's namespace without running it again.
 *
 * Beyond the reference: adaptive voting generates candidates in small batches and stops as soon as the
 * remaining ones could not change the outcome (same winner as full voting, see vote.ts), and identical
 * code runs once.
 */

import { addUsage, type Usage } from "../ports/engine.ts";
import type { CandidateResult } from "../ports/executor.ts";
import {
  type ChosenAction,
  emitAction,
  generationRequest,
  isUnparsableText,
  parseErrorText,
  type StepContext,
} from "./action.ts";
import { parseStep } from "./parse.ts";
import type { CandidateRecord } from "./trajectory.ts";
import { decideVote, isDecided, normalizeOutput, type Outcome } from "./vote.ts";

/** The reference's student sampling for SAG. */
export const SAG_DEFAULTS = { n: 8, temperature: 0.4, topP: 0.8 } as const;

export interface SagOptions {
  /** Vote on the exact print output (reference) or on a normalised form. */
  mode?: "exact" | "normalized";
  /**
   * Generate in batches and stop when the vote is decided. Default: on when the engine cannot return
   * several completions per call (web-llm, llama.cpp, Ollama), where each generation costs a call anyway.
   */
  adaptive?: boolean;
  /** Candidates per generation call in adaptive mode (default 1). */
  batchSize?: number;
}

const FINAL_ANSWER_KEY = "\u0000final_answer\u0000";

/** The vote key of a candidate that ran: its prints, or its answer when it called final_answer. */
export function voteKey(result: CandidateResult, mode: "exact" | "normalized"): string {
  const raw = result.isFinalAnswer ? FINAL_ANSWER_KEY + result.output : result.logs;
  return mode === "exact" ? raw : normalizeOutput(raw);
}

/** A vote key as people read it (for traces). */
export function describeVoteKey(key: string): string {
  return key.startsWith(FINAL_ANSWER_KEY) ? `final_answer(${key.slice(FINAL_ANSWER_KEY.length)})` : key;
}

interface Candidate {
  record: CandidateRecord;
  result?: CandidateResult;
  outcome: Outcome;
}

export function sagStrategy(options: SagOptions = {}) {
  const mode = options.mode ?? "exact";
  return async function selfConsistentAction(ctx: StepContext): Promise<ChosenAction> {
    const requested = ctx.sampling.n ?? SAG_DEFAULTS.n;
    const adaptive = options.adaptive ?? !ctx.engine.info.supportsN;
    const batch = adaptive ? Math.max(1, options.batchSize ?? 1) : requested;
    const stepStarted = performance.now();
    const candidates: Candidate[] = [];
    let generationMs = 0;
    let executionMs = 0;
    let usage: Usage | undefined;
    let model: string | undefined;

    const outcomes = () => candidates.map((c) => c.outcome);
    while (candidates.length < requested && !isDecided(outcomes(), requested - candidates.length)) {
      const want = Math.min(batch, requested - candidates.length);
      const started = performance.now();
      const reply = await ctx.engine.generate(generationRequest(ctx, want));
      const spent = performance.now() - started;
      generationMs += spent;
      usage = addUsage(usage, reply.usage);
      model = reply.model;
      for (const completion of reply.completions.slice(0, want)) {
        const candidate = await runCandidate(ctx, candidates.length, completion.text, spent / want, mode);
        executionMs += candidate.result && !candidate.result.reused ? candidate.result.durationMs : 0;
        candidates.push(candidate);
      }
      if (reply.completions.length === 0) break;
    }

    const decision = decideVote(outcomes());
    const winner = candidates[decision.winner]!;
    if (winner.result) await ctx.executor.commitCandidate(winner.result.candidateId);
    else await ctx.executor.discardCandidates();

    const executed = candidates.filter((c) => c.result && !c.result.reused).length;
    const records = candidates.map((c) => c.record);
    const groupIndex = new Map(decision.groups.map((g, i) => [g.key, i]));
    for (const c of candidates) if (c.outcome !== null) c.record.group = groupIndex.get(c.outcome);
    const vote = {
      mode,
      adaptive,
      groups: decision.groups.map((g) => ({ key: describeVoteKey(g.key), members: g.members })),
      winner: decision.winner,
      reason: decision.reason,
      requested,
      generated: candidates.length,
      executed,
      generationsSaved: requested - candidates.length,
      // Only reuse of identical code saves an execution; a candidate that did not parse never had one.
      executionsSaved: candidates.filter((c) => c.result?.reused).length,
      votingMs: Math.max(0, performance.now() - stepStarted - generationMs - executionMs),
    };
    ctx.emit({ type: "candidates", step: ctx.step, candidates: records, vote });
    const parsed = parseStep(winner.record.completion);
    emitAction(ctx, parsed);
    return {
      completion: winner.record.completion,
      parsed,
      ...(winner.record.parseError !== undefined ? { parseError: winner.record.parseError } : {}),
      ...(winner.result && winner.record.parseError === undefined ? { execution: winner.result } : {}),
      candidates: records,
      vote,
      generationMs,
      executionMs,
      usage,
      model,
    };
  };
}

async function runCandidate(
  ctx: StepContext,
  index: number,
  completion: string,
  generationMs: number,
  mode: "exact" | "normalized",
): Promise<Candidate> {
  const parsed = parseStep(completion);
  const record: CandidateRecord = { index, completion, code: parsed.code, generationMs };
  if (parsed.code === null) {
    record.parseError = parseErrorText(ctx.pack, completion);
    return { record, outcome: null };
  }
  const result = await ctx.executor.runCandidate(parsed.code, {
    timeoutMs: ctx.actionTimeoutMs,
    signal: ctx.signal,
  });
  const { candidateId: _id, reused, ...execution } = result;
  if (reused) record.reused = true;
  if (isUnparsableText(parsed, result)) {
    record.parseError = parseErrorText(ctx.pack, completion);
    return { record, result, outcome: null };
  }
  record.execution = execution;
  if (result.error) return { record, result, outcome: null };
  const key = voteKey(result, mode);
  record.voteKey = describeVoteKey(key);
  return { record, result, outcome: key };
}
