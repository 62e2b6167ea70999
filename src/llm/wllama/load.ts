/**
 * Loading a GGUF model into llama.cpp's WebAssembly build (@wllama/wllama): get the file with progress
 * (a same-origin file is fetched, and comes from the service worker's cache after the first visit; a
 * catalog model is downloaded once into OPFS by model-download.ts and read from there afterwards, so both
 * work offline), then start wllama's worker on the self-hosted .wasm and load the model on the CPU.
 *
 * wllama already runs llama.cpp in a worker of its own, so the page's thread only relays small messages:
 * no worker of ours is needed. wllama's JavaScript (~270 KB) is imported here, on demand, so pages that
 * never pick the CPU engine do not load it.
 *
 * Threads: wllama ships one .wasm that runs single-threaded, or multi-threaded with pthreads when the
 * page is cross-origin isolated (SharedArrayBuffer) and 2 threads or more are asked for.
 */

import { EngineError } from "../../ports/engine.ts";
import { formatBytes } from "../../util/format-bytes.ts";
import {
  ensureModel,
  type ModelDirectory,
  opfsModelDirectory,
  type StorageEstimateLike,
} from "./model-download.ts";
import { WllamaEngine, type WllamaRuntime } from "./wllama-engine.ts";

/** A catalog model to keep in this browser's storage (see model-download.ts). */
export interface StoredModelSource {
  url: string;
  fileName: string;
  sha256?: string;
  /** The catalog's size: shown until the server says, and used for the quota check. */
  sizeBytes?: number;
  /** Where models are kept (default: the "models" folder of OPFS) and the quota (default: the browser's). */
  directory?: () => Promise<ModelDirectory>;
  estimate?: () => Promise<StorageEstimateLike>;
}

export interface WllamaLoadProgress {
  /** 0..1; NaN while the size is unknown (the page's bar then shows busy without a value). */
  fraction: number;
  text: string;
  elapsedSeconds: number;
}

export interface WllamaLoadOptions {
  /**
   * The GGUF file: its bytes, a URL fetched here (the page's bundled model, which its service worker
   * keeps), or a catalog model kept in this browser's storage: downloaded there once (resumable,
   * verified; model-download.ts), then loaded from there with no request, offline too.
   */
  model: { url: string } | { bytes: Blob } | { stored: StoredModelSource };
  /** Shown in traces and progress. */
  modelName: string;
  /** URL of wllama's wllama.wasm, self-hosted (the page gets it from Vite: `…/wllama.wasm?url`). */
  wasmUrl: string;
  /** Context window in tokens (default 2048; llama.cpp caps it at the model's training context). */
  contextSize?: number;
  /** CPU threads (default: see defaultThreads). */
  threads?: number;
  onProgress?: (progress: WllamaLoadProgress) => void;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

const DEFAULT_CONTEXT = 2048;

/**
 * Threads when the caller does not say: half the logical cores (physical cores on most machines), as
 * wllama itself picks, at most 8; 1 without cross-origin isolation (no SharedArrayBuffer, so no threads in
 * WebAssembly). On 2 cores that is 1: llama.cpp's threads spin while they wait for each other, and with a
 * busy second core the micro model decoded 10-300 tokens/s with 2 threads against 200-1000 with 1
 * (Chromium 156, this project's 2-core test machine under load).
 */
export function defaultThreads(env: { isolated: boolean; cores: number }): number {
  if (!env.isolated) return 1;
  return Math.min(8, Math.max(1, Math.floor(env.cores / 2)));
}

export async function loadWllamaEngine(options: WllamaLoadOptions): Promise<WllamaEngine> {
  const started = performance.now();
  const report = (fraction: number, text: string) =>
    options.onProgress?.({ fraction, text, elapsedSeconds: (performance.now() - started) / 1000 });
  options.signal?.throwIfAborted();
  const source = options.model;
  let blob: Blob;
  if ("bytes" in source) blob = source.bytes;
  else if ("stored" in source)
    blob = await fromStorage(source.stored, options.modelName, report, options.signal);
  else blob = await download(source.url, options.modelName, report, options);
  options.signal?.throwIfAborted();

  report(1, `Starting llama.cpp (WebAssembly) with ${options.modelName}…`);
  const threads =
    options.threads ??
    defaultThreads({
      isolated: Boolean(globalThis.crossOriginIsolated),
      cores: globalThis.navigator?.hardwareConcurrency ?? 1,
    });
  const contextSize = options.contextSize ?? DEFAULT_CONTEXT;
  const { Wllama } = await import("@wllama/wllama");
  const wllama = new Wllama(
    { default: options.wasmUrl },
    // llama.cpp's own log lines are for its developers; failures still come back as errors.
    { suppressNativeLog: true, logger: QUIET_LOGGER },
  );
  const params = {
    n_ctx: contextSize,
    n_threads: threads,
    // One slot: requests run one at a time (wllama returns one choice per task), and every request then
    // lands in the slot that holds the previous prompt's KV cache.
    n_parallel: 1,
    // This is the CPU engine: never try WebGPU (the browsers it serves have none that works).
    n_gpu_layers: 0,
    // The tiny bundled model needs no warm-up run; a real one is warmed by its first prompt anyway.
    warmup: false,
  };
  try {
    await wllama.loadModel([blob], params);
  } catch (error) {
    await wllama.exit().catch(() => {});
    throw new EngineError(
      `cannot load ${options.modelName} with llama.cpp (WebAssembly): ${describe(error)}`,
      "model",
    );
  }
  if (options.signal?.aborted) {
    await wllama.exit().catch(() => {});
    throw new EngineError("model loading cancelled", "aborted");
  }
  return new WllamaEngine({
    wllama: wllama as unknown as WllamaRuntime,
    modelName: options.modelName,
    // What llama.cpp made, not what was asked: it caps the window at the model's training context (the
    // micro-student's 512).
    contextSize: wllama.getLoadedContextInfo().n_ctx,
    threads: wllama.isMultithread() ? wllama.getNumThreads() : 1,
  });
}

/**
 * The catalog model from this browser's storage, downloaded into it first when it is not there: the bar
 * shows bytes of bytes, and a failure keeps what arrived for the next attempt (model-download.ts).
 */
async function fromStorage(
  source: StoredModelSource,
  name: string,
  report: (fraction: number, text: string) => void,
  signal: AbortSignal | undefined,
): Promise<Blob> {
  const directory = await (source.directory ?? opfsModelDirectory)();
  const estimate =
    source.estimate ??
    (globalThis.navigator?.storage?.estimate ? () => globalThis.navigator.storage.estimate() : undefined);
  report(Number.NaN, `Opening ${name}…`);
  const ensure = () =>
    ensureModel({
      url: source.url,
      fileName: source.fileName,
      directory,
      ...(source.sha256 ? { sha256: source.sha256 } : {}),
      ...(source.sizeBytes ? { expectedBytes: source.sizeBytes } : {}),
      ...(estimate ? { estimate } : {}),
      ...(signal ? { signal } : {}),
      onProgress: ({ receivedBytes, totalBytes, resumedFromBytes, checkedBytes }) =>
        checkedBytes !== undefined
          ? report(
              checkedBytes / Math.max(1, resumedFromBytes),
              `Checking the ${formatBytes(resumedFromBytes)} of ${name} already downloaded: ${formatBytes(checkedBytes)}`,
            )
          : report(
              totalBytes ? Math.min(1, receivedBytes / totalBytes) : Number.NaN,
              `Downloading ${name}: ${formatBytes(receivedBytes)}${totalBytes ? ` of ${formatBytes(totalBytes)}` : ""}${resumedFromBytes ? ` (resumed at ${formatBytes(resumedFromBytes)})` : ""}`,
            ),
    });
  // Two tabs of the page must not write one part at once: the second waits, then finds the model stored.
  const locks = globalThis.navigator?.locks;
  const model = locks
    ? await locks.request(`pocket-agent-model:${source.fileName}`, signal ? { signal } : {}, ensure)
    : await ensure();
  return model.file;
}

/** Downloads the GGUF, reporting bytes as they arrive. */
async function download(
  url: string,
  name: string,
  report: (fraction: number, text: string) => void,
  options: Pick<WllamaLoadOptions, "signal" | "fetch">,
): Promise<Blob> {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  let response: Response;
  try {
    response = await fetchImpl(url, options.signal ? { signal: options.signal } : {});
  } catch (error) {
    if (options.signal?.aborted) throw new EngineError("model loading cancelled", "aborted");
    throw new EngineError(
      `cannot reach ${url} (${describe(error)}); check the network (a model is stored in this browser after its first download)`,
      "unreachable",
    );
  }
  if (!response.ok) {
    throw new EngineError(`downloading ${url} failed: HTTP ${response.status}`, "http", response.status);
  }
  const total = Number(response.headers.get("content-length")) || 0;
  const parts: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body?.getReader();
  if (!reader) return checkGguf(await response.blob(), url);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      loaded += value.byteLength;
      report(
        total ? Math.min(1, loaded / total) : 0,
        `Loading ${name}: ${mib(loaded)}${total ? ` of ${mib(total)}` : ""}`,
      );
    }
  } catch (error) {
    if (options.signal?.aborted) throw new EngineError("model loading cancelled", "aborted");
    throw new EngineError(`downloading ${url} failed: ${describe(error)}`, "unreachable");
  }
  return checkGguf(new Blob(parts as BlobPart[]), url);
}

/** A static host answers a missing file with its HTML page: say so instead of llama.cpp's parse error. */
async function checkGguf(blob: Blob, url: string): Promise<Blob> {
  const magic = new TextDecoder().decode(await blob.slice(0, 4).arrayBuffer());
  if (magic !== "GGUF") {
    const html = magic.trimStart().startsWith("<");
    throw new EngineError(
      `${url} is not a GGUF model file${html ? " (the server answered with an HTML page, as static hosts do for missing files)" : ""}`,
      "model",
    );
  }
  return blob;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const QUIET_LOGGER = {
  debug: () => {},
  log: () => {},
  warn: (...args: unknown[]) => console.warn(...args),
  error: (...args: unknown[]) => console.error(...args),
};
