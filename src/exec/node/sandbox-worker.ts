/**
 * The Python worker thread of the sandbox process (see sandbox-process.mjs and node-executor.ts).
 * Bundled into one module by bundle.ts, so the sandbox process needs no TypeScript loader (tsx would start
 * esbuild as a child process, which the permission model forbids).
 *
 * Order matters: the module gate is registered first, then Pyodide, the packages and the shard are loaded,
 * (with `node:fs` confined to the file descriptors this thread opens), then the thread locks itself down (lockdown.ts) and checks that it did, and only then serves requests.
 * A set-up that cannot lock down fails and no Python runs.
 */
import { constants as fsConstants } from "node:fs";
import { readFile } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import { expose } from "comlink";
import type { PyodideAPI } from "pyodide";
import type { ShardSource } from "../../ports/executor.ts";
import type { PassageSearcher } from "../../ports/searcher.ts";
import { webSearchOver } from "../../retrieval/search.ts";
import { BrokenPackagesError, type PackageFolder } from "../packages.ts";
import { type PythonStart, startPyodide } from "../pyodide-start.ts";
import { PythonRuntime, type RuntimeConfig, type RuntimeDeps } from "../runtime.ts";
import { type ServedRuntime, serveRuntime } from "../serve-runtime.ts";
import { confineFileDescriptors, installModuleGate, scrubRealm, verifyLockdown } from "./lockdown.ts";
import { nodeEndpoint } from "./node-endpoint.ts";

export interface SandboxWorkerData {
  config: RuntimeConfig;
  /** Pyodide's folder, ending with "/". */
  indexURL: string;
  packagesDir: string;
  /** The package folder's state, inspected by the host (see package-folder.ts); zips are read from packagesDir. */
  packages: PackageFolder;
  interrupt: Int32Array;
  shard?: ShardSource;
  /** File URL of a bundled module exporting `openShardSearcher(source)`, instead of the built-in one. */
  searcherModuleURL?: string;
  /** Adds runJavaScriptForTest: the tests' stand-in for a fully escaped action. */
  testHooks?: boolean;
  /**
   * Start from this Pyodide memory snapshot file (pyodide-snapshot.ts), or start the slow way and make one
   * for the host (`make`), taken before anything of the sandbox's own runs.
   */
  snapshot?: { restore: string } | { make: true };
}

export type SandboxWorkerApi = ServedRuntime & {
  ready(): Promise<PythonStart>;
  /** The snapshot made at start (`snapshot: { make: true }`), once; null after that or without one. */
  takeSnapshot(): Promise<Uint8Array | null>;
  /**
   * Test hook (only with testHooks): runs `source` as the body of an async function in this thread, after
   * lock-down, exactly as JavaScript reached by an escaped Python action would run, with `pyodide` (the API
   * an escaped action reaches as `pyodide_js`) in scope; returns its JSON.
   */
  runJavaScriptForTest(source: string): Promise<string>;
};

const data = workerData as SandboxWorkerData;
if (!parentPort) throw new Error("python sandbox: must run as a worker thread");
const port = parentPort;
const lockModules = installModuleGate();
// Before Pyodide loads, so that every descriptor its file systems open is known to be this thread's.
confineFileDescriptors();

type OpenSearcher = (source: ShardSource) => Promise<PassageSearcher> | PassageSearcher;

async function openSearcher(): Promise<Pick<RuntimeDeps, "webSearch" | "searchUnavailable">> {
  if (!data.shard) return {};
  try {
    let open: OpenSearcher;
    if (data.searcherModuleURL) {
      const mod = (await import(/* @vite-ignore */ data.searcherModuleURL)) as {
        openShardSearcher?: OpenSearcher;
      };
      if (typeof mod.openShardSearcher !== "function") {
        return { searchUnavailable: "the searcher module does not export openShardSearcher" };
      }
      open = mod.openShardSearcher;
    } else {
      open = (await import("../../retrieval/open-shard.ts")).openShardSearcher;
    }
    return { webSearch: webSearchOver(await open(data.shard)) };
  } catch (err) {
    return {
      searchUnavailable: `the shard could not be opened (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}

/**
 * Pyodide's Emscripten file system reads `process.binding("constants")` once while it loads; the permission
 * model refuses process.binding, so that one call is answered from the public fs/os constants. The shim is
 * gone with process.binding itself at lock-down.
 */
function answerConstantsBinding(): void {
  const proc = process as unknown as { binding: (name: string) => unknown };
  const original = proc.binding.bind(process);
  proc.binding = (name: string) =>
    name === "constants" ? { fs: fsConstants, os: osConstants } : original(name);
}

async function loadInterpreter(): Promise<PyodideAPI> {
  answerConstantsBinding();
  const { loadPyodide } = (await import(
    /* @vite-ignore */ pathToFileURL(`${data.indexURL}pyodide.mjs`).href
  )) as typeof import("pyodide");
  // Interpreter-level output is not the model's (the prelude captures prints).
  const quiet = () => {};
  const snapshot = data.snapshot;
  const plan =
    snapshot && "restore" in snapshot
      ? { restore: async () => new Uint8Array(await readFile(snapshot.restore)) }
      : snapshot;
  const start = await startPyodide(
    (snapshotOptions) =>
      loadPyodide({ indexURL: data.indexURL, stdout: quiet, stderr: quiet, ...snapshotOptions }),
    plan,
    data.config.memoryLimitBytes,
  );
  howStarted = start.started;
  madeSnapshot = start.made ?? null;
  return start.pyodide;
}

let howStarted: PythonStart = "plain";
/** Taken right after Pyodide started, before the prelude; handed to the host once, then dropped. */
let madeSnapshot: Uint8Array | null = null;

/** Kept for the test hook only: an escaped action holds Pyodide's API (`import pyodide_js`). */
let interpreter: PyodideAPI | undefined;

async function start(): Promise<PythonRuntime> {
  const [pyodide, search] = await Promise.all([loadInterpreter(), openSearcher()]);
  if (data.testHooks) interpreter = pyodide;
  pyodide.setInterruptBuffer(data.interrupt);
  const packages = data.packages;
  // Package archives are read lazily, by this closure, after lock-down: file reads stay allowed (the
  // permission model limits them to the packages folder and the few others the process was given).
  const runtime = PythonRuntime.create(pyodide, data.config, {
    ...search,
    loadPackage: async (name) => {
      if (packages.state === "broken") throw new BrokenPackagesError(packages.reason);
      const listed = packages.state === "ready" ? packages.manifest.packages : {};
      const entry = Object.hasOwn(listed, name) ? listed[name] : undefined;
      if (!entry) return null;
      try {
        return {
          zip: new Uint8Array(await readFile(join(data.packagesDir, entry.file))),
          requires: entry.requires,
        };
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new BrokenPackagesError(`${entry.file} cannot be read (${why})`);
      }
    },
  });
  await lockModules();
  scrubRealm();
  await verifyLockdown();
  return runtime;
}

const ready = start();

/** Test hook (only with testHooks), see SandboxWorkerApi. */
async function runJavaScriptForTest(source: string): Promise<string> {
  if (!data.testHooks) throw new Error("runJavaScriptForTest: this sandbox was started without test hooks");
  await ready;
  const AsyncFunction = (async () => {}).constructor as new (
    arg: string,
    body: string,
  ) => (pyodide: unknown) => Promise<unknown>;
  return JSON.stringify(await new AsyncFunction("pyodide", source)(interpreter));
}

// The runtime methods come from the one list both worker hosts serve; each waits for set-up, and a failed
// set-up rejects each call (and ready()) with its reason.
const api: SandboxWorkerApi = serveRuntime(ready, {
  ready: async () => {
    await ready;
    return howStarted;
  },
  takeSnapshot: async () => {
    await ready;
    const snapshot = madeSnapshot;
    madeSnapshot = null;
    return snapshot;
  },
  runJavaScriptForTest,
});
expose(api, nodeEndpoint(port));
