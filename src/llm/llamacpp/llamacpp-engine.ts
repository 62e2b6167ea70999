/**
 * The Engine port on llama.cpp in Node (node-llama-cpp): a GGUF model on the CPU (or a GPU when one is
 * there), no server. This side renders the model's own chat template, tokenizes, samples token by token
 * and turns tokens back into text; loading lives in load.ts, prefix sharing in prefix-cache.ts.
 *
 * SAG without n prefills: the prompt is evaluated once; the n candidates are decoded one after another,
 * each on a context sequence holding a copy of the prompt's KV cache (side-by-side decoding corrupted
 * candidates with node-llama-cpp 3.21.1, see run()). Consecutive requests reuse whatever prefix is still
 * cached.
 * The last prompt token is always evaluated with each candidate, alone, so a given seed samples from the
 * same logits however the prefix got into the cache: the same request and seed give the same text.
 */
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import {
  type Completion,
  type Engine,
  EngineError,
  type EngineInfo,
  type GenerateRequest,
  type GenerateResult,
} from "../../ports/engine.ts";
import { renderChatPrompt } from "../chat-template.ts";
import { CompletionText } from "./completion-text.ts";
import { PrefixCache, type PrefixStats } from "./prefix-cache.ts";

export interface LlamaCppEngineParts {
  model: LlamaModel;
  /** The context's sequences: each candidate of a request decodes on its own (at least one). */
  sequences: LlamaContextSequence[];
  /** Shown in traces, e.g. the GGUF's file name. */
  modelName: string;
  /** Frees the context, the model and the runtime. */
  dispose?: () => Promise<void>;
}

interface Sampling {
  temperature?: number;
  topP?: number;
  seed?: number;
}

export class LlamaCppEngine implements Engine {
  readonly info: EngineInfo;
  private readonly prefixes: PrefixCache;
  /** Requests run one at a time: they share the sequences (eval --concurrency calls concurrently). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly parts: LlamaCppEngineParts) {
    this.prefixes = new PrefixCache(parts.sequences);
    this.info = {
      kind: "llamacpp",
      label: `llama.cpp: ${parts.modelName}`,
      isReplay: false,
      supportsN: true,
    };
  }

  /** The context window, in tokens. */
  get contextSize(): number {
    return this.parts.sequences[0]!.contextSize;
  }

  /** How the prompt tokens were obtained: evaluated, reused from a cache, or copied between sequences. */
  get promptStats(): Readonly<PrefixStats> {
    return this.prefixes.stats;
  }

  /** Tokens llama.cpp decoded on all sequences so far (prompts and fed-back output), by its own meter. */
  get decodedTokens(): number {
    let total = 0;
    for (const sequence of this.parts.sequences) {
      total += sequence.tokenMeter.usedInputTokens + sequence.tokenMeter.usedOutputTokens;
    }
    return total;
  }

  /** The prompt text the model sees for these messages (its chat template, rendered). */
  renderPrompt(messages: GenerateRequest["messages"]): string {
    const template = this.parts.model.fileInfo.metadata.tokenizer?.chat_template;
    if (typeof template !== "string" || !template) {
      throw new EngineError(
        `${this.parts.modelName} has no chat template (tokenizer.chat_template) in its GGUF metadata`,
        "model",
      );
    }
    const tokens = this.parts.model.tokens;
    return renderChatPrompt(template, messages, {
      bosToken: tokens.bosString ?? undefined,
      eosToken: tokens.eosString ?? undefined,
    });
  }

  /** The prompt's tokens, special-token markers (e.g. <|im_start|>) included as such. */
  tokenizePrompt(prompt: string): Token[] {
    return this.parts.model.tokenize(prompt, true);
  }

  generate(request: GenerateRequest): Promise<GenerateResult> {
    const run = this.queue.then(() => this.run(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    await this.queue;
    await this.prefixes.dispose();
    await this.parts.dispose?.();
  }

  private async run(request: GenerateRequest): Promise<GenerateResult> {
    const n = request.n ?? 1;
    if (!Number.isInteger(n) || n < 1)
      throw new EngineError(`n must be a positive integer, got ${n}`, "model");
    throwIfAborted(request.signal);
    const prompt = this.tokenizePrompt(this.renderPrompt(request.messages));
    const room = this.contextSize - prompt.length;
    if (room < 1) {
      throw new EngineError(
        `the prompt is ${prompt.length} tokens but ${this.parts.modelName}'s context holds ${this.contextSize}; use a larger context (--context-size) or fewer steps`,
        "model",
      );
    }
    const maxTokens = Math.min(request.maxTokens ?? room, room);
    const prefix = prompt.slice(0, -1);
    const last = prompt[prompt.length - 1]!;
    const completions: Completion[] = [];
    let completionTokens = 0;
    while (completions.length < n) {
      const sequences = await this.prefixes.hold(prefix, n - completions.length);
      // One candidate after another, each on its own copy of the prompt's cache. Decoding them side by
      // side (one llama.cpp batch per token) corrupted candidates with node-llama-cpp 3.21.1: at n 5 and
      // temperature 0, 9-14 of 40 questions got greedy candidates that differed by a token or two;
      // decoded in turn, none did (tests/integration/micro-model.test.ts).
      for (const [j, sequence] of sequences.entries()) {
        const i = completions.length;
        const { completion, tokens } = await this.complete(sequence, last, request, {
          maxTokens,
          sampling: {
            temperature: request.temperature,
            topP: request.topP,
            seed: request.seed === undefined ? undefined : request.seed + i,
          },
          onToken: n === 1 && j === 0 ? request.onToken : undefined,
        });
        completions.push(completion);
        completionTokens += tokens;
      }
    }
    // The prompt is evaluated once for all n completions, so it is counted once.
    return {
      completions,
      usage: { promptTokens: prompt.length, completionTokens },
      model: this.parts.modelName,
    };
  }

  /** Samples one completion on `sequence`, which holds the prompt but its `last` token. */
  private async complete(
    sequence: LlamaContextSequence,
    last: Token,
    request: GenerateRequest,
    options: { maxTokens: number; sampling: Sampling; onToken?: (delta: string) => void },
  ): Promise<{ completion: Completion; tokens: number }> {
    const text = new CompletionText(request.stop);
    const generated: Token[] = [];
    let finishReason: Completion["finishReason"] = "stop";
    try {
      const tokens = sequence.evaluate([last], {
        temperature: options.sampling.temperature,
        topP: options.sampling.topP,
        // OpenAI-style sampling has no top-k; node-llama-cpp would default to 40.
        topK: 0,
        seed: options.sampling.seed,
      });
      for await (const token of tokens) {
        throwIfAborted(request.signal);
        generated.push(token);
        const delta = text.update(this.parts.model.detokenize(generated));
        if (delta) options.onToken?.(delta);
        if (text.stopped) break;
        if (generated.length >= options.maxTokens) {
          finishReason = "length";
          break;
        }
      }
      // The loop also ends without a break when the model emits an end-of-generation token: "stop".
      throwIfAborted(request.signal);
    } catch (error) {
      if (request.signal?.aborted) throw new EngineError("generation cancelled", "aborted");
      if (error instanceof EngineError) throw error;
      throw new EngineError(`llama.cpp: ${error instanceof Error ? error.message : String(error)}`, "model");
    }
    const rest = text.finish();
    if (rest) options.onToken?.(rest);
    return { completion: { text: text.text, finishReason }, tokens: generated.length };
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineError("generation cancelled", "aborted");
}
