/**
 * Browser Web Worker: loads the self-hosted Pyodide, builds the shared Python runtime and serves it over
 * comlink. After set-up the worker's network primitives are removed; this module keeps a private
 * reference to fetch (unreachable from Python) only to load the sympy/mpmath archives on demand.
 */
import { expose } from "comlink";
import type { ShardSource } from "../src/exec/executor.ts";
import { readPackageManifest } from "../src/exec/packages.ts";
import {
  PythonRuntime,
  type RuntimeApi,
  type RuntimeConfig,
  type RuntimeDeps,
  removeNetworkPrimitives,
} from "../src/exec/runtime.ts";
import { openShardSearcher } from "../src/retrieval/open-shard.ts";

export interface BrowserWorkerInit {
  config: RuntimeConfig;
  /** Folder URL of the self-hosted Pyodide files (ends with "/"). */
  pyodideURL: string;
  /** Folder URL of the local package folder (manifest.json + zips, ends with "/"). */
  packagesURL: string;
  /** Optional online fallback: Pyodide's package index (wheels named in pyodide-lock.json). */
  packageIndexURL?: string;
  interrupt?: Int32Array;
  shard?: ShardSource;
}

export type BrowserWorkerApi = RuntimeApi & { init(init: BrowserWorkerInit): Promise<true> };

const privateFetch = globalThis.fetch.bind(globalThis);
const CACHE_NAME = "pocket-agent-py-packages";

/** Same-origin first; the online index (cached for offline use) only when configured. */
function packageLoader(init: BrowserWorkerInit): NonNullable<RuntimeDeps["loadPackage"]> {
  const manifest = readPackageManifest(async (file) => {
    const response = await privateFetch(new URL(file, init.packagesURL));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }).catch(() => null);
  const lock = privateFetch(new URL("pyodide-lock.json", init.pyodideURL))
    .then((r) => r.json() as Promise<{ packages: Record<string, { file_name: string; depends: string[] }> }>)
    .catch(() => null);
  return async (name) => {
    const entry = (await manifest)?.packages[name];
    if (entry) {
      const response = await privateFetch(new URL(entry.file, init.packagesURL));
      if (response.ok) return { zip: new Uint8Array(await response.arrayBuffer()), requires: entry.requires };
    }
    const locked = init.packageIndexURL ? (await lock)?.packages[name] : undefined;
    if (!locked || !init.packageIndexURL) return null;
    const url = new URL(locked.file_name, init.packageIndexURL).href;
    const cache =
      typeof caches === "undefined" ? undefined : await caches.open(CACHE_NAME).catch(() => undefined);
    let response = await cache?.match(url);
    if (!response) {
      response = await privateFetch(url).catch(() => undefined);
      if (!response?.ok) return null;
      await cache?.put(url, response.clone()).catch(() => undefined);
    }
    // A wheel is a zip whose top level holds the package folder, like ours.
    return { zip: new Uint8Array(await response.arrayBuffer()), requires: locked.depends };
  };
}

async function openSearcher(
  shard: ShardSource | undefined,
): Promise<Pick<RuntimeDeps, "searcher" | "searchUnavailable">> {
  if (!shard) return {};
  try {
    return { searcher: await openShardSearcher(shard) };
  } catch (err) {
    return {
      searchUnavailable: `the shard could not be opened (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}

let runtime: Promise<PythonRuntime> | undefined;

// Interpreter-level output (SyntaxWarnings of library sources...) is not the model's: prints are captured
// by the prelude. In a worker thread Pyodide's default stdout would also write to an undefined fd.
const quiet = { stdout: () => {}, stderr: () => {} };

async function start(init: BrowserWorkerInit): Promise<PythonRuntime> {
  const { loadPyodide } = (await import(
    /* @vite-ignore */ `${init.pyodideURL}pyodide.mjs`
  )) as typeof import("pyodide");
  const [pyodide, search] = await Promise.all([
    loadPyodide({ indexURL: init.pyodideURL, packages: [], ...quiet }),
    openSearcher(init.shard),
  ]);
  if (init.interrupt) pyodide.setInterruptBuffer(init.interrupt);
  const created = PythonRuntime.create(pyodide, init.config, { ...search, loadPackage: packageLoader(init) });
  removeNetworkPrimitives(globalThis as unknown as Record<string, unknown>);
  return created;
}

function ready(): Promise<PythonRuntime> {
  if (!runtime) throw new Error("python worker: init() was not called");
  return runtime;
}

const api: BrowserWorkerApi = {
  init: async (init) => {
    runtime ??= start(init);
    await runtime;
    return true;
  },
  run: async (code, ms) => (await ready()).run(code, ms),
  runCandidate: async (code, id, ms) => (await ready()).runCandidate(code, id, ms),
  holdCandidate: async (id) => (await ready()).holdCandidate(id),
  commitCandidate: async (id) => (await ready()).commitCandidate(id),
  discardCandidates: async () => (await ready()).discardCandidates(),
  reset: async () => (await ready()).reset(),
  replay: async (codes, ms) => (await ready()).replay(codes, ms),
  prepare: async (code) => (await ready()).prepare(code),
  probeGlobals: async (names) => (await ready()).probeGlobals(names),
};
expose(api);
