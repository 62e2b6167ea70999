/**
 * The Executor for the browser: Pyodide in a module Web Worker (workers/python.worker.ts), assets from
 * the page's own origin. With cross-origin isolation (COOP same-origin + COEP require-corp, sent by
 * `vite` and `vite preview`; a static host must send them too) runaway code is interrupted in place;
 * without it the worker is terminated and restarted, and the result's `notice` says so.
 */
import { wrap } from "comlink";
import type { BrowserWorkerApi, BrowserWorkerInit } from "../../../workers/python.worker.ts";
import type { Executor, ExecutorOptions } from "../executor.ts";
import type { RuntimeConfig } from "../runtime.ts";
import { sharedInterrupt, type WorkerConnection, WorkerExecutor } from "../worker-executor.ts";

export interface BrowserExecutorOptions extends ExecutorOptions {
  /** Folder URL of the self-hosted Pyodide files (default: `<base>pyodide/`). */
  pyodideURL?: string;
  /** Folder URL of the sympy/mpmath package folder (default: `<base>py-packages/`). */
  packagesURL?: string;
  /**
   * Online fallback for packages missing from packagesURL, e.g. PYODIDE_PACKAGE_INDEX; responses are kept
   * in the Cache API for offline use. Off by default: nothing leaves the origin unless asked.
   */
  packageIndexURL?: string;
  /** Builds the worker (default: the bundled workers/python.worker.ts). */
  createWorker?: () => Worker;
}

/** Pyodide's own package index for this Pyodide version (pass as packageIndexURL to allow it). */
export const PYODIDE_PACKAGE_INDEX = "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/";

function baseURL(): string {
  return new URL(import.meta.env?.BASE_URL ?? "/", globalThis.location.href).href;
}

function defaultWorker(): Worker {
  return new Worker(new URL("../../../workers/python.worker.ts", import.meta.url), { type: "module" });
}

export function canInterrupt(): boolean {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer !== "undefined";
}

export async function createBrowserExecutor(options: BrowserExecutorOptions = {}): Promise<Executor> {
  const base = baseURL();
  const pyodideURL = withSlash(options.pyodideURL ?? `${base}pyodide/`);
  const packagesURL = withSlash(options.packagesURL ?? `${base}py-packages/`);
  const spawn = async (config: RuntimeConfig): Promise<WorkerConnection> => {
    const worker = (options.createWorker ?? defaultWorker)();
    const died = new Promise<string>((resolve) => {
      worker.addEventListener("error", (event) => resolve(event.message || "worker error"));
      worker.addEventListener("messageerror", () => resolve("worker message could not be decoded"));
    });
    const api = wrap<BrowserWorkerApi>(worker);
    const interrupt = canInterrupt() ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
    const init: BrowserWorkerInit = { config, pyodideURL, packagesURL };
    if (interrupt) init.interrupt = interrupt;
    if (options.packageIndexURL) init.packageIndexURL = withSlash(options.packageIndexURL);
    if (options.shard) init.shard = options.shard;
    try {
      await Promise.race([
        api.init(init),
        died.then((why) => Promise.reject(new Error(`python worker: ${why}`))),
      ]);
    } catch (err) {
      worker.terminate();
      throw err;
    }
    const connection: WorkerConnection = { api, died, terminate: () => worker.terminate() };
    if (interrupt) connection.interrupt = sharedInterrupt(interrupt);
    return connection;
  };
  return WorkerExecutor.create(spawn, options);
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}
