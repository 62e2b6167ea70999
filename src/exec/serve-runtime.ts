/**
 * What a Python worker serves to its host, shared by both hosts: the Node sandbox thread
 * (node/sandbox-worker.ts, over comlink) and the browser worker (browser/python-worker.ts, over the frame
 * protocol). Both serve the object `serveRuntime` builds from the one method list below, so a method cannot
 * exist in one host and be missing in the other; the browser's host side (browser-executor.ts) builds its
 * calls from the same list. No DOM and no Node imports.
 */
import type { RuntimeApi } from "./runtime.ts";

/**
 * Every RuntimeApi method, once. A Record over `keyof RuntimeApi` is checked both ways by the compiler: a
 * method added to RuntimeApi and not here, or listed here and not in RuntimeApi, is a type error.
 */
const METHODS: Record<keyof RuntimeApi, true> = {
  run: true,
  runCandidate: true,
  holdCandidate: true,
  commitCandidate: true,
  discardCandidates: true,
  reset: true,
  replay: true,
  prepare: true,
  probeGlobals: true,
};

export type RuntimeMethod = keyof RuntimeApi;

export const RUNTIME_METHODS = Object.freeze(Object.keys(METHODS) as RuntimeMethod[]);

/** The runtime as served: each method waits for the worker's set-up, then answers (always a promise). */
export type ServedRuntime = {
  [M in RuntimeMethod]: (...args: Parameters<RuntimeApi[M]>) => Promise<Awaited<ReturnType<RuntimeApi[M]>>>;
};

type Handler = (...args: never[]) => unknown;

/**
 * The object a worker exposes: every RuntimeApi method over the runtime once `runtime` resolves (a failed
 * set-up rejects each call with its reason), plus the host's own `extras` (its readiness call, test hooks).
 * An extra may not reuse a runtime method's name.
 */
export function serveRuntime<Extras extends Record<string, Handler>>(
  runtime: Promise<RuntimeApi>,
  extras: Extras,
): ServedRuntime & Extras {
  // Set-up failures reach the host through the calls (and the host's readiness call); not unhandled here.
  runtime.catch(() => {});
  const served: Record<string, Handler> = {};
  for (const method of RUNTIME_METHODS) {
    served[method] = async (...args: unknown[]) => {
      const api = await runtime;
      return (api[method] as (...a: unknown[]) => unknown).apply(api, args);
    };
  }
  for (const [name, handler] of Object.entries(extras)) {
    if (Object.hasOwn(served, name))
      throw new Error(`serveRuntime: extra "${name}" shadows a runtime method`);
    served[name] = handler;
  }
  return served as ServedRuntime & Extras;
}

/**
 * Calls `method` on a served runtime by name, for hosts whose transport carries the name as data (the
 * browser's frame protocol). Only the served object's own methods answer: not `constructor`, `__proto__`
 * or anything else reached through the prototype.
 */
export function callServed(served: object, method: string, args: unknown[]): Promise<unknown> {
  const handler = Object.hasOwn(served, method) ? (served as Record<string, unknown>)[method] : undefined;
  if (typeof handler !== "function") return Promise.reject(new Error(`python worker: no method ${method}`));
  try {
    return Promise.resolve(handler.apply(served, args));
  } catch (err) {
    return Promise.reject(err);
  }
}
