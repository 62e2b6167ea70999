/**
 * The JavaScript half of the Node sandbox, run inside the Python worker thread of the sandbox process
 * once Pyodide, the packages and the shard are loaded. It assumes the worst: that the model's Python has
 * escaped every Python-level guard and runs arbitrary JavaScript in this thread.
 *
 * Node's permission model (flags set by sandbox-process.ts) already refuses file writes, file reads outside
 * the allowed folders, child processes, native addons, WASI, the inspector and `process.binding`. What it
 * does not cover on Node 20-24 is the network and a few process-wide functions; this module closes those:
 *
 * - module loading: a resolve hook (module.register) refuses every specifier once locked, so `import()`
 *   of `node:net`, `node:http`, `node:worker_threads`... fails, whatever code asks;
 * - `process`: functions that reach other processes (`kill`, `_debugProcess`), native bindings
 *   (`getBuiltinModule`, `_linkedBinding`), live handles (`_getActiveHandles`) and reports that write
 *   files are removed;
 * - globals: the network primitives (`fetch`, `WebSocket`...) and the `require` Pyodide leaves behind;
 * - file descriptors: the permission model does not check operations on a file descriptor, and the process's
 *   inherited ones are the host's IPC channel (fd 3) and stderr. Raw bytes on fd 3 reach the host's
 *   deserializer unchecked (a malformed frame is an uncaught exception there: the host crashes) and skip
 *   the relay's size limit. Pyodide's NODEFS calls `fs.writeSync(stream.nfd, ...)` with a stream object the
 *   escaped code can forge, so `confineFileDescriptors` makes every `node:fs` function of this thread refuse
 *   a file descriptor the thread did not open itself.
 *
 * `verifyLockdown` then checks that each of these is really closed and throws otherwise, so a Node
 * version that behaves differently fails at start-up instead of running unprotected.
 */
import fs from "node:fs";
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
import { NETWORK_PRIMITIVES, removeMember } from "../runtime.ts";

/** Runs in Node's module-hooks thread: refuses every resolution after the "lock" message. */
const HOOKS_SOURCE = `
let locked = false;
export async function initialize(data) {
  data.port.on("message", (message) => {
    if (message !== "lock") return;
    locked = true;
    data.port.postMessage("locked");
    data.port.close();
  });
}
export async function resolve(specifier, context, next) {
  if (locked) {
    const error = new Error("module loading is closed in the Python sandbox (" + specifier + ")");
    error.code = "ERR_POCKET_AGENT_SANDBOX";
    throw error;
  }
  return next(specifier, context);
}
`;

/** Registers the resolve hook now (before anything else loads); call the returned function to lock it. */
export function installModuleGate(): () => Promise<void> {
  const { port1, port2 } = new MessageChannel();
  const url = `data:text/javascript;base64,${Buffer.from(HOOKS_SOURCE).toString("base64")}`;
  register(url, { data: { port: port2 }, transferList: [port2] });
  return () =>
    new Promise<void>((resolve) => {
      port1.once("message", () => {
        port1.close();
        resolve();
      });
      port1.postMessage("lock");
    });
}

/**
 * Makes each `node:fs` function of this thread refuse a numeric first argument (a file descriptor) that this
 * thread did not get from `fs.openSync`/`fs.open` and has not closed: the inherited descriptors (stdin,
 * stdout, stderr, the IPC channel) and those of the relay thread stay out of reach, whoever calls (Pyodide's
 * NODEFS and Emscripten hold `node:fs` in closures). Node's own `fs` code looks these functions up on the
 * module object as well, so path-based calls keep working. Call before Pyodide loads.
 */
export function confineFileDescriptors(): void {
  // Escaped code can replace Function.prototype.apply or Set.prototype.has: the wrappers use only
  // functions taken now, before any of it runs (else it would be handed the unwrapped fs functions, or
  // answer "yes, this thread's" for every descriptor).
  const { apply, defineProperty, getOwnPropertyDescriptor } = Reflect;
  const { has, add, delete: remove } = Set.prototype;
  const own = new Set<number>();
  const isOwn = (fd: number) => apply(has, own, [fd]) as boolean;
  const target = fs as unknown as Record<string, unknown>;
  for (const name of Object.keys(target)) {
    const descriptor = getOwnPropertyDescriptor(target, name);
    const original = descriptor && "value" in descriptor ? descriptor.value : undefined;
    // Classes (Stats, ReadStream...) are not calls on a descriptor.
    if (typeof original !== "function" || /^[A-Z]/.test(name)) continue;
    const call = original as (...args: unknown[]) => unknown;
    const confined = function (this: unknown, ...args: unknown[]): unknown {
      const fd = args[0];
      if (typeof fd === "number" && !isOwn(fd)) {
        const error = new Error(`${name}: file descriptor ${fd} is not open in the Python sandbox`);
        defineProperty(error, "code", { value: "EBADF" });
        throw error;
      }
      if (name === "open") {
        const last = args.length - 1;
        const callback = args[last];
        if (typeof callback === "function") {
          args[last] = (err: unknown, opened: unknown) => {
            if (!err && typeof opened === "number") apply(add, own, [opened]);
            apply(callback, undefined, [err, opened]);
          };
        }
      }
      const result = apply(call, this, args);
      if (name === "openSync" && typeof result === "number") apply(add, own, [result]);
      if ((name === "closeSync" || name === "close") && typeof fd === "number") apply(remove, own, [fd]);
      return result;
    };
    defineProperty(target, name, { ...descriptor, value: confined });
  }
}

/** `process` members that reach native code, other processes, live handles or the file system. */
const PROCESS_MEMBERS = [
  "binding",
  "_linkedBinding",
  "dlopen",
  "getBuiltinModule",
  "kill",
  "_kill",
  "_debugProcess",
  "_debugEnd",
  "_startProfilerIdleNotifier",
  "_stopProfilerIdleNotifier",
  "_getActiveHandles",
  "_getActiveRequests",
  "report",
  "openStdin",
  "loadEnvFile",
  "setSourceMapsEnabled",
  "execve",
  "chdir",
  "setuid",
  "setgid",
  "seteuid",
  "setegid",
  "setgroups",
  "initgroups",
  "mainModule",
];

/** Global names that open connections, load code, or hand out Node's module system. */
const GLOBAL_MEMBERS = [...NETWORK_PRIMITIVES, "module"];

/** A member that cannot be removed stays: verifyLockdown reports it if it is still usable. */
const remove = (target: Record<string, unknown>, name: string): void => {
  if (name in target) removeMember(target, name);
};

/** Removes the process members and globals above. */
export function scrubRealm(): void {
  const proc = process as unknown as Record<string, unknown>;
  for (const name of PROCESS_MEMBERS) remove(proc, name);
  const scope = globalThis as unknown as Record<string, unknown>;
  for (const name of GLOBAL_MEMBERS) remove(scope, name);
}

/**
 * Checks, from inside the locked thread, that the routes out are closed; throws with the list of those that
 * are not. Run after `scrubRealm` and the module lock.
 */
export async function verifyLockdown(): Promise<void> {
  const open: string[] = [];
  const proc = process as unknown as Record<string, unknown>;
  for (const name of PROCESS_MEMBERS) {
    if (typeof proc[name] === "function" || (name === "report" && proc[name])) open.push(`process.${name}`);
  }
  const scope = globalThis as unknown as Record<string, unknown>;
  for (const name of GLOBAL_MEMBERS) if (scope[name] !== undefined) open.push(name);
  // A computed specifier, so that no bundler resolves it: this must reach the runtime's loader.
  for (const specifier of ["node:net", "node:child_process", "node:fs", "node:module"]) {
    const loaded = await import(/* @vite-ignore */ `${specifier}`).then(
      () => true,
      () => false,
    );
    if (loaded) open.push(`import("${specifier}")`);
  }
  // An inherited descriptor (stderr; fd 3 is the IPC channel in the sandbox) must be refused by number.
  try {
    fs.fstatSync(2);
    open.push("fs on an inherited file descriptor");
  } catch {}
  if (open.length) throw new Error(`the Python sandbox could not close: ${open.join(", ")}`);
}
