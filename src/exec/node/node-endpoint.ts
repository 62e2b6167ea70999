/**
 * comlink Endpoint over a worker_threads port (what comlink's node-adapter does; its .mjs ships no types
 * this project's module resolution can see).
 */
import type { Endpoint } from "comlink";

interface NodePort {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(type: "message", listener: (data: unknown) => void): unknown;
  off(type: "message", listener: (data: unknown) => void): unknown;
  start?: () => void;
}

export function nodeEndpoint(port: NodePort): Endpoint {
  const listeners = new WeakMap<object, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: Transferable[]) => port.postMessage(message, transfer),
    addEventListener: (_type: string, handler: EventListenerOrEventListenerObject) => {
      const wrapped = (data: unknown) => {
        const event = { data } as MessageEvent;
        if ("handleEvent" in handler) handler.handleEvent(event);
        else handler(event);
      };
      port.on("message", wrapped);
      listeners.set(handler, wrapped);
    },
    removeEventListener: (_type: string, handler: EventListenerOrEventListenerObject) => {
      const wrapped = listeners.get(handler);
      if (!wrapped) return;
      port.off("message", wrapped);
      listeners.delete(handler);
    },
    start: port.start?.bind(port),
  };
}
