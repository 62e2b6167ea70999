/**
 * The Python work of the executor, shared by the Node worker (worker_threads) and the browser Web Worker.
 * No DOM and no Node imports: the host gives it a loaded Pyodide, a searcher and a package loader.
 */
import type { PyodideAPI } from "pyodide";
import type { PyProxy } from "pyodide/ffi";
import { PRELUDE_PY } from "./python/prelude.generated.ts";

export interface RuntimeConfig {
  authorizedImports: string[];
  maxOutputChars: number;
  maxPrintChars: number;
  searchTopK: number;
  /** The wasm heap's cap (Python's memory), bytes: MemoryError past it. */
  memoryLimitBytes: number;
}

/** What one action produced inside the worker (the host adds timing and restart notes). */
export interface RawResult {
  logs: string;
  output: string;
  error?: { type: string; message: string };
  isFinalAnswer: boolean;
  finalAnswer?: unknown;
  /** Set when the interpreter is unusable afterwards (Pyodide fatal error): the host must restart. */
  fatal?: boolean;
}

export interface RuntimeDeps {
  /**
   * web_search: the observation text for (query, k), in the reference layout (retrieval's
   * webSearchOver); absent -> web_search raises with `searchUnavailable`.
   */
  webSearch?: (query: string, k: number) => string;
  /** Why web_search is unavailable (shown to the model). */
  searchUnavailable?: string;
  /**
   * Files of a pure-Python package as a zip archive whose top level holds the package folder(s), or null
   * when it is not available; `requires` lists packages to load first. Rejects (BrokenPackagesError) when
   * the package folder is broken: the action's import then fails with that reason.
   */
  loadPackage?: (name: string) => Promise<{ zip: Uint8Array; requires: string[] } | null>;
}

/** The methods a worker exposes to its host (over comlink). */
export interface RuntimeApi {
  run(code: string, timeoutMs: number): Promise<RawResult>;
  runCandidate(code: string, candidateId: number, timeoutMs: number): Promise<RawResult>;
  /** Give a candidate refused before it ran its own namespace copy, so that it can still be committed. */
  holdCandidate(candidateId: number): void | Promise<void>;
  commitCandidate(candidateId: number): boolean | Promise<boolean>;
  discardCandidates(): void | Promise<void>;
  reset(): void | Promise<void>;
  /** Re-run earlier successful actions after a restart; "" when all succeeded, else the first error. */
  replay(codes: string[], timeoutMs: number): Promise<string>;
  /**
   * Installs and imports the authorized packages the code imports (sympy...), before the action's time
   * limit starts; returns an error message when one is unavailable, else "".
   */
  prepare(code: string): Promise<string>;
  /** typeof each global in the worker scope (tests check the network primitives are gone). */
  probeGlobals(names: string[]): Record<string, string> | Promise<Record<string, string>>;
}

/**
 * The prelude's functions the runtime calls (src/exec/python/prelude/episode.py and library.py), as they
 * are called: JSON text crosses where Python builds structured values, so Python never holds a JS object.
 */
export interface PreludeBridge {
  configure(
    authorized: unknown,
    maxOutput: number,
    maxPrint: number,
    search: (query: string) => string,
  ): void;
  reset(): void;
  /** A RawResult as JSON. */
  run(code: string, timeoutS: number): string;
  run_candidate(code: string, candidateId: number, timeoutS: number): string;
  hold_candidate(candidateId: number): void;
  commit_candidate(candidateId: number): boolean;
  discard_candidates(): void;
  /** "" when every action ran without error, else the first error. */
  replay(codesJson: string, timeoutS: number): string;
  /** The authorized packages the code imports, as a JSON list. */
  packages_to_load(code: string): string;
  installed(): void;
  site_packages(): string;
  import_packages(namesJson: string): void;
}

/** Each bridge function once (the compiler checks this against PreludeBridge both ways). */
const BRIDGE: Record<keyof PreludeBridge, true> = {
  configure: true,
  reset: true,
  run: true,
  run_candidate: true,
  hold_candidate: true,
  commit_candidate: true,
  discard_candidates: true,
  replay: true,
  packages_to_load: true,
  installed: true,
  site_packages: true,
  import_packages: true,
};

/**
 * Looks up every bridge function in the prelude's module dict once, at start, so a prelude that lacks
 * one (renamed in a .py fragment, say) fails the worker's set-up naming it, instead of the first call.
 */
export function bindPrelude(module: { get(name: string): unknown }): PreludeBridge {
  const bound: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const name of Object.keys(BRIDGE)) {
    const fn = module.get(name);
    if (typeof fn === "function") bound[name] = fn;
    else missing.push(name);
  }
  if (missing.length) {
    throw new Error(
      `python prelude: missing function${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (src/exec/python/prelude/)`,
    );
  }
  return bound as unknown as PreludeBridge;
}

export class PythonRuntime implements RuntimeApi {
  private readonly loaded = new Set<string>();
  private dead = false;

  private constructor(
    private readonly pyodide: PyodideAPI,
    private readonly fns: PreludeBridge,
    private readonly deps: RuntimeDeps,
  ) {}

  static create(pyodide: PyodideAPI, config: RuntimeConfig, deps: RuntimeDeps = {}): PythonRuntime {
    const dict = pyodide.globals.get("dict") as PyProxy & (() => PyProxy);
    const module = dict();
    dict.destroy();
    pyodide.runPython(PRELUDE_PY, { globals: module });
    const runtime = new PythonRuntime(
      pyodide,
      bindPrelude(module as PyProxy & { get(name: string): unknown }),
      deps,
    );
    const search = (query: string): string => runtime.search(query, config.searchTopK);
    runtime.fns.configure(
      pyodide.toPy(config.authorizedImports),
      config.maxOutputChars,
      config.maxPrintChars,
      search,
    );
    return runtime;
  }

  /** Called synchronously from Python's web_search; answers JSON so Python never sees a JS object. */
  private search(query: string, k: number): string {
    const webSearch = this.deps.webSearch;
    if (!webSearch) {
      const why = this.deps.searchUnavailable ?? "no Wikipedia shard is configured for this executor";
      return JSON.stringify({ ok: false, error: why });
    }
    try {
      return JSON.stringify({ ok: true, text: webSearch(query, k) });
    } catch (err) {
      return JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  }

  async run(code: string, timeoutMs: number): Promise<RawResult> {
    return this.guarded(code, () => this.fns.run(code, timeoutMs / 1000));
  }

  async runCandidate(code: string, candidateId: number, timeoutMs: number): Promise<RawResult> {
    return this.guarded(code, () => this.fns.run_candidate(code, candidateId, timeoutMs / 1000));
  }

  holdCandidate(candidateId: number): void {
    this.fns.hold_candidate(candidateId);
  }

  commitCandidate(candidateId: number): boolean {
    return this.fns.commit_candidate(candidateId);
  }

  discardCandidates(): void {
    this.fns.discard_candidates();
  }

  reset(): void {
    this.fns.reset();
  }

  async prepare(code: string): Promise<string> {
    const missing = await this.ensurePackages(code);
    return missing?.message ?? "";
  }

  async replay(codes: string[], timeoutMs: number): Promise<string> {
    for (const code of codes) await this.ensurePackages(code);
    return this.fns.replay(JSON.stringify(codes), timeoutMs / 1000);
  }

  probeGlobals(names: string[]): Record<string, string> {
    const scope = globalThis as unknown as Record<string, unknown>;
    return Object.fromEntries(names.map((name) => [name, typeof scope[name]]));
  }

  private async guarded(code: string, call: () => unknown): Promise<RawResult> {
    if (this.dead) return fatalResult("the Python interpreter stopped after an earlier fatal error");
    const missing = await this.ensurePackages(code);
    if (missing) return { logs: "", output: "None", isFinalAnswer: false, error: missing };
    try {
      return JSON.parse(call() as string) as RawResult;
    } catch (err) {
      if (err instanceof Error && err.name === "PythonError") {
        // An exception outside the model's code (e.g. an interrupt landing in the bookkeeping).
        const last = err.message.trim().split("\n").at(-1) ?? err.message;
        const type = last.split(":")[0] ?? "Exception";
        const name = type === "KeyboardInterrupt" ? "TimeoutError" : type;
        return {
          logs: "",
          output: "None",
          isFinalAnswer: false,
          error: { type: name, message: `Code execution failed due to: ${name}: ${last}` },
        };
      }
      // What reaches here is Pyodide itself failing (out of wasm memory, stack overflow in C, a fatal
      // error), after which it cannot be trusted.
      this.dead = true;
      return fatalResult(err instanceof Error ? err.message.split("\n")[0]! : String(err));
    }
  }

  /** Installs the authorized packages the code imports (sympy, mpmath...) before it runs. */
  private async ensurePackages(code: string): Promise<RawResult["error"] | undefined> {
    const wanted = JSON.parse(this.fns.packages_to_load(code)) as string[];
    if (!wanted.length) return undefined;
    for (const name of wanted) {
      const error = await this.install(name, []);
      if (error) return { type: "ModuleNotFoundError", message: error };
    }
    try {
      this.fns.import_packages(JSON.stringify(wanted));
    } catch (err) {
      const detail =
        err instanceof Error ? (err.message.trim().split("\n").at(-1) ?? err.message) : String(err);
      return { type: "ImportError", message: `Code execution failed due to: ImportError: ${detail}` };
    }
    return undefined;
  }

  private async install(name: string, chain: string[]): Promise<string | undefined> {
    if (this.loaded.has(name)) return undefined;
    let pkg: Awaited<ReturnType<NonNullable<RuntimeDeps["loadPackage"]>>>;
    try {
      pkg = this.deps.loadPackage ? await this.deps.loadPackage(name) : null;
    } catch (err) {
      // A broken package folder, not a missing package: say what is broken.
      const why = err instanceof Error ? err.message : String(err);
      return `Code execution failed due to: ModuleNotFoundError: No module named '${name}' (${why})`;
    }
    if (!pkg) {
      return `Code execution failed due to: ModuleNotFoundError: No module named '${name}' (the package is not available offline in this executor)`;
    }
    for (const dep of pkg.requires) {
      if (chain.includes(dep)) continue;
      const error = await this.install(dep, [...chain, name]);
      if (error) return error;
    }
    this.pyodide.unpackArchive(pkg.zip, "zip", { extractDir: this.fns.site_packages() });
    this.fns.installed();
    this.loaded.add(name);
    return undefined;
  }
}

function fatalResult(detail: string): RawResult {
  return {
    logs: "",
    output: "None",
    isFinalAnswer: false,
    fatal: true,
    error: {
      type: "InterpreterCrash",
      message: `Code execution failed due to: InterpreterCrash: the Python interpreter failed (${detail})`,
    },
  };
}

/** Globals that open connections or load code, in a browser worker or in Node. */
export const NETWORK_PRIMITIVES = [
  "fetch",
  "XMLHttpRequest",
  "WebSocket",
  "WebSocketStream",
  "EventSource",
  "importScripts",
  "WebTransport",
  "RTCPeerConnection",
  "Request",
  "navigator",
  // Node: pyodide's loader leaves a global require() serving fs, child_process and ws.
  "require",
];

/**
 * Makes `target[name]` undefined for good (non-writable, non-configurable), or deletes it when it cannot be
 * redefined; false when neither works (the member stays, and callers that check will see it).
 */
export function removeMember(target: Record<string, unknown>, name: string): boolean {
  try {
    Object.defineProperty(target, name, { value: undefined, writable: false, configurable: false });
    return true;
  } catch {
    try {
      return delete target[name];
    } catch {
      return false;
    }
  }
}

/**
 * Removes the network primitives from a worker's global scope once Pyodide is set up, so nothing the model
 * runs can use them even if it escaped the Python sandbox. The host keeps its own references first if it
 * still needs them (e.g. to fetch package archives). Returns the names removed.
 */
export function removeNetworkPrimitives(scope: Record<string, unknown>): string[] {
  return NETWORK_PRIMITIVES.filter((name) => name in scope && removeMember(scope, name));
}

/** The network primitives `scope` still reaches (own or inherited), after removal. */
export function reachableNetworkPrimitives(scope: Record<string, unknown>): string[] {
  return NETWORK_PRIMITIVES.filter((name) => {
    try {
      return scope[name] !== undefined;
    } catch {
      // A getter that throws now may not later: counted as reachable (fail closed).
      return true;
    }
  });
}

/**
 * Removes the network primitives, then checks they are gone (the browser worker's counterpart of the Node
 * thread's verifyLockdown): throws naming each one still reachable, so a browser that keeps one fails the
 * worker's set-up and no Python runs, rather than running with it.
 */
export function lockNetworkPrimitives(scope: Record<string, unknown>): void {
  removeNetworkPrimitives(scope);
  const open = reachableNetworkPrimitives(scope);
  if (open.length) throw new Error(`the Python sandbox could not remove: ${open.join(", ")}`);
}
