/**
 * Any OpenAI-compatible chat-completions server: vLLM, llama.cpp server, Ollama, and hosted APIs.
 * Uses fetch only, so it runs in Node and in the browser.
 */
import {
  addUsage,
  type ChatMessage,
  type Completion,
  type Engine,
  EngineError,
  type EngineInfo,
  type FinishReason,
  type GenerateRequest,
  type GenerateResult,
  type Usage,
} from "../../ports/engine.ts";
import { readServerSentEvents } from "./sse.ts";

export interface OpenAIEngineOptions {
  /** Base URL including the version path, e.g. http://127.0.0.1:8000/v1 */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Per-request time limit, ms (default 120 000). */
  timeoutMs?: number;
  /** Retries on 429, 5xx and dropped connections (default 3). */
  maxRetries?: number;
  /** First backoff delay, ms; doubles each retry (default 500). */
  backoffMs?: number;
  /** Whether the server honours `n` > 1 (default: true, and learned from the first reply that returns fewer). */
  supportsN?: boolean;
  fetch?: typeof fetch;
  /**
   * Origin of the page the engine runs in (default: `location.origin` in a browser, none in Node). A
   * browser hides why a cross-origin request failed; with it, the error can name CORS as a cause.
   */
  pageOrigin?: string;
}

interface WireChoice {
  index?: number;
  message?: { content?: string | null };
  delta?: { content?: string | null };
  finish_reason?: string | null;
}

interface WireResponse {
  model?: string;
  choices?: WireChoice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  error?: { message?: string } | string;
}

export class OpenAIEngine implements Engine {
  readonly info: EngineInfo;
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: OpenAIEngineOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.info = {
      kind: "openai",
      label: `${options.model} @ ${this.baseUrl}`,
      isReplay: false,
      supportsN: options.supportsN ?? true,
    };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const n = request.n ?? 1;
    if (n === 1 && request.onToken) return this.stream(request);
    if (!this.info.supportsN && n > 1) return this.oneByOne(request, n);
    const reply = await this.post(this.body(request, n, false), request.signal);
    const result = this.toResult(reply);
    if (result.completions.length < n) {
      // llama.cpp server and Ollama ignore `n`: remember, and fetch the rest one at a time.
      this.info.supportsN = false;
      const rest = await this.oneByOne(request, n - result.completions.length);
      return {
        completions: [...result.completions, ...rest.completions],
        usage: addUsage(result.usage, rest.usage),
        model: result.model,
      };
    }
    return result;
  }

  private async oneByOne(request: GenerateRequest, n: number): Promise<GenerateResult> {
    const completions: Completion[] = [];
    let usage: Usage | undefined;
    let model = this.options.model;
    for (let i = 0; i < n; i++) {
      const seed = request.seed === undefined ? undefined : request.seed + i;
      const reply = this.toResult(await this.post(this.body({ ...request, seed }, 1, false), request.signal));
      completions.push(...reply.completions.slice(0, 1));
      usage = addUsage(usage, reply.usage);
      model = reply.model;
    }
    return { completions, usage, model };
  }

  private body(request: GenerateRequest, n: number, stream: boolean): Record<string, unknown> {
    const body: Record<string, unknown> = {
      model: this.options.model,
      messages: request.messages.map((m: ChatMessage) => ({ role: m.role, content: m.content })),
      stream,
    };
    if (n !== 1) body["n"] = n;
    if (request.stop?.length) body["stop"] = request.stop;
    if (request.temperature !== undefined) body["temperature"] = request.temperature;
    if (request.topP !== undefined) body["top_p"] = request.topP;
    if (request.maxTokens !== undefined) body["max_tokens"] = request.maxTokens;
    if (request.seed !== undefined) body["seed"] = request.seed;
    if (stream) body["stream_options"] = { include_usage: true };
    return request.extraBody ? { ...request.extraBody, ...body } : body;
  }

  private async stream(request: GenerateRequest): Promise<GenerateResult> {
    const response = await this.send(this.body(request, 1, true), request.signal);
    if (!response.body) throw new EngineError(`${this.baseUrl}: streaming reply has no body`, "bad-response");
    if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
      // Some servers ignore `stream` and answer with one JSON body: read it as a plain reply.
      const result = this.toResult(this.checkReply(await response.text()));
      if (result.completions[0]?.text) request.onToken?.(result.completions[0].text);
      return result;
    }
    let text = "";
    let finish: FinishReason = "other";
    let usage: Usage | undefined;
    let model = this.options.model;
    for await (const data of readServerSentEvents(response.body)) {
      if (data === "[DONE]") break;
      const chunk = parseJson(data, this.baseUrl) as WireResponse;
      if (chunk.model) model = chunk.model;
      if (chunk.usage) usage = toUsage(chunk.usage);
      const choice = chunk.choices?.[0];
      const delta = choice?.delta?.content ?? "";
      if (delta) {
        text += delta;
        request.onToken?.(delta);
      }
      if (choice?.finish_reason) finish = toFinish(choice.finish_reason);
    }
    return { completions: [{ text, finishReason: finish }], usage, model };
  }

  private async post(body: Record<string, unknown>, signal?: AbortSignal): Promise<WireResponse> {
    const response = await this.send(body, signal);
    return this.checkReply(await response.text());
  }

  private checkReply(raw: string): WireResponse {
    const reply = parseJson(raw, this.baseUrl) as WireResponse;
    if (!Array.isArray(reply.choices)) {
      throw new EngineError(
        `${this.baseUrl}: reply has no \`choices\` array: ${raw.slice(0, 200)}`,
        "bad-response",
      );
    }
    return reply;
  }

  /** POST with time limit and retries; returns a 2xx response or throws an EngineError that says what to do. */
  private async send(body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
    const url = `${this.baseUrl}/chat/completions`;
    const maxRetries = this.options.maxRetries ?? 3;
    const timeoutMs = this.options.timeoutMs ?? 120_000;
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
          },
          body: JSON.stringify(body),
          signal: combined,
        });
      } catch (error) {
        if (signal?.aborted) throw new EngineError("generation cancelled", "aborted");
        if (timeout.aborted) {
          if (attempt < maxRetries) {
            await this.backoff(attempt, signal);
            continue;
          }
          throw new EngineError(`${url}: no reply within ${timeoutMs} ms`, "timeout");
        }
        const failure = networkFailure(url, error, this.options.pageOrigin ?? pageOrigin());
        if (failure.retry && attempt < maxRetries) {
          await this.backoff(attempt, signal);
          continue;
        }
        throw new EngineError(failure.message, "unreachable");
      }
      if (response.ok) return response;
      const detail = errorDetail(await response.text().catch(() => ""));
      if ((response.status === 429 || response.status >= 500) && attempt < maxRetries) {
        await this.backoff(attempt, signal, response.headers.get("retry-after"));
        continue;
      }
      if (response.status === 404 || /model/i.test(detail)) {
        const known = await this.listModels().catch(() => undefined);
        if (known && !known.includes(this.options.model)) {
          throw new EngineError(
            `model "${this.options.model}" is not served by ${this.baseUrl}; it serves: ${known.join(", ") || "(none)"}`,
            "model",
            response.status,
          );
        }
      }
      if (response.status === 401 || response.status === 403) {
        throw new EngineError(
          `${url}: ${response.status} unauthorized (check --api-key): ${detail}`,
          "http",
          response.status,
        );
      }
      throw new EngineError(`${url}: HTTP ${response.status}: ${detail}`, "http", response.status);
    }
  }

  /** The model ids the server lists at /models. */
  async listModels(): Promise<string[]> {
    const response = await this.fetchImpl(`${this.baseUrl}/models`, {
      headers: this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok)
      throw new EngineError(`${this.baseUrl}/models: HTTP ${response.status}`, "http", response.status);
    const data = parseJson(await response.text(), this.baseUrl) as { data?: { id?: string }[] };
    return (data.data ?? []).map((m) => m.id ?? "").filter(Boolean);
  }

  private async backoff(attempt: number, signal?: AbortSignal, retryAfter?: string | null): Promise<void> {
    const hinted = retryAfter ? Number(retryAfter) * 1000 : Number.NaN;
    const delay = Number.isFinite(hinted)
      ? Math.min(hinted, 30_000)
      : (this.options.backoffMs ?? 500) * 2 ** attempt;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, delay);
      signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          reject(new EngineError("generation cancelled", "aborted"));
        },
        { once: true },
      );
    });
  }

  private toResult(reply: WireResponse): GenerateResult {
    const choices = [...(reply.choices ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return {
      completions: choices.map((c) => ({
        text: c.message?.content ?? "",
        finishReason: toFinish(c.finish_reason),
      })),
      usage: reply.usage ? toUsage(reply.usage) : undefined,
      model: reply.model ?? this.options.model,
    };
  }
}

function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new EngineError(`${origin}: reply is not JSON: ${text.slice(0, 200) || "(empty)"}`, "bad-response");
  }
}

function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as WireResponse;
    const error = parsed.error;
    if (typeof error === "string") return error;
    if (error?.message) return error.message;
  } catch {
    // not JSON: show the text itself
  }
  return body.slice(0, 300) || "(empty body)";
}

/** Node's refusals that another try a moment later will not change: nothing listens, no such host. */
const FINAL_NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_NONAME", "ERR_INVALID_URL"]);

/**
 * Why a request got no reply, and whether retrying can help. A dropped connection (ECONNRESET, a
 * server restarting) is retried; a refused one fails at once. In a browser every failure is the same
 * opaque "Failed to fetch": for a cross-origin server that is either no server or a server that does
 * not allow the page's origin (CORS), and the message says both, with how to allow it.
 */
export function networkFailure(
  url: string,
  error: unknown,
  origin: string | undefined,
): { message: string; retry: boolean } {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code;
  if (code) {
    return {
      message: `cannot reach ${url}: ${code}${code === "ECONNREFUSED" ? "; is the server running?" : ""}`,
      retry: !FINAL_NETWORK_CODES.has(code),
    };
  }
  const detail = cause?.message ?? (error instanceof Error ? error.message : String(error));
  let target: string | undefined;
  try {
    target = new URL(url).origin;
  } catch {
    target = undefined;
  }
  if (origin && target && origin !== target && error instanceof TypeError) {
    return {
      message:
        `cannot reach ${url} from this page (${detail}): either no server answers there, or it does not allow ` +
        `requests from ${origin} (CORS; the browser does not say which). If it is running, allow the origin: ` +
        `vLLM: --allowed-origins '["${origin}"]'; llama.cpp: llama-server --cors-origins ${origin}; ` +
        `Ollama: OLLAMA_ORIGINS=${origin} ollama serve`,
      retry: false,
    };
  }
  return { message: `cannot reach ${url}: ${detail}; is the server running?`, retry: true };
}

/** The origin of the page this runs in; undefined outside a browser (and for opaque origins). */
function pageOrigin(): string | undefined {
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
  return origin && origin !== "null" ? origin : undefined;
}

function toFinish(reason: string | null | undefined): FinishReason {
  if (reason === "stop" || reason === "length") return reason;
  return "other";
}

function toUsage(u: { prompt_tokens?: number; completion_tokens?: number }): Usage {
  return { promptTokens: u.prompt_tokens ?? 0, completionTokens: u.completion_tokens ?? 0 };
}
