// Main thread of the sandbox process (spawned by node-executor.ts under Node's permission model).
// Plain JavaScript and trusted: it never runs model code. It owns the IPC channel to the host and the
// interrupt buffer, starts the Python worker thread from the bundle it is sent, and relays messages.
// The worker thread is where an escaped action would run; it can reach this thread only by messages,
// which are passed on to the host as data inside an envelope of this thread's, never interpreted here.
import { serialize } from "node:v8";
import { Worker } from "node:worker_threads";

// A reply larger than this is not passed on: the host would have to hold it whole. Results are cut in
// Python to far less (tens of KB); only an escaped action sends more, and it ends the sandbox.
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

const send = process.send?.bind(process);
if (!send) {
  process.stderr.write("python sandbox: must be started with an IPC channel\n");
  process.exit(2);
}

// Nesting deeper than this is not passed on either: Node's IPC deserializer in the host recurses, and a
// message ~1,900 levels deep (accepted by this thread's serializer) overflowed the host's stack there, an
// uncaught RangeError. Results are a few levels deep (a final answer: JSON of the model's nesting).
const MAX_REPLY_DEPTH = 512;
// Counted as a tree (shared objects once per path), so that cycles and DAGs that fan out stop it too.
const MAX_REPLY_NODES = 5_000_000;

/** Whether `root` stays within the depth and node limits (iterative: it must not overflow here either). */
function shallowEnough(root) {
  const stack = [[root, 0]];
  let nodes = 0;
  while (stack.length) {
    const [value, depth] = stack.pop();
    if (value === null || typeof value !== "object") continue;
    if (depth > MAX_REPLY_DEPTH || ++nodes > MAX_REPLY_NODES) return false;
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) continue;
    if (value instanceof Map) {
      for (const [k, v] of value) stack.push([k, depth + 1], [v, depth + 1]);
    } else if (value instanceof Set) {
      for (const v of value) stack.push([v, depth + 1]);
    }
    for (const key of Reflect.ownKeys(value)) {
      const d = Object.getOwnPropertyDescriptor(value, key);
      if (d && "value" in d) stack.push([d.value, depth + 1]);
    }
  }
  return true;
}

let worker;
let interrupt;

function start({ bundle, workerData }) {
  interrupt = new Int32Array(new SharedArrayBuffer(4));
  const url = `data:text/javascript;base64,${Buffer.from(bundle).toString("base64")}`;
  worker = new Worker(new URL(url), { workerData: { ...workerData, interrupt } });
  worker.on("message", (message) => {
    let bytes = 0;
    try {
      bytes = serialize(message).byteLength;
    } catch {
      bytes = Number.POSITIVE_INFINITY;
    }
    if (bytes > MAX_REPLY_BYTES) {
      process.stderr.write(
        `python sandbox: a reply of ${bytes} bytes is over the ${MAX_REPLY_BYTES}-byte limit\n`,
      );
      process.exit(5);
    }
    if (!shallowEnough(message)) {
      process.stderr.write(
        `python sandbox: a reply nested over ${MAX_REPLY_DEPTH} levels (or over ${MAX_REPLY_NODES} objects)\n`,
      );
      process.exit(6);
    }
    // Enveloped: at the top of an IPC message, a `cmd` starting with NODE_ is one of Node's own (handle
    // passing); forged by the worker and passed on bare, it reached the host's internals (a NODE_HANDLE_ACK
    // threw an uncaught assertion there). The host reads only `message` of a { sandbox: "reply" }.
    send({ sandbox: "reply", message });
  });
  worker.on("error", (err) => {
    process.stderr.write(`python sandbox: ${err?.message ?? String(err)}\n`);
    process.exit(3);
  });
  worker.on("exit", (code) => process.exit(code === 0 ? 4 : code));
}

process.on("message", (message) => {
  const control = message && typeof message === "object" ? message.sandbox : undefined;
  if (control === "start" && !worker) start(message);
  else if (control === "interrupt") interrupt && Atomics.store(interrupt, 0, 2);
  else if (control === "clear") interrupt && Atomics.store(interrupt, 0, 0);
  else worker?.postMessage(message);
});
// The host going away closes the channel: nothing is left to serve.
process.on("disconnect", () => process.exit(0));
