/**
 * The Executor for Node: Pyodide in a sandbox process of its own.
 *
 * The model's code is hostile input, so the interpreter does not run in the host's process. Each worker is
 * a child `node` process started under Node's permission model: it may read only Pyodide's folder, the
 * package folder, the shard and its own entry file; it may not write files, start processes, load native
 * addons or open the inspector; its environment is empty (no API keys). Inside it, the Python thread
 * locks itself down before serving (lockdown.ts: no module loading, no network globals, no process
 * members that reach other processes). The host talks to it over the IPC channel only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Remote, wrap } from "comlink";
import type { Executor, ExecutorOptions, ShardSource } from "../../ports/executor.ts";
import { loadShardBytes } from "../../retrieval/open-shard.ts";
import type { PythonStart } from "../pyodide-start.ts";
import type { RuntimeConfig } from "../runtime.ts";
import { type WorkerConnection, WorkerExecutor } from "../worker-executor.ts";
import { bundleModule, sandboxWorkerBundle } from "./bundle.ts";
import { inspectPackageDir } from "./package-folder.ts";
import { packageRoot } from "./package-root.ts";
import { processEndpoint } from "./process-endpoint.ts";
import {
  defaultSnapshotDir,
  dropSnapshot,
  type SnapshotDir,
  saveSnapshot,
  snapshotExists,
  snapshotPath,
  touchSnapshot,
} from "./pyodide-snapshot.ts";
import type { SandboxWorkerApi, SandboxWorkerData } from "./sandbox-worker.ts";

export interface NodeExecutorOptions extends ExecutorOptions {
  /** Folder of the sympy/mpmath zips and manifest.json (default: public/py-packages of this package). */
  packagesDir?: string;
  /** Pyodide's folder (default: the pyodide npm package folder). */
  indexURL?: string;
  /**
   * Module (path or file URL) exporting `openShardSearcher(source: ShardSource): Promise<PassageSearcher>`,
   * used inside the sandbox when `shard` is set (default: src/retrieval/open-shard.ts). It is bundled, and
   * runs under the sandbox's permissions.
   */
  searcherModule?: string;
  /** Tests only: the worker API gains runJavaScriptForTest (a stand-in for a fully escaped action). */
  testHooks?: boolean;
  /**
   * Folder of Pyodide memory snapshots, which make a sandbox start ~5x faster (pyodide-snapshot.ts), or
   * false to start every sandbox the slow way. Default: the cache's `pyodide` folder.
   */
  snapshots?: SnapshotDir;
}

export const DEFAULT_PACKAGES_DIR = resolve(packageRoot(import.meta.url), "public/py-packages");
const SANDBOX_ENTRY = fileURLToPath(new URL("./sandbox-process.mjs", import.meta.url));
/** Heap of the sandbox's JavaScript (Python's memory is the wasm heap, capped at 4 GB by wasm itself). */
const SANDBOX_HEAP_MB = 1024;
/** What the sandbox wrote on stderr, kept for the reason of a crash. */
const STDERR_KEEP = 2000;

/** A reason from the sandbox, without the bundle's data: URL (hundreds of KB) that Node puts in its messages. */
function shortReason(text: string): string {
  const clean = text.replace(/data:text\/javascript;base64,[A-Za-z0-9+/=]+/g, "<sandbox bundle>");
  return clean.length > 500 ? `${clean.slice(0, 500)}…` : clean;
}

function pyodideFolder(): string {
  return `${dirname(fileURLToPath(import.meta.resolve("pyodide")))}/`;
}

export async function createNodeExecutor(options: NodeExecutorOptions = {}): Promise<Executor> {
  const shard = await shardForSandbox(options.shard);
  const resolved = shard ? { ...options, shard } : options;
  return WorkerExecutor.create((config) => spawnNodeWorker(config, resolved), resolved);
}

/**
 * The sandbox has no network: a shard named by URL is fetched here, once, and handed over as bytes.
 */
async function shardForSandbox(source: ShardSource | undefined): Promise<ShardSource | undefined> {
  if (!source || !("url" in source || "blob" in source)) return source;
  return { bytes: await loadShardBytes(source) };
}

/** Node's permission flag: stable as --permission since 22.13 / 23.5, experimental before. */
export function permissionFlag(version = process.versions.node): string {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const stable = major > 23 || (major === 23 && minor >= 5) || (major === 22 && minor >= 13);
  return stable ? "--permission" : "--experimental-permission";
}

/** The folders and files the sandbox may read; everything else is refused by the permission model. */
function readablePaths(
  indexURL: string,
  packagesDir: string,
  shard: ShardSource | undefined,
  snapshot: string | undefined,
): string[] {
  const paths = [SANDBOX_ENTRY, indexURL, packagesDir];
  if (shard && "path" in shard) paths.push(resolve(shard.path));
  if (snapshot) paths.push(snapshot);
  // Symlinks are checked by their target (node_modules may be linked).
  return paths.map((p) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  });
}

export type NodeSandbox = WorkerConnection & { api: Remote<SandboxWorkerApi>; started: PythonStart };

/** Snapshot files that could not be written in this process: their sandboxes stop making them. */
const unsavable = new Set<string>();

/**
 * Starts one sandbox process with the runtime API (the executor's building block; tests probe it): from
 * the Pyodide snapshot when there is one, else the slow way, making the snapshot for the next ones. A
 * snapshot that fails to start a sandbox is deleted, and the sandbox starts again without it.
 */
export async function spawnNodeWorker(
  config: RuntimeConfig,
  options: NodeExecutorOptions = {},
): Promise<NodeSandbox> {
  const indexURL = options.indexURL ?? pyodideFolder();
  const dir = options.snapshots ?? defaultSnapshotDir();
  const path = dir === false ? undefined : await snapshotPath(dir, indexURL).catch(() => undefined);
  if (!path) return spawnSandbox(config, options, indexURL, undefined);
  if (await snapshotExists(path)) {
    await touchSnapshot(path);
    try {
      const sandbox = await spawnSandbox(config, options, indexURL, { restore: path });
      if (sandbox.started === "snapshot refused") await dropSnapshot(path);
      return sandbox;
    } catch {
      await dropSnapshot(path);
    }
  }
  if (unsavable.has(path)) return spawnSandbox(config, options, indexURL, undefined);
  return spawnSandbox(config, options, indexURL, { make: true }, async (made) => {
    await saveSnapshot(path, made).catch(() => unsavable.add(path));
  });
}

async function spawnSandbox(
  config: RuntimeConfig,
  options: NodeExecutorOptions,
  indexURL: string,
  snapshot: SandboxWorkerData["snapshot"],
  /** Receives the snapshot a `make` sandbox made, before the sandbox is handed out. */
  keepSnapshot?: (made: Uint8Array) => Promise<void>,
): Promise<NodeSandbox> {
  const packagesDir = options.packagesDir ?? DEFAULT_PACKAGES_DIR;
  const [bundle, searcherBundle, packages] = await Promise.all([
    sandboxWorkerBundle(),
    options.searcherModule ? bundleModule(options.searcherModule) : undefined,
    inspectPackageDir(packagesDir),
  ]);
  const workerData: Omit<SandboxWorkerData, "interrupt"> = {
    config,
    indexURL: indexURL.endsWith("/") ? indexURL : `${indexURL}/`,
    packagesDir,
    packages,
  };
  if (options.shard) workerData.shard = options.shard;
  if (searcherBundle) {
    workerData.searcherModuleURL = `data:text/javascript;base64,${Buffer.from(searcherBundle).toString("base64")}`;
  }
  if (options.testHooks) workerData.testHooks = true;
  if (snapshot) workerData.snapshot = snapshot;
  const snapshotFile = snapshot && "restore" in snapshot ? snapshot.restore : undefined;

  const args = [
    permissionFlag(),
    ...readablePaths(workerData.indexURL, packagesDir, options.shard, snapshotFile).map(
      (p) => `--allow-fs-read=${p}`,
    ),
    // The Python thread is a worker thread of the sandbox (so the host can interrupt it through shared
    // memory); the module hooks thread is one too.
    "--allow-worker",
    `--max-old-space-size=${SANDBOX_HEAP_MB}`,
    "--disable-warning=ExperimentalWarning",
    SANDBOX_ENTRY,
  ];
  const child = spawn(process.execPath, args, {
    // No environment: nothing of the user's (API keys, proxies, NODE_OPTIONS loaders) reaches the sandbox.
    env: {},
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "advanced",
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    if (stderr.length < STDERR_KEEP) stderr += chunk.slice(0, STDERR_KEEP - stderr.length);
  });
  let terminated = false;
  const died = new Promise<string>((resolveDied) => {
    child.once("error", (err) => resolveDied(err.message));
    child.once("exit", (code, signal) => {
      if (terminated) return;
      const why = signal ? `killed by ${signal}` : `exit code ${code}`;
      const said = stderr.trim().split("\n").at(-1);
      resolveDied(shortReason(said ? `${why}: ${said}` : why));
    });
  });
  const terminate = () => {
    terminated = true;
    child.kill("SIGKILL");
  };
  child.send({ sandbox: "start", bundle, workerData });
  const api = wrap<SandboxWorkerApi>(processEndpoint(child));
  let started: PythonStart;
  try {
    started = await Promise.race([api.ready(), died.then((why) => Promise.reject(new Error(why)))]);
  } catch (err) {
    terminate();
    const why = shortReason(err instanceof Error ? err.message : String(err));
    throw new Error(`python worker: set-up failed in the sandbox process (${why})`);
  }
  if (keepSnapshot) {
    const made = await api.takeSnapshot();
    if (made) await keepSnapshot(made);
  }
  // An idle sandbox does not keep the host alive; WorkerExecutor holds the event loop during calls.
  unrefChild(child);
  return {
    api,
    started,
    interrupt: {
      clear: () => void (child.connected && child.send({ sandbox: "clear" })),
      raise: () => void (child.connected && child.send({ sandbox: "interrupt" })),
    },
    died,
    terminate,
  };
}

function unrefChild(child: ChildProcess): void {
  child.unref();
  (child.channel as { unref?: () => void } | null | undefined)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
}
