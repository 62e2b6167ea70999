/**
 * The Executor for the browser: Pyodide in a Web Worker inside a sandbox frame (sandbox-frame.ts): an
 * opaque origin with a CSP that forbids every connection, so Python that escapes into JavaScript still
 * reaches no network, no storage of the app's origin and not the page. The page reads the Pyodide files,
 * the shard and the package archives (through its service worker, so offline use keeps working) and hands
 * them over in memory. With cross-origin isolation (COOP same-origin + COEP require-corp, sent by `vite`
 * and `vite preview`; a static host must send them too) the frame shares it, and runaway code is
 * interrupted in place; without it the worker is terminated and restarted, and the result's `notice`
 * says so.
 */

import type { Remote } from "comlink";
import pyodidePackage from "pyodide/package.json" with { type: "json" };
import type { Executor, ExecutorOptions, ShardSource } from "../../ports/executor.ts";
import type { RuntimeApi, RuntimeConfig } from "../runtime.ts";
import { RUNTIME_METHODS } from "../serve-runtime.ts";
import { type WorkerConnection, WorkerExecutor } from "../worker-executor.ts";
import { type PyodideAssets, type PythonStart, type SandboxInit, SNAPSHOT_FILE } from "./frame-protocol.ts";
import { packageLoader } from "./package-loader.ts";
import { openSandbox, type SandboxConnection } from "./sandbox-frame.ts";

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
  /**
   * Test only: the executor gets `evalInWorker(js)`, which runs JavaScript inside the Python worker as an
   * escaped action could (the boundary tests use it). Never set it in the app.
   */
  testHooks?: boolean;
}

export interface BrowserExecutor extends Executor {
  /** With `testHooks`: runs `source` as the body of an async function in the current Python worker. */
  evalInWorker?(source: string): Promise<unknown>;
  /** How Python started in the current worker: from the build's snapshot, or the slow way. */
  pythonStart(): PythonStart;
}

/**
 * Pyodide's own package index for the installed Pyodide (pass as packageIndexURL to allow it). The
 * version is read from the pyodide package itself, so package.json is the one place that pins it.
 */
export const PYODIDE_PACKAGE_INDEX = `https://cdn.jsdelivr.net/pyodide/v${pyodidePackage.version}/full/`;

function baseURL(): string {
  return new URL(import.meta.env?.BASE_URL ?? "/", globalThis.location.href).href;
}

/** True when the page is cross-origin isolated, so the sandbox frame can own an interrupt buffer. */
export function canInterrupt(): boolean {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer !== "undefined";
}

async function get(url: string | URL): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status}`);
  return response;
}

const assetCache = new Map<string, Promise<PyodideAssets>>();

/**
 * The Pyodide files, read once per page; every sandbox and restart gets the same ones (the large ones are
 * Blobs, immutable and passed by reference).
 */
function pyodideAssets(pyodideURL: string): Promise<PyodideAssets> {
  let cached = assetCache.get(pyodideURL);
  if (!cached) {
    const file = (name: string) => get(new URL(name, pyodideURL));
    cached = Promise.all([
      file("pyodide.mjs").then((r) => r.text()),
      file("pyodide.asm.mjs").then((r) => r.text()),
      file("pyodide.asm.wasm").then((r) => r.blob()),
      file("python_stdlib.zip").then((r) => r.blob()),
      file("pyodide-lock.json").then((r) => r.text()),
      snapshotOf(new URL(SNAPSHOT_FILE, pyodideURL)),
    ]).then(([pyodideMjs, asmMjs, asmWasm, stdlibZip, lockJson, snapshot]) => ({
      pyodideMjs,
      asmMjs,
      asmWasm,
      stdlibZip,
      lockJson,
      ...(snapshot ? { snapshot } : {}),
    }));
    assetCache.set(pyodideURL, cached);
    cached.catch(() => assetCache.delete(pyodideURL));
  }
  return cached;
}

/**
 * The build's Pyodide snapshot, gunzipped; undefined when the site has none (a build without the plugin's
 * snapshot, or a host that does not serve it): the worker then starts Python the slow way. A host may
 * have decoded the gzip already (Content-Encoding), so the bytes are gunzipped only if they are gzip.
 */
async function snapshotOf(url: URL): Promise<Blob | undefined> {
  try {
    const response = await fetch(url);
    if (!response.ok) return undefined;
    const file = await response.blob();
    const magic = new Uint8Array(await file.slice(0, 2).arrayBuffer());
    if (magic[0] !== 0x1f || magic[1] !== 0x8b) return file;
    return await new Response(file.stream().pipeThrough(new DecompressionStream("gzip"))).blob();
  } catch {
    return undefined;
  }
}

/**
 * The shard as a Blob for the sandbox (which has no network): a URL shard is fetched here, once, and
 * bytes are wrapped once. A Blob crosses to the frame and the worker by reference, so a worker restart
 * does not copy hundreds of MB through the page; only the worker reads it into memory.
 */
async function shardBlob(shard: ShardSource | undefined): Promise<Pick<SandboxInit, "shard" | "shardError">> {
  if (!shard) return {};
  if ("blob" in shard) return { shard: shard.blob };
  if ("bytes" in shard) return { shard: new Blob([shard.bytes as Uint8Array<ArrayBuffer>]) };
  if ("path" in shard)
    return { shardError: "a shard path works only in Node; give the browser a URL, a Blob or bytes" };
  try {
    return { shard: await (await get(shard.url)).blob() };
  } catch (err) {
    return { shardError: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The RuntimeApi over the sandbox's checked calls (the shape WorkerExecutor drives), one call per method of
 * the list the worker serves (serve-runtime.ts).
 */
function remoteApi(sandbox: SandboxConnection): Remote<RuntimeApi> {
  const api = Object.fromEntries(
    RUNTIME_METHODS.map((method) => [method, (...args: unknown[]) => sandbox.call(method, args)]),
  );
  // Each value was checked by checkReply against the method's declared result type.
  return api as unknown as Remote<RuntimeApi>;
}

export async function createBrowserExecutor(options: BrowserExecutorOptions = {}): Promise<BrowserExecutor> {
  const base = baseURL();
  const pyodideURL = withSlash(options.pyodideURL ?? `${base}pyodide/`);
  const packagesURL = withSlash(options.packagesURL ?? `${base}py-packages/`);
  const loadPackage = packageLoader(
    pyodideURL,
    packagesURL,
    options.packageIndexURL ? withSlash(options.packageIndexURL) : undefined,
  );
  const shard = shardBlob(options.shard);
  let current: SandboxConnection | undefined;
  const spawn = async (config: RuntimeConfig): Promise<WorkerConnection> => {
    const { shard: blob, shardError } = await shard;
    const init: SandboxInit = { config };
    if (blob) init.shard = blob;
    if (shardError) init.shardError = shardError;
    if (options.testHooks) init.testHooks = true;
    const sandbox = await openSandbox({ assets: await pyodideAssets(pyodideURL), init, loadPackage });
    current = sandbox;
    const connection: WorkerConnection = {
      api: remoteApi(sandbox),
      died: sandbox.died,
      terminate: sandbox.terminate,
    };
    if (sandbox.interrupt) connection.interrupt = sandbox.interrupt;
    return connection;
  };
  const executor: BrowserExecutor = Object.assign(await WorkerExecutor.create(spawn, options), {
    pythonStart: (): PythonStart => current?.started ?? "plain",
  });
  if (options.testHooks) {
    executor.evalInWorker = (source) => {
      if (!current) return Promise.reject(new Error("no python worker"));
      return current.call("evalJs", [source]);
    };
  }
  return executor;
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}
