/**
 * Loading a web-llm model: WebGPU check first, then the worker, then web-llm's download (weights go to
 * the Cache API, so later visits load offline) with progress reports. A failed download is explained by
 * probing the URLs web-llm fetched: web-llm itself only says "Request failed".
 */
import { CreateWebWorkerMLCEngine, type MLCEngineConfig } from "@mlc-ai/web-llm";
import { EngineError } from "../engine.ts";
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
      [chatConfigUrl(record), record.model_lib],
      options.fetch ?? globalThis.fetch?.bind(globalThis),
    );
    const text = webLLMErrorText(error);
    if (/WebGPU/i.test(text) && !reason) {
      throw new EngineError(`WebGPU is not available in this browser: ${text}`, "unsupported");
    }
    throw new EngineError(
      reason ? `could not load model ${modelId}: ${reason}` : `could not load model ${modelId}: ${text}`,
      reason?.includes("HTTP") ? "http" : reason ? "unreachable" : "model",
    );
  }
}

/** Which of the model's files cannot be downloaded, and why; undefined when they all can. */
export async function explainLoadFailure(
  urls: readonly string[],
  fetchImpl: typeof fetch | undefined,
): Promise<string | undefined> {
  if (!fetchImpl) return undefined;
  for (const url of urls) {
    try {
      const response = await fetchImpl(url, { method: "GET", cache: "no-store" });
      await response.body?.cancel().catch(() => {});
      if (!response.ok) {
        return `downloading ${url} failed: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}; check the model URL (web-llm reads MODEL_URL/resolve/main/ unless the URL already names a /resolve/<branch>/ folder)`;
      }
    } catch (error) {
      return `cannot reach ${url} (${error instanceof Error ? error.message : String(error)}); check the URL and the network (the model must be downloaded once before offline use)`;
    }
  }
  return undefined;
}
