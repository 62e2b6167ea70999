/**
 * The browser's Python worker handler: servePythonWorker() makes the worker it is called in serve the Python
 * runtime. The worker runs inside the sandbox frame (src/exec/browser/frame-entry.ts): an
 * opaque origin whose CSP forbids every connection, so even JavaScript that escapes Python reaches no
 * network, no storage of the app's origin and not the page. It is a classic worker bundled into one
 * script (vite-sandbox.ts) and started from a blob; it needs no network at all: the page hands it the
 * Pyodide files, the shard bytes and, on request, the package archives. Pyodide's loader fetches the wasm
 * and the stdlib with `fetch`, which is replaced by a lookup in those in-memory files until set-up ends;
 * then the network primitives are removed as well (a layer on top of the CSP, not instead of it).
 *
 * The worker's script is a three-line file that calls servePythonWorker() (workers/python.worker.ts; the
 * Vite plugin writes the same three lines when an app gives none).
 */

import { openShardSearcher } from "../../retrieval/open-shard.ts";
import { webSearchOver } from "../../retrieval/search.ts";
import { type PythonStart, startPyodide } from "../pyodide-start.ts";
import { lockNetworkPrimitives, PythonRuntime, type RuntimeDeps } from "../runtime.ts";
import { callServed, serveRuntime } from "../serve-runtime.ts";
import type {
  CallMethod,
  FromWorker,
  PyodideAssets,
  SandboxInit,
  ToWorker,
  WorkerBoot,
} from "./frame-protocol.ts";

/** A base URL that never resolves to anything real: the in-memory files are looked up under it. */
const MEMORY_BASE = "https://pyodide.sandbox.invalid/";

let replyPort: MessagePort | undefined;
/** What this worker serves (set at boot): the runtime methods both worker hosts share, and the test hook. */
let served: object | undefined;
let testHooks = false;
let pythonStart: PythonStart = "plain";
let nextPackageRequest = 1;
const packageRequests = new Map<
  number,
  { resolve(pkg: { zip: Uint8Array; requires: string[] } | null): void; reject(err: Error): void }
>();

function send(message: FromWorker): void {
  replyPort?.postMessage(message);
}

function blobURL(text: string): string {
  return URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
}

/** fetch() for Pyodide's loader: the handed-over files only, everything else refused. */
function memoryFetch(assets: PyodideAssets): typeof fetch {
  const files = new Map<string, () => Response>([
    [
      `${MEMORY_BASE}pyodide.asm.wasm`,
      () => new Response(assets.asmWasm, { headers: { "Content-Type": "application/wasm" } }),
    ],
    [`${MEMORY_BASE}python_stdlib.zip`, () => new Response(assets.stdlibZip)],
    [
      `${MEMORY_BASE}pyodide-lock.json`,
      () => new Response(assets.lockJson, { headers: { "Content-Type": "application/json" } }),
    ],
  ]);
  return async (input) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const file = files.get(url);
    if (!file) throw new TypeError(`no network in the Python sandbox (${url})`);
    return file();
  };
}

/** Packages come from the page on request (it reads its package folder, or the opted-in online index). */
function requestPackage(name: string): Promise<{ zip: Uint8Array; requires: string[] } | null> {
  const id = nextPackageRequest++;
  return new Promise((resolve, reject) => {
    packageRequests.set(id, { resolve, reject });
    send({ type: "need-package", id, name });
  });
}

async function openSearcher(
  shard: Blob | undefined,
  shardError: string | undefined,
): Promise<Pick<RuntimeDeps, "webSearch" | "searchUnavailable">> {
  if (shardError) return { searchUnavailable: `the shard could not be opened (${shardError})` };
  if (!shard) return {};
  try {
    return { webSearch: webSearchOver(await openShardSearcher({ blob: shard })) };
  } catch (err) {
    return {
      searchUnavailable: `the shard could not be opened (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}

// Interpreter-level output (SyntaxWarnings of library sources...) is not the model's: prints are captured
// by the prelude.
const quiet = { stdout: () => {}, stderr: () => {} };

async function start(
  assets: PyodideAssets,
  init: SandboxInit,
  interrupt?: Int32Array,
): Promise<PythonRuntime> {
  const scope = globalThis as unknown as Record<string, unknown>;
  // Pyodide refuses classic workers, which it detects by importScripts working; this one needs no scripts.
  Object.defineProperty(scope, "importScripts", { value: undefined, writable: false, configurable: false });
  Object.defineProperty(scope, "fetch", { value: memoryFetch(assets), writable: true, configurable: true });
  const [{ loadPyodide }, asm] = await Promise.all([
    import(/* @vite-ignore */ blobURL(assets.pyodideMjs)) as Promise<typeof import("pyodide")>,
    import(/* @vite-ignore */ blobURL(assets.asmMjs)) as Promise<{ default: unknown }>,
  ]);
  const options = {
    indexURL: MEMORY_BASE,
    lockFileContents: assets.lockJson,
    packages: [],
    createPyodideModule: asm.default as NonNullable<Parameters<typeof loadPyodide>[0]>["createPyodideModule"],
    ...quiet,
  };
  const snapshot = assets.snapshot;
  const boot = startPyodide(
    (snapshotOptions) => loadPyodide({ ...options, ...snapshotOptions }),
    snapshot ? { restore: async () => new Uint8Array(await snapshot.arrayBuffer()) } : undefined,
    init.config.memoryLimitBytes,
  ).then((start) => {
    pythonStart = start.started;
    return start.pyodide;
  });
  const [pyodide, search] = await Promise.all([boot, openSearcher(init.shard, init.shardError)]);
  if (interrupt) pyodide.setInterruptBuffer(interrupt);
  const created = await PythonRuntime.create(pyodide, init.config, {
    ...search,
    loadPackage: requestPackage,
  });
  // Fails closed: a primitive that could not be removed fails the set-up, naming it.
  lockNetworkPrimitives(scope);
  return created;
}

/** Test hook: runs `source` as the body of an async function, as JavaScript escaped from Python could. */
async function evalJs(source: string): Promise<unknown> {
  const url = blobURL(`export default async function () {\n${source}\n}`);
  try {
    const module = (await import(/* @vite-ignore */ url)) as { default: () => Promise<unknown> };
    return await module.default();
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Test hook (only with testHooks): JavaScript run in this worker, as an escaped action could. */
function evalJsHook(source: string): Promise<unknown> {
  if (!testHooks) throw new Error("evalJs is a test hook; this executor was created without testHooks");
  return evalJs(String(source));
}

function call(method: CallMethod, args: unknown[]): Promise<unknown> {
  if (!served) return Promise.reject(new Error("python worker: not started"));
  return callServed(served, method, args);
}

function onMessage(event: MessageEvent<ToWorker>): void {
  const message = event.data;
  if (message.type === "package") {
    const request = packageRequests.get(message.id);
    packageRequests.delete(message.id);
    // An error is the page saying the package folder is broken (the runtime reports it to the model).
    if (message.error !== undefined) request?.reject(new Error(message.error));
    else request?.resolve(message.pkg);
    return;
  }
  if (message.type !== "call") return;
  const { id } = message;
  call(message.method, message.args).then(
    (value) => {
      try {
        send({ type: "reply", id, ok: true, value });
      } catch (err) {
        send({ type: "reply", id, ok: false, message: `reply could not be sent: ${String(err)}` });
      }
    },
    (err: unknown) =>
      send({ type: "reply", id, ok: false, message: err instanceof Error ? err.message : String(err) }),
  );
}

/** Serves the Python runtime from the worker this is called in: its first message boots it, the rest are calls. */
export function servePythonWorker(): void {
  addEventListener(
    "message",
    (event: MessageEvent<WorkerBoot>) => {
      const boot = event.data;
      replyPort = boot.replyPort;
      testHooks = boot.init.testHooks === true;
      const started = start(boot.assets, boot.init, boot.interrupt);
      served = serveRuntime(started, { evalJs: evalJsHook });
      addEventListener("message", onMessage);
      started.then(
        () => send({ type: "ready", interruptible: !!boot.interrupt, started: pythonStart }),
        (err: unknown) => send({ type: "failed", message: err instanceof Error ? err.message : String(err) }),
      );
    },
    { once: true },
  );
}
