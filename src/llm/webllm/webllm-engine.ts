/**
 * The Engine port on web-llm (WebGPU). The MLC engine runs in a dedicated worker (workers/llm.worker.ts)
 * so generation never blocks the page; this side only translates our requests to web-llm's
 * OpenAI-style ones and its replies, errors and load progress back.
 *
 * `n` > 1 is passed through: web-llm answers non-streaming requests with n choices (it decodes them one
 * after another inside one call). Streaming is used when n = 1 and the caller wants tokens.
 */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionFinishReason,
  ChatCompletionMessageParam,
  ChatCompletionRequestNonStreaming,
  ChatCompletionRequestStreaming,
  CompletionUsage,
  InitProgressReport,
  MLCEngineInterface,
} from "@mlc-ai/web-llm";
import {
  type Engine,
  EngineError,
  type EngineInfo,
  type FinishReason,
  type GenerateRequest,
  type GenerateResult,
  type Usage,
} from "../../ports/engine.ts";
import { cutAtStop } from "../stop.ts";

/** What the adapter uses of a web-llm engine (WebWorkerMLCEngine in the page, a fake in unit tests). */
export interface MLCEngineLike {
  chatCompletion(request: ChatCompletionRequestNonStreaming): Promise<ChatCompletion>;
  chatCompletion(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
  interruptGenerate(): void;
  unload(): Promise<void>;
}

// A compile-time check that the real engine satisfies the slice we use.
type Satisfies<T extends MLCEngineLike> = T;
export type WebLLMEngineSlice = Satisfies<MLCEngineInterface>;

/** Model loading progress, as the page's progress bar shows it. */
export interface LoadProgress {
  /** 0..1 */
  fraction: number;
  text: string;
  elapsedSeconds: number;
}

export function toLoadProgress(report: InitProgressReport): LoadProgress {
  const fraction = Number.isFinite(report.progress) ? Math.min(1, Math.max(0, report.progress)) : 0;
  return { fraction, text: report.text, elapsedSeconds: report.timeElapsed };
}

export class WebLLMEngine implements Engine {
  readonly info: EngineInfo;

  constructor(
    private readonly engine: MLCEngineLike,
    readonly modelId: string,
  ) {
    this.info = { kind: "webllm", label: `${modelId} (web-llm, WebGPU)`, isReplay: false, supportsN: true };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const n = request.n ?? 1;
    if (!Number.isInteger(n) || n < 1)
      throw new EngineError(`n must be a positive integer, got ${n}`, "model");
    throwIfAborted(request.signal);
    const messages = toWebLLMMessages(request.messages);
    const stopInterrupt = interruptOnAbort(this.engine, request.signal);
    try {
      const result =
        n === 1 && request.onToken
          ? await this.stream(request, messages)
          : await this.complete(request, messages, n);
      // web-llm answers an interrupt with the partial text and finish_reason "abort"; the caller asked to stop.
      throwIfAborted(request.signal);
      return result;
    } catch (error) {
      if (request.signal?.aborted) throw new EngineError("generation cancelled", "aborted");
      throw toEngineError(error);
    } finally {
      stopInterrupt();
    }
  }

  /** Frees the GPU memory and the worker's model. */
  async unload(): Promise<void> {
    await this.engine.unload();
  }

  private async complete(
    request: GenerateRequest,
    messages: ChatCompletionMessageParam[],
    n: number,
  ): Promise<GenerateResult> {
    const reply = await this.engine.chatCompletion({ ...sampling(request), messages, n, stream: false });
    if (!Array.isArray(reply?.choices)) {
      throw new EngineError("web-llm returned a reply without choices", "bad-response");
    }
    const choices = [...reply.choices].sort((a, b) => a.index - b.index);
    return {
      completions: choices.map((choice) => ({
        text: cutAtStop(choice.message.content ?? "", request.stop),
        finishReason: toFinish(choice.finish_reason),
      })),
      usage: toUsage(reply.usage),
      model: reply.model || this.modelId,
    };
  }

  private async stream(
    request: GenerateRequest,
    messages: ChatCompletionMessageParam[],
  ): Promise<GenerateResult> {
    const chunks = await this.engine.chatCompletion({
      ...sampling(request),
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: FinishReason = "other";
    let usage: Usage | undefined;
    let model = this.modelId;
    for await (const chunk of chunks) {
      if (chunk.model) model = chunk.model;
      if (chunk.usage) usage = toUsage(chunk.usage);
      const choice = chunk.choices[0];
      const delta = choice?.delta.content ?? "";
      if (delta) {
        text += delta;
        request.onToken?.(delta);
      }
      if (choice?.finish_reason) finish = toFinish(choice.finish_reason);
    }
    return { completions: [{ text: cutAtStop(text, request.stop), finishReason: finish }], usage, model };
  }
}

/** Our message list in web-llm's shape; it takes a system message only first and wants a user message last. */
export function toWebLLMMessages(messages: GenerateRequest["messages"]): ChatCompletionMessageParam[] {
  if (messages.length === 0) throw new EngineError("web-llm needs at least one message", "model");
  const last = messages[messages.length - 1]!;
  if (last.role !== "user") {
    throw new EngineError(
      `web-llm cannot continue a conversation that ends with a message of role ${last.role} (prefix continuation is not supported); use an OpenAI-compatible server for that`,
      "model",
    );
  }
  return messages.map((m, i): ChatCompletionMessageParam => {
    if (m.role === "system") {
      if (i !== 0)
        throw new EngineError("web-llm accepts a system message only as the first message", "model");
      return { role: "system", content: m.content };
    }
    return m.role === "user"
      ? { role: "user", content: m.content }
      : { role: "assistant", content: m.content };
  });
}

/** The sampling fields of a web-llm request (web-llm rejects a non-integer seed, so it is checked here). */
function sampling(request: GenerateRequest) {
  if (request.seed !== undefined && !Number.isInteger(request.seed)) {
    throw new EngineError(`seed must be an integer, got ${request.seed}`, "model");
  }
  return {
    ...(request.stop?.length ? { stop: request.stop } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.topP !== undefined ? { top_p: request.topP } : {}),
    ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
  };
}

function interruptOnAbort(engine: MLCEngineLike, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => {};
  const onAbort = () => engine.interruptGenerate();
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineError("generation cancelled", "aborted");
}

function toFinish(reason: ChatCompletionFinishReason | null | undefined): FinishReason {
  return reason === "stop" || reason === "length" || reason === "abort" ? reason : "other";
}

function toUsage(usage: CompletionUsage | undefined): Usage | undefined {
  if (!usage) return undefined;
  return { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens };
}

/** web-llm's worker rejects with the error's string ("Name: message"), the in-page engine with an Error. */
export function webLLMErrorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

export function toEngineError(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  const text = webLLMErrorText(error);
  if (/ContextWindowSizeExceeded/i.test(text)) {
    return new EngineError(
      `the conversation no longer fits the model's context window; raise the context window in the settings, or use fewer steps (${text})`,
      "model",
    );
  }
  if (/DeviceLost/i.test(text)) {
    return new EngineError(
      `the GPU device was lost (often out of GPU memory); reload the page or pick a smaller model (${text})`,
      "model",
    );
  }
  if (/WebGPUNotAvailable|WebGPUNotFound|Cannot find WebGPU/i.test(text)) {
    return new EngineError(`WebGPU is not available in this browser: ${text}`, "unsupported");
  }
  return new EngineError(`web-llm: ${text}`, "model");
}
