/**
 * The Engine port on llama.cpp compiled to WebAssembly (@wllama/wllama 3.x): a GGUF model on the CPU of
 * any browser, no WebGPU needed. wllama runs llama.cpp's own server loop (llama-server's server-context)
 * in its worker, so generation never blocks the page; this side renders the prompt and translates our
 * requests and its replies. Loading lives in load.ts.
 *
 * - The prompt is the model's own chat template (GGUF `tokenizer.chat_template`) rendered here, by the
 *   same code as the Node llama.cpp engine (src/llm/chat-template.ts), and sent as a raw completion: the
 *   text the model sees does not depend on which llama.cpp build renders templates.
 * - Stop sequences, max_tokens, temperature, top_p and seed go to llama.cpp's sampler as a server takes
 *   them; top_k and min_p are switched off so sampling means what it means for vLLM and OpenAI.
 * - SAG without n prefills: the n candidates are decoded one after another, each a llama.cpp task that
 *   finds the prompt in its slot's KV cache (cache_prompt) and evaluates only its last token again (which
 *   llama.cpp always re-evaluates to get fresh logits). wllama 3.13 returns one choice per task: `n` and
 *   `n_cmpl` are accepted and ignored (measured in Chromium), so side-by-side decoding is not available.
 *   Consecutive agent steps reuse the prompt prefix they share the same way.
 */
import type { RawCompletionChunk, RawCompletionParams, RawCompletionResponse } from "@wllama/wllama";
import {
  type Completion,
  type Engine,
  EngineError,
  type EngineInfo,
  type FinishReason,
  type GenerateRequest,
  type GenerateResult,
} from "../../ports/engine.ts";
import { renderChatPrompt } from "../chat-template.ts";

/**
 * What the adapter uses of a loaded Wllama (the real one in the page, a fake in unit tests). createCompletion
 * is typed by its two call shapes only (whole reply, or chunks to onData).
 */
export interface WllamaRuntime {
  createCompletion(options: RawCompletionParams & { stream?: false }): Promise<RawCompletionResponse>;
  createCompletion(
    options: RawCompletionParams & { stream: true; onData: (chunk: RawCompletionChunk) => void },
  ): Promise<void>;
  getChatTemplate(): string | null;
  exit(): Promise<void>;
}

export interface WllamaEngineParts {
  wllama: WllamaRuntime;
  /** Shown in traces, e.g. the catalog label or the GGUF's file name. */
  modelName: string;
  /** The context window the model was loaded with, in tokens. */
  contextSize: number;
  /** CPU threads llama.cpp uses (1: the single-threaded path). */
  threads: number;
  /** Special-token texts the chat template may use (bos_token, eos_token). */
  bosToken?: string;
  eosToken?: string;
}

/** How the prompt tokens of all requests were obtained, as llama.cpp reports them (tests and benchmarks). */
export interface WllamaPromptStats {
  /** Prompt tokens the model evaluated. */
  evaluated: number;
  /** Prompt tokens found in a slot's KV cache and not evaluated again. */
  reused: number;
  /** llama.cpp tasks sent (one per candidate). */
  tasks: number;
}

/** llama.cpp's own timings of the last task: prefill and decode speed without any of this adapter's time. */
export interface WllamaTimings {
  promptTokens: number;
  promptMs: number;
  predictedTokens: number;
  predictedMs: number;
}

export class WllamaEngine implements Engine {
  readonly info: EngineInfo;
  readonly stats: WllamaPromptStats = { evaluated: 0, reused: 0, tasks: 0 };
  /** llama.cpp's timings of the most recent task (undefined before the first). */
  lastTimings: WllamaTimings | undefined;
  /** wllama serves one request at a time well; the agent never overlaps them, eval might. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly parts: WllamaEngineParts) {
    this.info = {
      kind: "wllama",
      label: `${parts.modelName} (llama.cpp WebAssembly, CPU, ${parts.threads} thread${parts.threads === 1 ? "" : "s"})`,
      isReplay: false,
      supportsN: true,
    };
  }

  get contextSize(): number {
    return this.parts.contextSize;
  }

  /** The prompt text the model sees for these messages (its chat template, rendered). */
  renderPrompt(messages: GenerateRequest["messages"]): string {
    const template = this.parts.wllama.getChatTemplate();
    if (!template) {
      throw new EngineError(
        `${this.parts.modelName} has no chat template (tokenizer.chat_template) in its GGUF metadata`,
        "model",
      );
    }
    return renderChatPrompt(template, messages, {
      bosToken: this.parts.bosToken,
      eosToken: this.parts.eosToken,
    });
  }

  generate(request: GenerateRequest): Promise<GenerateResult> {
    const run = this.queue.then(() => this.run(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Frees the model and stops wllama's worker. */
  async dispose(): Promise<void> {
    await this.queue;
    await this.parts.wllama.exit();
  }

  private async run(request: GenerateRequest): Promise<GenerateResult> {
    const n = request.n ?? 1;
    if (!Number.isInteger(n) || n < 1)
      throw new EngineError(`n must be a positive integer, got ${n}`, "model");
    throwIfAborted(request.signal);
    const prompt = this.renderPrompt(request.messages);
    const completions: Completion[] = [];
    let promptTokens: number | undefined;
    let completionTokens = 0;
    for (let i = 0; i < n; i++) {
      const params = this.params(request, prompt, i);
      const reply =
        n === 1 && request.onToken
          ? await this.stream(params, request.onToken, request.signal)
          : await this.call(() => this.parts.wllama.createCompletion({ ...params, stream: false }), request);
      throwIfAborted(request.signal);
      const choice = reply.choices[0];
      if (!choice) throw new EngineError("llama.cpp returned no completion", "bad-response");
      completions.push({ text: choice.text, finishReason: finishReason(choice.finish_reason) });
      // The prompt is evaluated once for all candidates (the later ones find it cached): counted once.
      promptTokens ??= reply.usage?.prompt_tokens;
      completionTokens += reply.usage?.completion_tokens ?? 0;
      this.record(reply.timings);
    }
    return {
      completions,
      usage: { promptTokens: promptTokens ?? 0, completionTokens },
      model: this.parts.modelName,
    };
  }

  private params(
    request: GenerateRequest,
    prompt: string,
    candidate: number,
  ): RawCompletionParams & { cache_prompt: boolean } {
    return {
      prompt,
      // Keep the prompt's KV cache in its slot: the next candidate and the next agent step start with it.
      cache_prompt: true,
      ...(request.stop?.length ? { stop: request.stop } : {}),
      ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.topP !== undefined ? { top_p: request.topP } : {}),
      // OpenAI-style sampling has neither top-k nor min-p; llama.cpp would default to 40 and 0.05.
      top_k: 0,
      min_p: 0,
      // Each candidate gets its own seed, or a seeded request would give n copies of one sample.
      ...(request.seed !== undefined ? { seed: request.seed + candidate } : {}),
      ...(request.signal ? { abortSignal: request.signal } : {}),
    };
  }

  /** One candidate, its text handed to onToken as llama.cpp produces it (stop sequences already held back). */
  private async stream(
    params: RawCompletionParams,
    onToken: (delta: string) => void,
    signal: AbortSignal | undefined,
  ): Promise<RawCompletionResponse> {
    let text = "";
    let finish: RawCompletionChunk["choices"][number]["finish_reason"] = null;
    let last: RawCompletionChunk | undefined;
    await this.call(
      () =>
        this.parts.wllama.createCompletion({
          ...params,
          stream: true,
          onData: (chunk) => {
            last = chunk;
            const choice = chunk.choices[0];
            if (!choice) return;
            if (choice.text && !signal?.aborted) {
              text += choice.text;
              onToken(choice.text);
            }
            finish = choice.finish_reason ?? finish;
          },
        }),
      { signal },
    );
    return {
      id: last?.id ?? "",
      object: "text_completion",
      created: last?.created ?? 0,
      model: last?.model ?? "",
      choices: [{ text, index: 0, finish_reason: finish, logprobs: null }],
      usage: last?.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      ...(last?.timings ? { timings: last.timings } : {}),
    };
  }

  /** Runs a wllama call and turns its failures into EngineErrors the page can show as they are. */
  private async call<T>(fn: () => Promise<T>, request: Pick<GenerateRequest, "signal">): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (request.signal?.aborted || (error instanceof Error && error.name === "AbortError")) {
        throw new EngineError("generation cancelled", "aborted");
      }
      const message = error instanceof Error ? error.message : String(error);
      const overflow = /request \((\d+) tokens\) exceeds the available context size \((\d+) tokens\)/.exec(
        message,
      );
      if (overflow) {
        throw new EngineError(
          `the prompt is ${overflow[1]} tokens but ${this.parts.modelName}'s context holds ${overflow[2]}; use a model with a larger context or fewer steps`,
          "model",
        );
      }
      if (message.includes("Invalid typed array length")) {
        // wllama 3.13 serialises llama.cpp's reply as strict JSON (nlohmann's dump() without its replace
        // handler): when the model writes bytes that are not valid UTF-8, the C++ side throws and the
        // worker reads a reply that was never written. Seen with random-weight models in Chromium 156.
        throw new EngineError(
          "llama.cpp (WebAssembly) could not hand back its reply: wllama 3.13 fails this way when the model writes bytes that are not valid UTF-8",
          "bad-response",
        );
      }
      throw new EngineError(`llama.cpp (WebAssembly): ${message}`, "model");
    }
  }

  private record(timings: RawCompletionResponse["timings"]): void {
    this.stats.tasks += 1;
    if (!timings) return;
    this.stats.evaluated += timings.prompt_n;
    this.stats.reused += timings.cache_n;
    this.lastTimings = {
      promptTokens: timings.prompt_n,
      promptMs: timings.prompt_ms,
      predictedTokens: timings.predicted_n,
      predictedMs: timings.predicted_ms,
    };
  }
}

function finishReason(reason: string | null | undefined): FinishReason {
  if (reason === "stop" || reason === "length") return reason;
  return reason ? "other" : "stop";
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineError("generation cancelled", "aborted");
}
