/**
 * Loading a web-llm model: WebGPU check first, then the worker, then web-llm's download (weights go to
 * the Cache API, so later visits load offline) with progress reports. A failed download is explained by
 * probing the URLs web-llm fetched: web-llm itself only says "Request failed".
 */
import { CreateWebWorkerMLCEngine, type MLCEngineConfig } from "@mlc-ai/web-llm";
import { EngineError } from "../../ports/engine.ts";
import { chatConfigUrl, type ModelChoice, resolveModel } from "./model-config.ts";
import { checkWebGPU, type GpuNavigator } from "./webgpu.ts";
import {
  type LoadProgress,
  type MLCEngineLike,
  toLoadProgress,
  WebLLMEngine,
  webLLMErrorText,
} from "./webllm-engine.ts";

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
  /** web-llm's CreateWebWorkerMLCEngine (replaceable in unit tests). */
  create?: (worker: WorkerLike, modelId: string, config: MLCEngineConfig) => Promise<MLCEngineLike>;
  fetch?: typeof fetch;
}

export async function loadWebLLMEngine(options: WebLLMLoadOptions): Promise<WebLLMEngine> {
  await checkWebGPU(options.navigator);
  const { modelId, appConfig, record } = resolveModel(options.model);
  options.signal?.throwIfAborted();
  const worker = options.spawnWorker();
  const create = options.create ?? CreateWebWorkerMLCEngine;
  const aborted = new Promise<never>((_, reject) => {
    options.signal?.addEventListener(
      "abort",
      () => reject(new EngineError("model loading cancelled", "aborted")),
      { once: true },
    );
  });
  try {
    const engine = await Promise.race([
      create(worker, modelId, {
        appConfig,
        initProgressCallback: (report) => options.onProgress?.(toLoadProgress(report)),
      }),
      aborted,
    ]);
    return new WebLLMEngine(engine, modelId);
  } catch (error) {
    worker.terminate();
    if (error instanceof EngineError) throw error;
    const reason = await explainLoadFailure(
      [
        { url: chatConfigUrl(record), expect: "json" },
        { url: record.model_lib, expect: "wasm" },
      ],
      options.fetch ?? globalThis.fetch?.bind(globalThis),
    );
    const text = webLLMErrorText(error);
    if (/WebGPU/i.test(text) && !reason) {
      throw new EngineError(`WebGPU is not available in this browser: ${text}`, "unsupported");
    }
    throw new EngineError(
      reason ? `could not load model ${modelId}: ${reason}` : `could not load model ${modelId}: ${text}`,
      reason?.startsWith("downloading")
        ? "http"
        : reason?.startsWith("cannot reach")
          ? "unreachable"
          : "model",
    );
  }
}

/** What a model file must start with: the chat config is JSON, the model library is WebAssembly. */
export type ExpectedContent = "json" | "wasm";

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
