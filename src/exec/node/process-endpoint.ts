/**
 * comlink Endpoint over a child process's IPC channel (structured-clone serialization).
 * Messages from the sandbox are untrusted: anything that is not an object is dropped here, and comlink
 * only matches replies to the requests it sent.
 */
import type { ChildProcess } from "node:child_process";
import type { Endpoint } from "comlink";

export function processEndpoint(child: ChildProcess): Endpoint {
  const listeners = new WeakMap<object, (data: unknown) => void>();
  return {
    postMessage: (message: unknown) => {
      if (child.connected) child.send(message as object);
    },
    addEventListener: (_type: string, handler: EventListenerOrEventListenerObject) => {
      const wrapped = (data: unknown) => {
        if (data === null || typeof data !== "object") return;
        const event = { data } as MessageEvent;
        if ("handleEvent" in handler) handler.handleEvent(event);
        else handler(event);
      };
      child.on("message", wrapped);
      listeners.set(handler, wrapped);
    },
    removeEventListener: (_type: string, handler: EventListenerOrEventListenerObject) => {
      const wrapped = listeners.get(handler);
      if (!wrapped) return;
      child.off("message", wrapped);
      listeners.delete(handler);
    },
  };
}
