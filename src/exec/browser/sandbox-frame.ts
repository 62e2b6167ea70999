/**
 * The page's end of the Python sandbox: a hidden iframe with an opaque origin (sandbox="allow-scripts",
 * no allow-same-origin) and a CSP that forbids every connection, which starts the Python worker from a
 * blob. The worker inherits the frame's origin and CSP, so JavaScript that escapes Python can reach no
 * network, no storage of the app's origin (IndexedDB, Cache API, OPFS) and not the page's DOM.
 *
 * allow="cross-origin-isolated" lets the frame share the page's cross-origin isolation (Chromium: the
 * opaque frame then has crossOriginIsolated === true and SharedArrayBuffer), so it can own the interrupt
 * buffer; the page raises the interrupt by a message to the frame. Everything that comes back is checked
 * by frame-protocol.ts before the page uses it.
 */
import { frameScriptHash, frameSource, workerSource } from "virtual:python-sandbox";
import type { InterruptSwitch } from "../worker-executor.ts";
import {
  type CallMethod,
  checkReply,
  type FromWorker,
  type PyodideAssets,
  type PythonStart,
  parseFromFrame,
  parseFromWorker,
  type SandboxInit,
  type ToFrame,
} from "./frame-protocol.ts";

/** The sandbox document's policy: scripts only from itself and its own blobs, no connection of any kind. */
export const SANDBOX_CSP = [
  "default-src 'none'",
  // Pyodide evaluates JavaScript and compiles wasm at run time; neither opens a connection.
  `script-src '${frameScriptHash}' 'unsafe-eval' 'wasm-unsafe-eval' blob:`,
  "worker-src blob:",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

export function sandboxDocument(): string {
  return (
    "<!doctype html><html><head><meta charset=utf-8>" +
    `<meta http-equiv="Content-Security-Policy" content="${SANDBOX_CSP}">` +
    `</head><body><script>${frameSource}</script></body></html>`
  );
}

export interface SandboxHost {
  /** Fresh copies: their buffers are transferred. */
  assets: PyodideAssets;
  /** Its shard is a Blob, which is cloned by reference (the bytes are read in the worker). */
  init: SandboxInit;
  /** Answers the worker's package requests (names are checked by the protocol; look them up, never build URLs from them blindly). */
  loadPackage(name: string): Promise<{ zip: Uint8Array; requires: string[] } | null>;
}

export interface SandboxConnection {
  /** Calls a worker method; the value is checked against the method's declared result. */
  call(method: CallMethod, args: unknown[]): Promise<unknown>;
  /** Present when the frame is cross-origin isolated and owns an interrupt buffer. */
  interrupt?: InterruptSwitch;
  /** Resolves with a reason when the worker dies or breaks the protocol. */
  died: Promise<string>;
  terminate(): void;
  /** How Python started in this worker (from the build's snapshot, or the slow way). */
  started: PythonStart;
}

/** Set-up (Pyodide from memory, the prelude) takes seconds; a frame that never answers is given up. */
const START_LIMIT_MS = 180_000;
/** The frame's script runs before its load event; its answer to the first message only has to travel back. */
const HANDSHAKE_LIMIT_MS = 15_000;

export async function openSandbox(host: SandboxHost): Promise<SandboxConnection> {
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts");
  frame.setAttribute("allow", "cross-origin-isolated");
  frame.setAttribute("aria-hidden", "true");
  frame.tabIndex = -1;
  frame.title = "Python sandbox";
  frame.style.display = "none";
  frame.srcdoc = sandboxDocument();
  const loaded = new Promise<void>((resolve) =>
    frame.addEventListener("load", () => resolve(), { once: true }),
  );
  (document.body ?? document.documentElement).append(frame);
  await loaded;
  const target = frame.contentWindow;
  if (!target) {
    frame.remove();
    throw new Error("python sandbox: the frame did not load");
  }

  const control = new MessageChannel();
  const replies = new MessageChannel();
  const pending = new Map<
    number,
    { method: CallMethod; resolve(v: unknown): void; reject(e: Error): void }
  >();
  /** Why the sandbox is given up; "" while it is alive. */
  let dead = "";
  let markDead: (why: string) => void = () => {};
  const died = new Promise<string>((resolve) => {
    markDead = (why) => {
      if (dead) return;
      dead = why;
      resolve(why);
      for (const call of pending.values()) call.reject(new Error(`python sandbox: ${why}`));
      pending.clear();
    };
  });
  let nextId = 1;
  let settleStart: (message: FromWorker) => void = () => {};
  const started = new Promise<FromWorker>((resolve) => {
    settleStart = resolve;
  });
  const send = (message: ToFrame, transfer: Transferable[] = []) => {
    if (!dead) control.port1.postMessage(message, transfer);
  };

  let connected: () => void = () => {};
  const handshake = new Promise<void>((resolve) => {
    connected = resolve;
  });
  control.port1.onmessage = (event) => {
    const message = parseFromFrame(event.data);
    if (message?.type === "connected") connected();
    else markDead(message ? message.message : "the Python sandbox sent a malformed message");
  };
  const undecodable = () => markDead("the Python sandbox sent a message that could not be decoded");
  control.port1.onmessageerror = undecodable;
  replies.port1.onmessageerror = undecodable;
  replies.port1.onmessage = (event) => {
    const message = parseFromWorker(event.data);
    if (!message) {
      markDead("the Python sandbox sent a malformed message");
      return;
    }
    switch (message.type) {
      case "ready":
      case "failed":
        settleStart(message);
        return;
      case "need-package":
        host.loadPackage(message.name).then(
          (pkg) => send({ type: "package", id: message.id, pkg }, pkg ? [pkg.zip.buffer] : []),
          (err: unknown) =>
            send({
              type: "package",
              id: message.id,
              pkg: null,
              error: err instanceof Error ? err.message : String(err),
            }),
        );
        return;
      case "reply": {
        const call = pending.get(message.id);
        if (!call) return;
        pending.delete(message.id);
        if (!message.ok) {
          call.reject(new Error(message.message));
          return;
        }
        try {
          call.resolve(checkReply(call.method, message.value));
        } catch (err) {
          call.reject(err as Error);
        }
      }
    }
  };

  const terminate = () => {
    send({ type: "terminate" });
    markDead("terminated");
    control.port1.close();
    replies.port1.close();
    frame.remove();
  };

  target.postMessage("connect", "*", [control.port2]);
  const { assets } = host;
  send({ type: "start", workerSource, assets, init: host.init, replyPort: replies.port2 }, [replies.port2]);

  let timer: ReturnType<typeof setTimeout> | undefined;
  const answered = await Promise.race([
    handshake.then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), HANDSHAKE_LIMIT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!answered) {
    terminate();
    throw new Error(
      "python worker: the sandbox frame's script did not run (a Content-Security-Policy on the page applies to the frame too; see src/exec/README.md)",
    );
  }
  const outcome = await Promise.race([
    started,
    died.then((why): FromWorker => ({ type: "failed", message: why })),
    new Promise<FromWorker>((resolve) => {
      timer = setTimeout(
        () => resolve({ type: "failed", message: `no answer within ${START_LIMIT_MS / 1000} s` }),
        START_LIMIT_MS,
      );
    }),
  ]);
  clearTimeout(timer);
  if (outcome.type !== "ready") {
    terminate();
    throw new Error(`python worker: ${outcome.type === "failed" ? outcome.message : "did not start"}`);
  }

  const connection: SandboxConnection = {
    call(method, args) {
      if (dead) return Promise.reject(new Error(`python sandbox: ${dead}`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { method, resolve, reject });
        send({ type: "call", id, method, args });
      });
    },
    died,
    terminate,
    started: outcome.started,
  };
  if (outcome.interruptible) {
    connection.interrupt = {
      clear: () => send({ type: "clear" }),
      raise: () => send({ type: "interrupt" }),
    };
  }
  return connection;
}
