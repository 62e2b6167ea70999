/**
 * The Executor for Node: Pyodide (from node_modules/pyodide) in a worker_threads worker.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { wrap } from "comlink";
import type { Executor, ExecutorOptions } from "../executor.ts";
import type { RuntimeApi, RuntimeConfig } from "../runtime.ts";
import { sharedInterrupt, type WorkerConnection, WorkerExecutor } from "../worker-executor.ts";
import { nodeEndpoint } from "./node-endpoint.ts";
import type { NodeWorkerData } from "./worker.ts";

export interface NodeExecutorOptions extends ExecutorOptions {
  /** Folder of the sympy/mpmath zips and manifest.json (default: <repo>/public/py-packages). */
  packagesDir?: string;
  /** Pyodide's files (default: the pyodide npm package folder). */
  indexURL?: string;
  /**
   * Module (path or file URL) exporting `openShardSearcher(source: ShardSource): Promise<PassageSearcher>`,
   * imported inside the worker when `shard` is set (default: src/retrieval/open-shard.ts).
   */
  searcherModule?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_PACKAGES_DIR = resolve(here, "../../../public/py-packages");
const WORKER_URL = new URL("./worker-entry.mjs", import.meta.url);

function pyodideFolder(): string {
  return dirname(fileURLToPath(import.meta.resolve("pyodide")));
}

export async function createNodeExecutor(options: NodeExecutorOptions = {}): Promise<Executor> {
  return WorkerExecutor.create((config) => spawnNodeWorker(config, options), options);
}

/** One Pyodide worker thread with the runtime API (the executor's building block; tests probe it). */
export async function spawnNodeWorker(
  config: RuntimeConfig,
  options: NodeExecutorOptions = {},
): Promise<WorkerConnection> {
  const indexURL = options.indexURL ?? `${pyodideFolder()}/`;
  const packagesDir = options.packagesDir ?? DEFAULT_PACKAGES_DIR;
  const searcherModule = options.searcherModule;
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  const data: NodeWorkerData = { config, indexURL, packagesDir, interrupt };
  if (options.shard) data.shard = options.shard;
  if (searcherModule) data.searcherModule = searcherModule;
  const worker = new Worker(WORKER_URL, { workerData: data });
  let terminated = false;
  const died = new Promise<string>((resolveDied) => {
    worker.once("error", (err) => resolveDied(err.message));
    worker.once("exit", (code) => {
      if (!terminated) resolveDied(`exit code ${code}`);
    });
  });
  const api = wrap<RuntimeApi & { ready(): Promise<true> }>(nodeEndpoint(worker));
  try {
    await Promise.race([api.ready(), died.then((why) => Promise.reject(new Error(why)))]);
  } catch (err) {
    terminated = true;
    void worker.terminate();
    throw new Error(`python worker: set-up failed (${err instanceof Error ? err.message : String(err)})`);
  }
  // Idle workers do not keep the process alive; WorkerExecutor holds the event loop during calls.
  worker.unref();
  return {
    api,
    interrupt: sharedInterrupt(interrupt),
    died,
    terminate: () => {
      terminated = true;
      void worker.terminate();
    },
  };
}
