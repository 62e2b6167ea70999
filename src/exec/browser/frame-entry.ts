/**
 * The script of the sandbox frame (bundled into the frame's srcdoc by vite-sandbox.ts). The frame has an
 * opaque origin (sandbox="allow-scripts" without allow-same-origin) and a CSP that forbids every
 * connection; its only jobs are to start the Python worker from a blob (an opaque origin cannot start a
 * worker from the site's URL, and a module worker from a blob fails there, so it is a classic one), to
 * own the interrupt buffer (a SharedArrayBuffer cannot cross from the page to another agent cluster),
 * and to relay the page's calls to the worker in order.
 */
import type { FromFrame, ToFrame, WorkerBoot } from "./frame-protocol.ts";

let port: MessagePort | undefined;
let worker: Worker | undefined;
let interrupt: Int32Array | undefined;

function tell(message: FromFrame): void {
  port?.postMessage(message);
}

function start(message: Extract<ToFrame, { type: "start" }>): void {
  const url = URL.createObjectURL(new Blob([message.workerSource], { type: "text/javascript" }));
  worker = new Worker(url);
  URL.revokeObjectURL(url);
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    tell({ type: "died", message: event.message || "worker error" });
  });
  worker.addEventListener("messageerror", () =>
    tell({ type: "died", message: "worker message could not be decoded" }),
  );
  if (globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === "function") {
    interrupt = new Int32Array(new SharedArrayBuffer(4));
  }
  const boot: WorkerBoot = {
    type: "boot",
    assets: message.assets,
    init: message.init,
    replyPort: message.replyPort,
  };
  if (interrupt) boot.interrupt = interrupt;
  worker.postMessage(boot, [message.replyPort]);
}

function onCommand(event: MessageEvent<ToFrame>): void {
  const message = event.data;
  switch (message?.type) {
    case "start":
      if (!worker) start(message);
      return;
    case "call":
      worker?.postMessage(message);
      return;
    case "package":
      worker?.postMessage(message, message.pkg ? [message.pkg.zip.buffer] : []);
      return;
    case "interrupt":
      if (interrupt) Atomics.store(interrupt, 0, 2);
      return;
    case "clear":
      if (interrupt) Atomics.store(interrupt, 0, 0);
      return;
    case "terminate":
      worker?.terminate();
      worker = undefined;
      return;
  }
}

// The page's first message hands over the port; nothing else is listened to on the window.
addEventListener("message", function connect(event: MessageEvent) {
  if (event.source !== parent || port || !(event.ports[0] instanceof MessagePort)) return;
  removeEventListener("message", connect);
  port = event.ports[0];
  port.onmessage = onCommand;
  tell({ type: "connected" });
});
