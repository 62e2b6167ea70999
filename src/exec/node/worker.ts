/**
 * Node worker_threads entry: loads Pyodide from node_modules, builds the shared runtime and serves it
 * over comlink. Spawned by node-executor.ts with `--import tsx` (no build step).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { expose } from "comlink";
import { loadPyodide, type PyodideAPI } from "pyodide";
import type { PassageSearcher } from "../../retrieval/search.ts";
import type { ShardSource } from "../executor.ts";
import { readPackageManifest } from "../packages.ts";
import {
  PythonRuntime,
  type RuntimeApi,
  type RuntimeConfig,
  type RuntimeDeps,
  removeNetworkPrimitives,
} from "../runtime.ts";
import { nodeEndpoint } from "./node-endpoint.ts";

export interface NodeWorkerData {
  config: RuntimeConfig;
  indexURL: string;
  packagesDir: string;
  interrupt?: Int32Array;
  shard?: ShardSource;
  /** Module (path or URL) exporting `openShardSearcher(source)`, instead of src/retrieval/open-shard.ts. */
  searcherModule?: string;
}

const data = workerData as NodeWorkerData;
if (!parentPort) throw new Error("python worker: must run as a worker thread");
const port = parentPort;

async function openSearcher(): Promise<Pick<RuntimeDeps, "searcher" | "searchUnavailable">> {
  if (!data.shard) return {};
  try {
    // Loaded only when a shard is configured: it keeps the worker's start-up module graph small.
    let open: (source: ShardSource) => Promise<PassageSearcher> | PassageSearcher;
    if (!data.searcherModule) {
      open = (await import("../../retrieval/open-shard.ts")).openShardSearcher;
    } else {
      const mod = (await import(data.searcherModule)) as { openShardSearcher?: typeof open };
      if (typeof mod.openShardSearcher !== "function") {
        return { searchUnavailable: `${data.searcherModule} does not export openShardSearcher` };
      }
      open = mod.openShardSearcher;
    }
    return { searcher: await open(data.shard) };
  } catch (err) {
    return {
      searchUnavailable: `the shard could not be opened (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}

/** Started by worker-entry.mjs before the TypeScript modules load; taken once. */
function takeEarlyPyodide(): Promise<PyodideAPI> {
  const scope = globalThis as { __pocketAgentPyodide?: Promise<PyodideAPI> };
  const early = scope.__pocketAgentPyodide;
  delete scope.__pocketAgentPyodide;
  const quiet = () => {};
  return early ?? loadPyodide({ indexURL: data.indexURL, stdout: quiet, stderr: quiet });
}

async function start(): Promise<RuntimeApi> {
  const [pyodide, search] = await Promise.all([takeEarlyPyodide(), openSearcher()]);
  if (data.interrupt) pyodide.setInterruptBuffer(data.interrupt);
  const manifest = await readPackageManifest(async (file) => readFile(join(data.packagesDir, file)));
  const runtime = PythonRuntime.create(pyodide, data.config, {
    ...search,
    loadPackage: async (name) => {
      const entry = manifest?.packages[name];
      if (!entry) return null;
      const zip = new Uint8Array(await readFile(join(data.packagesDir, entry.file)));
      return { zip, requires: entry.requires };
    },
  });
  removeNetworkPrimitives(globalThis as unknown as Record<string, unknown>);
  closeProcessBackdoors();
  return runtime;
}

/** Node's own ways from a JS global to sockets and native code, closed for this thread once set up. */
function closeProcessBackdoors(): void {
  const proc = process as unknown as Record<string, unknown>;
  for (const name of ["binding", "_linkedBinding", "dlopen", "getBuiltinModule", "openStdin"]) {
    if (!(name in proc)) continue;
    try {
      Object.defineProperty(proc, name, {
        value: () => {
          throw new Error(`process.${name} is disabled in the Python worker`);
        },
        writable: false,
        configurable: false,
      });
    } catch {
      // left as is when Node does not allow redefining it
    }
  }
}

const ready = start();
// Every method waits for set-up; a failed set-up rejects each call with its reason.
const api: RuntimeApi & { ready(): Promise<true> } = {
  ready: async () => {
    await ready;
    return true;
  },
  run: async (code, ms) => (await ready).run(code, ms),
  runCandidate: async (code, id, ms) => (await ready).runCandidate(code, id, ms),
  holdCandidate: async (id) => (await ready).holdCandidate(id),
  commitCandidate: async (id) => (await ready).commitCandidate(id),
  discardCandidates: async () => (await ready).discardCandidates(),
  reset: async () => (await ready).reset(),
  replay: async (codes, ms) => (await ready).replay(codes, ms),
  prepare: async (code) => (await ready).prepare(code),
  probeGlobals: async (names) => (await ready).probeGlobals(names),
};
expose(api, nodeEndpoint(port));
