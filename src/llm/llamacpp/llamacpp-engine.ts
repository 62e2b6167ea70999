/**
 * The Engine port on llama.cpp in Node (node-llama-cpp): a GGUF model on the CPU (or a GPU when one is
 * there), no server. This side renders the model's own chat template, tokenizes, samples token by
 * token on one context sequence and turns tokens back into text; loading lives in load.ts.
 *
 * Prefix reuse: the sequence keeps the KV cache of whatever it evaluated last. Each completion keeps
 * the longest common prefix of that state and the new prompt and evaluates only the rest, so
 * - the n candidates of one SAG step evaluate the prompt once: candidates 2..n re-evaluate just its last
 *   token (node-llama-cpp 3.21.1 has no public way to copy one sequence's cache into another, so the
 *   candidates are decoded one after another on the shared prefix rather than in one batch);
 * - each agent step evaluates only the messages added since the previous step.
 * The last prompt token is always evaluated on its own, so a given seed samples from the same logits
 * however much of the prefix was cached: the same request and seed give the same text.
 */
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import {
  type Completion,
  type Engine,
  EngineError,
  type EngineInfo,
  type GenerateRequest,
  type GenerateResult,
} from "../engine.ts";
import { renderChatPrompt } from "./chat-template.ts";
import { CompletionText } from "./completion-text.ts";

export interface LlamaCppEngineParts {
  model: LlamaModel;
  /** The one sequence all completions run on (its cached state is the reused prefix). */
  sequence: LlamaContextSequence;
  /** Shown in traces, e.g. the GGUF's file name. */
  modelName: string;
  /** Frees the context, the model and the runtime. */
  dispose?: () => Promise<void>;
}

/** Counters of evaluation work, for tests and benchmarks (how much of the prompts was actually evaluated). */
export interface LlamaCppStats {
  /** Prompt tokens sent for evaluation (those not already in the cache). */
  promptTokensEvaluated: number;
  /** Prompt tokens found in the cache and reused. */
  promptTokensReused: number;
}

interface Sampling {
  temperature?: number;
  topP?: number;
  seed?: number;
}

export class LlamaCppEngine implements Engine {
  readonly info: EngineInfo;
  readonly stats: LlamaCppStats = { promptTokensEvaluated: 0, promptTokensReused: 0 };
  /** Completions run one at a time: they share the sequence (eval --concurrency calls concurrently). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly parts: LlamaCppEngineParts) {
    this.info = {
      kind: "llamacpp",
      label: `llama.cpp: ${parts.modelName}`,
      isReplay: false,
      supportsN: true,
    };
  }

  /** The context window, in tokens. */
  get contextSize(): number {
    return this.parts.sequence.contextSize;
  }

  /** Tokens llama.cpp evaluated on the sequence so far (prompts and fed-back output), by its own meter. */
  get evaluatedTokens(): number {
    return this.parts.sequence.tokenMeter.usedInputTokens;
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
    const completions: Completion[] = [];
    let completionTokens = 0;
    for (let i = 0; i < n; i++) {
      const seed = request.seed === undefined ? undefined : request.seed + i;
      const { completion, tokens } = await this.complete(prompt, request, {
        maxTokens,
        sampling: { temperature: request.temperature, topP: request.topP, seed },
        onToken: n === 1 ? request.onToken : undefined,
      });
      completions.push(completion);
      completionTokens += tokens;
    }
    // The prompt is evaluated once for all n completions, so it is counted once.
    return {
      completions,
      usage: { promptTokens: prompt.length, completionTokens },
      model: this.parts.modelName,
    };
  }

  private async complete(
    prompt: Token[],
    request: GenerateRequest,
    options: { maxTokens: number; sampling: Sampling; onToken?: (delta: string) => void },
  ): Promise<{ completion: Completion; tokens: number }> {
    const sequence = this.parts.sequence;
    const last = prompt[prompt.length - 1]!;
    await this.loadPrefix(prompt.slice(0, -1));
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

  /** Makes the sequence's state equal `prefix`: keeps the cached common part, evaluates the rest. */
  private async loadPrefix(prefix: Token[]): Promise<void> {
    const sequence = this.parts.sequence;
    const common = Math.min(sequence.compareContextTokens(prefix).firstDifferentIndex, prefix.length);
    if (sequence.nextTokenIndex > common) {
      await sequence.eraseContextTokenRanges([{ start: common, end: sequence.nextTokenIndex }]);
    }
    if (common < prefix.length) await sequence.evaluateWithoutGeneratingNewTokens(prefix.slice(common));
    this.stats.promptTokensReused += common;
    // The last prompt token, evaluated with each completion, is counted here too.
    this.stats.promptTokensEvaluated += prefix.length - common + 1;
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineError("generation cancelled", "aborted");
}
