/**
 * The one protocol between the page, the sandbox frame and the Python worker inside it.
 *
 *   page ──port──▶ frame ──postMessage──▶ worker        (ToFrame; the frame relays calls in order)
 *   page ◀──port── frame                                  (FromFrame: connected, the worker died)
 *   page ◀────────────── reply port ──────────── worker  (FromWorker)
 *
 * Everything the page receives comes from an origin that may run arbitrary JavaScript (an escaped action),
 * so the page reads it only through the parse/check functions below: plain data of the expected shape,
 * never code, never HTML. All page→worker traffic goes through the frame in one ordered queue, so an
 * interrupt or a clear is applied before any call sent after it.
 */
import type { PythonStart } from "../pyodide-start.ts";
import type { RawResult, RuntimeApi, RuntimeConfig } from "../runtime.ts";

export type { PythonStart };

/** How the page's worker may say it started (it restores the build's snapshot, never makes one). */
const WORKER_STARTS: readonly PythonStart[] = ["restored", "plain", "snapshot refused"];

/**
 * The Pyodide files, read by the page (its service worker keeps them offline) and handed over. The large
 * ones are Blobs: a Blob crosses to the frame and the worker by reference, so a worker start copies them
 * once, in the worker that reads them, instead of through the page and the frame (and the page keeps
 * no ~45 MB of buffers for restarts).
 */
export interface PyodideAssets {
  pyodideMjs: string;
  asmMjs: string;
  asmWasm: Blob;
  stdlibZip: Blob;
  lockJson: string;
  /**
   * Pyodide's memory right after start, made at build time (vite-pyodide.ts), gunzipped: the worker
   * restores it instead of starting Python (~0.3 s instead of ~3 s). Absent: the worker starts the slow way.
   */
  snapshot?: Blob;
}

/** The build's Pyodide snapshot, beside Pyodide's files (made by vite-pyodide.ts, read by the page). */
export const SNAPSHOT_FILE = "pyodide.snapshot.gz";

export interface SandboxInit {
  config: RuntimeConfig;
  /** The shard, passed by reference (the page fetched a URL shard itself); absent: no web_search. */
  shard?: Blob;
  /** Why the page could not read the shard (then web_search says so). */
  shardError?: string;
  /** Test-only: accept `evalJs` calls (JavaScript run in the worker, as an escaped action could). */
  testHooks?: boolean;
}

/** What the frame hands its worker first. */
export interface WorkerBoot {
  type: "boot";
  assets: PyodideAssets;
  init: SandboxInit;
  /** The worker's direct line back to the page. */
  replyPort: MessagePort;
  /** The interrupt buffer, created by the frame when it is cross-origin isolated. */
  interrupt?: Int32Array;
}

/** The RuntimeApi methods plus the test hook; argument lists as the RuntimeApi declares them. */
export type CallMethod = keyof RuntimeApi | "evalJs";

export type ToFrame =
  | { type: "start"; workerSource: string; assets: PyodideAssets; init: SandboxInit; replyPort: MessagePort }
  | ToWorker
  | { type: "interrupt" }
  | { type: "clear" }
  | { type: "terminate" };

/** Relayed by the frame to the worker unchanged. */
export type ToWorker =
  | { type: "call"; id: number; method: CallMethod; args: unknown[] }
  | {
      type: "package";
      id: number;
      pkg: { zip: Uint8Array; requires: string[] } | null;
      /** Set when the page's package folder is broken (pkg is then null): what is broken. */
      error?: string;
    };

/** "connected" answers the page's first message (the frame's script runs); "died": the worker is gone. */
export type FromFrame = { type: "connected" } | { type: "died"; message: string };

export type FromWorker =
  | { type: "ready"; interruptible: boolean; started: PythonStart }
  | { type: "failed"; message: string }
  | { type: "reply"; id: number; ok: true; value: unknown }
  | { type: "reply"; id: number; ok: false; message: string }
  | { type: "need-package"; id: number; name: string };

/** The most text one message may carry back (far above any truncation limit). */
const MAX_TEXT = 64 * 1024 * 1024;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === "string" && v.length <= MAX_TEXT;
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

export function parseFromFrame(data: unknown): FromFrame | null {
  if (isRecord(data) && data.type === "connected") return { type: "connected" };
  if (!isRecord(data) || data.type !== "died") return null;
  return { type: "died", message: isText(data.message) ? data.message : "the Python worker stopped" };
}

export function parseFromWorker(data: unknown): FromWorker | null {
  if (!isRecord(data)) return null;
  switch (data.type) {
    case "ready":
      return typeof data.interruptible === "boolean" && WORKER_STARTS.includes(data.started as PythonStart)
        ? { type: "ready", interruptible: data.interruptible, started: data.started as PythonStart }
        : null;
    case "failed":
      return isText(data.message) ? { type: "failed", message: data.message } : null;
    case "need-package":
      return isId(data.id) && typeof data.name === "string" && /^[A-Za-z0-9_.-]{1,100}$/.test(data.name)
        ? { type: "need-package", id: data.id, name: data.name }
        : null;
    case "reply":
      if (!isId(data.id)) return null;
      if (data.ok === true) return { type: "reply", id: data.id, ok: true, value: data.value };
      if (data.ok === false && isText(data.message))
        return { type: "reply", id: data.id, ok: false, message: data.message };
      return null;
    default:
      return null;
  }
}

/** Thrown when the sandbox answers with something that is not the declared shape. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

function fail(method: string, what: string): never {
  throw new ProtocolError(`python sandbox: malformed ${method} reply (${what})`);
}

/** A JSON value (what `finalAnswer` may be): plain arrays, plain objects, finite numbers, text, booleans, null. */
function isJsonValue(root: unknown): boolean {
  // Iterative: a deeply nested answer must not overflow the page's stack.
  const stack: unknown[] = [root];
  let budget = 1_000_000;
  while (stack.length) {
    if (--budget < 0) return false;
    const v = stack.pop();
    if (v === null || typeof v === "boolean" || isText(v)) continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return false;
      continue;
    }
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    if (!isRecord(v) || Object.getPrototypeOf(v) !== Object.prototype) return false;
    for (const x of Object.values(v)) stack.push(x);
  }
  return true;
}

export function checkRawResult(v: unknown, method = "run"): RawResult {
  if (!isRecord(v)) fail(method, "not an object");
  if (!isText(v.logs) || !isText(v.output) || typeof v.isFinalAnswer !== "boolean")
    fail(method, "logs/output/isFinalAnswer");
  const raw: RawResult = { logs: v.logs, output: v.output, isFinalAnswer: v.isFinalAnswer };
  if (v.error !== undefined) {
    if (!isRecord(v.error) || !isText(v.error.type) || !isText(v.error.message)) fail(method, "error");
    raw.error = { type: v.error.type, message: v.error.message };
  }
  if (v.finalAnswer !== undefined) {
    if (!isJsonValue(v.finalAnswer)) fail(method, "finalAnswer is not plain JSON data");
    raw.finalAnswer = v.finalAnswer;
  }
  if (v.fatal !== undefined) {
    if (typeof v.fatal !== "boolean") fail(method, "fatal");
    raw.fatal = v.fatal;
  }
  return raw;
}

/** Checks the value a call resolved with against what the RuntimeApi method declares. */
export function checkReply(method: CallMethod, v: unknown): unknown {
  switch (method) {
    case "run":
    case "runCandidate":
      return checkRawResult(v, method);
    case "commitCandidate":
      if (typeof v !== "boolean") fail(method, "not a boolean");
      return v;
    case "replay":
    case "prepare":
      if (!isText(v)) fail(method, "not a string");
      return v;
    case "probeGlobals": {
      if (!isRecord(v) || !Object.values(v).every((x) => isText(x))) fail(method, "not a string record");
      return Object.fromEntries(Object.entries(v as Record<string, string>));
    }
    case "holdCandidate":
    case "discardCandidates":
    case "reset":
      return undefined;
    case "evalJs":
      // Test hook: whatever the script returned, as data (structured clone already copied it).
      return v;
    default: {
      // Every method of the list both worker hosts serve has a case above (a new one fails to compile here).
      const unchecked: never = method;
      return fail(String(unchecked), "unknown method");
    }
  }
}
