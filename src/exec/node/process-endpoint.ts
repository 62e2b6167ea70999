/**
 * comlink Endpoint over a child process's IPC channel (structured-clone serialization), built on the
 * worker-port endpoint. Messages from the sandbox are untrusted: the relay (sandbox-process.mjs) puts each
 * one of the Python thread in an envelope, `{ sandbox: "reply", message }`, so that nothing the thread sends
 * is read by Node's IPC layer as one of its own (`cmd: "NODE_..."`); anything else, and a `message` that is
 * not an object, is dropped here, and comlink only matches replies to the requests it sent.
 */
import type { ChildProcess } from "node:child_process";
import type { Endpoint } from "comlink";
import { nodeEndpoint } from "./node-endpoint.ts";

export function processEndpoint(child: ChildProcess): Endpoint {
  const objectsOnly = new WeakMap<(data: unknown) => void, (data: unknown) => void>();
  return nodeEndpoint({
    postMessage: (message: unknown) => {
      if (child.connected) child.send(message as object);
    },
    on: (_type, listener) => {
      const filtered = (data: unknown) => {
        if (data === null || typeof data !== "object") return;
        const { sandbox, message } = data as { sandbox?: unknown; message?: unknown };
        if (sandbox === "reply" && message !== null && typeof message === "object") listener(message);
      };
      objectsOnly.set(listener, filtered);
      return child.on("message", filtered);
    },
    off: (_type, listener) => child.off("message", objectsOnly.get(listener) ?? listener),
  });
}
