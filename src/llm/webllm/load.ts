/**
 * Loading a web-llm model: WebGPU check first, then the worker, then web-llm's download (weights go to
 * the Cache API, so later visits load offline) with progress reports. A failed download is explained by
 * probing the URLs web-llm fetched: web-llm itself only says "Request failed".
 *
 * web-llm itself lives in the worker only (worker-host.ts): this side speaks to it through comlink
 * (WebLLMWorkerApi) and imports nothing of web-llm's code, so the page never downloads its 6 MB.
 */
import type { ChatCompletionRequest, InitProgressReport } from "@mlc-ai/web-llm";
import { type Endpoint, proxy, wrap } from "comlink";
import { EngineError } from "../../ports/engine.ts";
import type { ModelChoice } from "./model-config.ts";
import { checkWebGPU, type GpuNavigator } from "./webgpu.ts";
import { type LoadProgress, type MLCEngineLike, toLoadProgress, WebLLMEngine } from "./webllm-engine.ts";
import type { ModelFile, WebLLMWorkerApi } from "./worker-protocol.ts";

export interface WorkerLike {
  terminate(): void;
}

export interface WebLLMLoadOptions {
  model: ModelChoice;
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
  /** Defaults to the page's navigator. */
  navigator?: GpuNavigator;
  /** Starts workers/llm.worker.ts (see spawn-worker.ts). */
  spawnWorker: () => WorkerLike;
  /** The worker's API (default: comlink over the worker; unit tests pass worker-host's webLLMWorkerApi). */
  connect?: (worker: WorkerLike) => WebLLMWorkerApi;
  /** Relative custom-model URLs resolve against this (default: the page's address). */
  pageUrl?: string;
  fetch?: typeof fetch;
}

export async function loadWebLLMEngine(options: WebLLMLoadOptions): Promise<WebLLMEngine> {
  await checkWebGPU(options.navigator);
  options.signal?.throwIfAborted();
  const worker = options.spawnWorker();
  const api = (options.connect ?? connectWorker)(worker);
  const aborted = new Promise<never>((_, reject) => {
    options.signal?.addEventListener(
      "abort",
      () => reject(new EngineError("model loading cancelled", "aborted")),
      { once: true },
    );
  });
  const onProgress = (report: InitProgressReport) => options.onProgress?.(toLoadProgress(report));
  try {
    const reply = await Promise.race([
      api.load(options.model, options.pageUrl ?? pageAddress(), proxy(onProgress)),
      aborted,
    ]);
    if (reply.ok) return new WebLLMEngine(workerEngine(api, worker), reply.modelId);
    if (reply.modelId === undefined) throw new EngineError(reply.text, reply.code);
    const reason = await explainLoadFailure(reply.files, options.fetch ?? globalThis.fetch?.bind(globalThis));
    if (/WebGPU/i.test(reply.text) && !reason) {
      throw new EngineError(`WebGPU is not available in this browser: ${reply.text}`, "unsupported");
    }
    throw new EngineError(
      `could not load model ${reply.modelId}: ${reason ?? reply.text}`,
      reason?.startsWith("downloading")
        ? "http"
        : reason?.startsWith("cannot reach")
          ? "unreachable"
          : "model",
    );
  } catch (error) {
    worker.terminate();
    if (error instanceof EngineError) throw error;
    throw new EngineError(
      `web-llm's worker failed: ${error instanceof Error ? error.message : String(error)}`,
      "model",
    );
  }
}

/** comlink over a real Worker. */
function connectWorker(worker: WorkerLike): WebLLMWorkerApi {
  return wrap<WebLLMWorkerApi>(worker as unknown as Endpoint) as unknown as WebLLMWorkerApi;
}

/**
 * The slice of web-llm's engine WebLLMEngine uses, served by the worker: a streaming completion is pulled
 * chunk by chunk, and unloading the model ends the worker too.
 */
export function workerEngine(api: WebLLMWorkerApi, worker: WorkerLike): MLCEngineLike {
  async function* chunks(stream: number) {
    for (;;) {
      const next = await api.streamNext(stream);
      if (next.done) return;
      yield next.value;
    }
  }
  return {
    chatCompletion: (async (request: ChatCompletionRequest) =>
      request.stream
        ? chunks(await api.streamStart(request))
        : api.complete(request)) as unknown as MLCEngineLike["chatCompletion"],
    interruptGenerate: () => {
      void api.interruptGenerate().catch(() => {});
    },
    unload: async () => {
      try {
        await api.unload();
      } finally {
        worker.terminate();
      }
    },
  };
}

function pageAddress(): string | undefined {
  return typeof location === "undefined" ? undefined : location.href;
}

/** What a model file must start with: the chat config is JSON, the model library is WebAssembly. */
export type ExpectedContent = ModelFile["expect"];

/**
 * Which of the model's files cannot be downloaded or is not what it should be (a static host's HTML
 * fallback page instead of a missing file, say), and why; undefined when they all look right.
 */
export async function explainLoadFailure(
  files: readonly { url: string; expect: ExpectedContent }[],
  fetchImpl: typeof fetch | undefined,
): Promise<string | undefined> {
  if (!fetchImpl) return undefined;
  for (const { url, expect } of files) {
    let head: Uint8Array;
    try {
      const response = await fetchImpl(url, { method: "GET", cache: "no-store" });
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        return `downloading ${url} failed: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}; ${URL_HINT}`;
      }
      head = await firstBytes(response);
    } catch (error) {
      return `cannot reach ${url} (${error instanceof Error ? error.message : String(error)}); check the URL and the network (the model must be downloaded once before offline use)`;
    }
    if (!looksLike(head, expect)) {
      const what = expect === "json" ? "the model's mlc-chat-config.json" : "a WebAssembly model library";
      const html = new TextDecoder().decode(head).trimStart().startsWith("<");
      return `${url} is not ${what}${html ? " (the server answered with an HTML page, as static hosts do for missing files)" : ""}; ${URL_HINT}`;
    }
  }
  return undefined;
}

const URL_HINT =
  "check the model URL (web-llm reads MODEL_URL/resolve/main/ unless the URL already names a /resolve/<branch>/ folder)";

async function firstBytes(response: Response): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(await response.arrayBuffer()).subarray(0, 64);
  const reader = response.body.getReader();
  const { value } = await reader.read();
  await reader.cancel().catch(() => {});
  return value ?? new Uint8Array();
}

function looksLike(head: Uint8Array, expect: ExpectedContent): boolean {
  if (expect === "wasm") return head[0] === 0x00 && head[1] === 0x61 && head[2] === 0x73 && head[3] === 0x6d;
  return new TextDecoder().decode(head.subarray(0, 64)).trimStart().startsWith("{");
}
