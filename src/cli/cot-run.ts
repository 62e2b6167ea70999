/**
 * `eval --mode cot`: the chain-of-thought baseline (src/eval/cot.ts) as eval's per-question run. No
 * Python runs; with --use-rag the question itself is the search query over the shard, as the reference's
 * --use_rag retrieves with the question.
 */
import { cotMessages, DEFAULT_COT_PROMPT, loadCotPrompt } from "../distill/first-thought.ts";
import type { Benchmark } from "../eval/benchmark.ts";
import { cotAnswer, cotTrajectory } from "../eval/cot.ts";
import { readSource } from "../eval/node/read-source.ts";
import { questionRecord, type RunRecord } from "../eval/record.ts";
import type { Scorer } from "../eval/score.ts";
import type { Engine } from "../ports/engine.ts";
import type { Executor } from "../ports/executor.ts";
import { openShardSearcher } from "../retrieval/open-shard.ts";
import { formatRetrievedDocuments } from "../retrieval/search.ts";

export interface CotRunOptions {
  cotPrompt?: string;
  useRag?: boolean;
  shard?: string;
  n: number;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
}

/** Passages per question with --use-rag (the reference's retriever returns 3). */
const RAG_PASSAGES = 3;

/** The CoT prompt's name as records carry it ("cot:<file>" or "cot:default"). */
export function cotPromptName(options: Pick<CotRunOptions, "cotPrompt">): string {
  return options.cotPrompt ?? "default";
}

export async function cotRunner(
  options: CotRunOptions,
  benchmark: Benchmark,
  engine: Engine,
  score: Scorer,
): Promise<
  (example: Benchmark["examples"][number], executor: Executor, signal: AbortSignal) => Promise<RunRecord>
> {
  const systemPrompt = options.cotPrompt
    ? loadCotPrompt(await readSource(options.cotPrompt, "CoT prompt"), options.cotPrompt)
    : DEFAULT_COT_PROMPT;
  if (options.useRag && !options.shard) throw new Error("--use-rag retrieves from a shard: give --shard DIR");
  const searcher =
    options.useRag && options.shard ? await openShardSearcher({ path: options.shard }) : undefined;
  // As given: no SAG defaults for a CoT run.
  const sampling = {
    n: options.n,
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.topP !== undefined ? { topP: options.topP } : {}),
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
  return async (example, _executor, signal) => {
    const started = performance.now();
    const retrieved = searcher
      ? formatRetrievedDocuments(searcher.search(example.question, RAG_PASSAGES))
      : undefined;
    const messages = cotMessages(systemPrompt, example.question, retrieved);
    const result = await engine.generate({ messages, ...sampling, signal });
    const replies = result.completions.map((c) => c.text);
    if (!replies.length) throw new Error(`the model gave no completion for question ${example.id}`);
    const { answer, index } = cotAnswer(benchmark.kind, replies);
    const trajectory = cotTrajectory({
      question: example.question,
      messages,
      reply: replies[index]!,
      answer,
      engine: engine.info,
      model: result.model,
      promptName: cotPromptName(options),
      settings: sampling,
      ...(result.usage ? { usage: result.usage } : {}),
      durationMs: performance.now() - started,
    });
    return questionRecord(
      benchmark.kind,
      example,
      trajectory,
      await score(benchmark.kind, answer, example, signal),
    );
  };
}

/** CoT runs need no Python: this stands where eval would start a Pyodide worker per question slot. */
export const NO_EXECUTOR: Executor = {
  run: async () => {
    throw new Error("a CoT run executes no code");
  },
  runCandidate: async () => {
    throw new Error("a CoT run executes no code");
  },
  commitCandidate: async () => {},
  discardCandidates: async () => {},
  reset: async () => {},
  dispose: async () => {},
};
