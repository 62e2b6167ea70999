/**
 * The Executor port on top of a Pyodide worker, whatever kind of worker it is (Node worker_threads or a
 * browser Web Worker): time limits, interrupts, restarts, history replay and candidate bookkeeping.
 * No DOM and no Node imports; each host gives a `spawn` function.
 *
 * Time limit: with a shared interrupt buffer the worker gets SIGINT at the limit (Python sees
 * KeyboardInterrupt and reports TimeoutError); if it is still busy after a grace period (or there is no
 * buffer, e.g. a page without cross-origin isolation), the worker is terminated and a fresh one started.
 *
 * Restart policy: the executor remembers the code of the actions that ran without error in the episode
 * namespace (plain runs and committed candidates) and re-runs them, silently, in the fresh worker. The
 * timed-out result says so in `notice`; if the replay fails or runs out of time, the namespace is reset and
 * the next result's `notice` says that instead.
 */
import type { Remote } from "comlink";
import type {
  CandidateResult,
  ExecutionResult,
  Executor,
  ExecutorOptions,
  RunOptions,
} from "../ports/executor.ts";
import { REFERENCE_AUTHORIZED_IMPORTS } from "../ports/executor.ts";
import type { RawResult, RuntimeApi, RuntimeConfig } from "./runtime.ts";

export interface WorkerConnection {
  api: Remote<RuntimeApi>;
  /**
   * Raises SIGINT in the worker's Python (pyodide.setInterruptBuffer); absent when the host has no shared
   * memory with the interpreter (a page without cross-origin isolation).
   */
  interrupt?: InterruptSwitch;
  /** Resolves with a reason when the worker dies on its own (crash, out of memory). */
  died: Promise<string>;
  terminate(): void;
}

/** The host's handle on the interpreter's interrupt buffer, wherever that buffer lives. */
export interface InterruptSwitch {
  /** Before an action: no interrupt pending. */
  clear(): void;
  /** SIGINT: the running Python code raises KeyboardInterrupt. */
  raise(): void;
}

/** The switch over an Int32Array(1) shared with the worker that gave it to pyodide.setInterruptBuffer. */
export function sharedInterrupt(buffer: Int32Array): InterruptSwitch {
  return {
    clear: () => Atomics.store(buffer, 0, 0),
    raise: () => Atomics.store(buffer, 0, 2),
  };
}

export type SpawnWorker = (config: RuntimeConfig) => Promise<WorkerConnection>;

/**
 * After the interrupt, how long the worker may take to come back before it is terminated. 1.5 s was seen
 * to be too short on a loaded 2-core machine (two full test runs out of three killed a fresh sandbox whose
 * `while True: pass` did answer the interrupt when run on its own); a worker that swallows the interrupt
 * only costs the wait.
 */
const INTERRUPT_GRACE_MS = 3000;
/** Installing and importing a package (sympy) before an action; not counted in the action's limit. */
const PREPARE_LIMIT_MS = 120_000;
const IMPORTS = /\bimport\b/;
/** Replaying earlier actions after a restart may take at most their summed limits, and never more than this. */
const MAX_REPLAY_MS = 60_000;
/**
 * An episode longer than this is not replayed after a restart (its namespace is reset instead), so a
 * restart never costs more than this many re-runs; agent episodes have 5-10 steps.
 */
export const MAX_REPLAY_ACTIONS = 32;
const DEFAULT_TIMEOUT_MS = 10_000;

type Outcome<T> =
  | { kind: "done"; raw: T }
  | { kind: "timeout" | "abort" }
  | { kind: "crash"; detail: string };

interface Candidate {
  code: string;
  result: CandidateResult;
  /** The worker restarted since it ran: its namespace is gone. */
  lost: boolean;
}

export function resolveRuntimeConfig(options: ExecutorOptions): RuntimeConfig {
  const positive = (value: number | undefined, name: string, fallback: number) => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value <= 0)
      throw new RangeError(`${name} must be a positive number, got ${value}`);
    return Math.floor(value);
  };
  const imports = options.authorizedImports ?? [...REFERENCE_AUTHORIZED_IMPORTS];
  if (!Array.isArray(imports) || imports.some((m) => typeof m !== "string" || !m)) {
    throw new TypeError("authorizedImports must be an array of non-empty module names");
  }
  return {
    authorizedImports: [...imports],
    maxOutputChars: positive(options.maxOutputChars, "maxOutputChars", 20_000),
    maxPrintChars: positive(options.maxPrintChars, "maxPrintChars", 50_000),
    searchTopK: positive(options.searchTopK, "searchTopK", 3),
    memoryLimitBytes: Math.min(positive(options.memoryLimitMB, "memoryLimitMB", 1024), 4096) * 2 ** 20,
  };
}

export class WorkerExecutor implements Executor {
  private connection: Promise<WorkerConnection>;
  private readonly config: RuntimeConfig;
  private readonly defaultTimeoutMs: number;
  private history: string[] = [];
  private candidates = new Map<number, Candidate>();
  private candidatesByCode = new Map<string, number>();
  private nextCandidateId = 1;
  private pendingNotices: string[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(
    private readonly spawn: SpawnWorker,
    options: ExecutorOptions,
    first: WorkerConnection,
  ) {
    this.config = resolveRuntimeConfig(options);
    this.defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.connection = Promise.resolve(first);
  }

  static async create(spawn: SpawnWorker, options: ExecutorOptions): Promise<WorkerExecutor> {
    const config = resolveRuntimeConfig(options);
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
      throw new RangeError(`timeoutMs must be a positive number, got ${options.timeoutMs}`);
    }
    return new WorkerExecutor(spawn, options, await spawn(config));
  }

  reset(): Promise<void> {
    return this.serial(async () => {
      this.history = [];
      this.clearCandidates();
      this.pendingNotices = [];
      const conn = await this.connection;
      await conn.api.reset();
    });
  }

  run(code: string, options: RunOptions = {}): Promise<ExecutionResult> {
    return this.serial(async () => {
      checkCode(code);
      const result = await this.execute(code, (api, ms) => api.run(code, ms), options);
      if (!result.error && !result.restarted) this.history.push(code);
      return result;
    });
  }

  runCandidate(code: string, options: RunOptions = {}): Promise<CandidateResult> {
    return this.serial(async () => {
      checkCode(code);
      const sameId = this.candidatesByCode.get(code);
      const same = sameId === undefined ? undefined : this.candidates.get(sameId);
      if (same) return { ...same.result, reused: true };
      const candidateId = this.nextCandidateId++;
      const result = await this.execute(
        code,
        (api, ms) => api.runCandidate(code, candidateId, ms),
        options,
        (api) => api.holdCandidate(candidateId),
      );
      const candidate: CandidateResult = { ...result, candidateId, reused: false };
      // A restart during this run dropped every candidate namespace, this one included.
      if (result.restarted) for (const c of this.candidates.values()) c.lost = true;
      this.candidates.set(candidateId, { code, result: candidate, lost: !!result.restarted });
      this.candidatesByCode.set(code, candidateId);
      return candidate;
    });
  }

  commitCandidate(candidateId: number): Promise<void> {
    return this.serial(async () => {
      const candidate = this.candidates.get(candidateId);
      if (!candidate) {
        throw new Error(
          `commitCandidate: no pending candidate ${candidateId} in this step (already committed or discarded?)`,
        );
      }
      if (candidate.lost) {
        // Its namespace died with a restarted worker: rebuild it by running the code in the episode namespace.
        const rerun = await this.execute(candidate.code, (api, ms) => api.run(candidate.code, ms), {});
        if (!rerun.error) this.history.push(candidate.code);
        this.pendingNotices.push(
          "The chosen action was executed again after the Python interpreter restarted; its effects may differ.",
        );
        await (await this.connection).api.discardCandidates();
      } else {
        const conn = await this.connection;
        const adopted = await conn.api.commitCandidate(candidateId);
        if (!adopted) throw new Error(`commitCandidate: the worker no longer holds candidate ${candidateId}`);
        if (!candidate.result.error) this.history.push(candidate.code);
      }
      this.clearCandidates();
    });
  }

  discardCandidates(): Promise<void> {
    return this.serial(async () => {
      this.clearCandidates();
      await (await this.connection).api.discardCandidates();
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const conn = await this.connection.catch(() => undefined);
    conn?.terminate();
  }

  private clearCandidates(): void {
    this.candidates.clear();
    this.candidatesByCode.clear();
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    if (this.disposed) return Promise.reject(new Error("executor is disposed"));
    // Node hosts unref their worker so an idle executor never keeps a process alive; a pending call must.
    const hold = setInterval(() => {}, 1 << 30);
    const next = this.queue.then(task, task).finally(() => clearInterval(hold));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async execute(
    code: string,
    call: (api: Remote<RuntimeApi>, timeoutMs: number) => Promise<RawResult>,
    options: RunOptions,
    /** Called instead of `call` when a needed package cannot be installed (the code never runs). */
    refused?: (api: Remote<RuntimeApi>) => Promise<unknown>,
  ): Promise<ExecutionResult> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
    const started = performance.now();
    const notices = this.pendingNotices.splice(0);
    if (options.signal?.aborted) {
      return finish(
        errorResult("AbortError", "Code execution was cancelled before it started"),
        started,
        notices,
      );
    }
    const conn = await this.connection;
    conn.interrupt?.clear();
    // Only code that imports can need a package installed first; the rest saves a round trip.
    const prepared: Outcome<string> = IMPORTS.test(code)
      ? await this.race(conn, conn.api.prepare(code), PREPARE_LIMIT_MS, options.signal)
      : { kind: "done", raw: "" };
    if (prepared.kind === "done" && prepared.raw) {
      const type = prepared.raw.includes("ImportError:") ? "ImportError" : "ModuleNotFoundError";
      await refused?.(conn.api);
      return finish(errorResult(type, prepared.raw), started, notices);
    }
    const outcome =
      prepared.kind === "done"
        ? await this.race(conn, call(conn.api, timeoutMs), timeoutMs, options.signal)
        : prepared;
    // The restart may have queued a notice (a failed replay) for whoever runs next.
    notices.push(...this.pendingNotices.splice(0));
    if (outcome.kind === "done") {
      let raw = checkRawResult(outcome.raw);
      if (raw.fatal || raw.error?.type === "MemoryError") {
        // A wasm heap never shrinks: after a memory bomb the worker keeps gigabytes, so it is replaced too.
        notices.push(
          this.restart(conn, raw.fatal ? "the interpreter failed" : "the action ran out of memory"),
        );
        return { ...finish(raw, started, notices), restarted: true };
      }
      if (options.signal?.aborted && raw.error?.type === "TimeoutError") {
        raw = { ...raw, error: { type: "AbortError", message: "Code execution was cancelled" } };
      }
      return finish(raw, started, notices);
    }
    if (outcome.kind === "crash") {
      notices.push(this.restart(conn, "the worker crashed"));
      const raw = errorResult(
        "WorkerCrash",
        `Code execution failed due to: WorkerCrash: the Python worker stopped (${outcome.detail}); it may have run out of memory`,
      );
      return { ...finish(raw, started, notices), restarted: true };
    }
    const seconds = `${Number((timeoutMs / 1000).toFixed(3))}`;
    notices.push(
      this.restart(
        conn,
        outcome.kind === "timeout" ? "the action ran out of time" : "the action was cancelled",
      ),
    );
    const raw =
      outcome.kind === "timeout"
        ? errorResult(
            "TimeoutError",
            `Code execution failed due to: TimeoutError: Code execution exceeded the time limit of ${seconds} seconds`,
          )
        : errorResult("AbortError", "Code execution was cancelled");
    return { ...finish(raw, started, notices), restarted: true };
  }

  private race<T>(
    conn: WorkerConnection,
    pending: Promise<T>,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Outcome<T>> {
    return new Promise<Outcome<T>>((resolve) => {
      let settled = false;
      const timers: ReturnType<typeof setTimeout>[] = [];
      const settle = (outcome: Outcome<T>) => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        signal?.removeEventListener("abort", onAbort);
        resolve(outcome);
      };
      const stop = (kind: "timeout" | "abort") => {
        if (conn.interrupt) {
          conn.interrupt.raise();
          // When the grace ends, let one more turn of the event loop deliver a reply that is already
          // queued: on a loaded machine the timer can fire before a waiting worker message is read.
          timers.push(setTimeout(() => setTimeout(() => settle({ kind }), 0), INTERRUPT_GRACE_MS));
        } else {
          settle({ kind });
        }
      };
      const onAbort = () => stop("abort");
      pending.then(
        (raw) => settle({ kind: "done", raw }),
        (err: unknown) => settle({ kind: "crash", detail: err instanceof Error ? err.message : String(err) }),
      );
      conn.died.then((detail) => settle({ kind: "crash", detail }));
      timers.push(setTimeout(() => stop("timeout"), timeoutMs));
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Terminates the worker, starts a fresh one in the background and restores the namespace there. */
  private restart(old: WorkerConnection, why: string): string {
    old.terminate();
    for (const c of this.candidates.values()) c.lost = true;
    if (this.history.length > MAX_REPLAY_ACTIONS) {
      this.history = [];
      this.connection = this.spawn(this.config);
      return `The Python interpreter was restarted because ${why}; the episode had more than ${MAX_REPLAY_ACTIONS} actions, too many to replay, so its variables are gone: define again what you need.`;
    }
    const history = [...this.history];
    this.connection = this.spawnAndRestore(history);
    if (!history.length) return `The Python interpreter was restarted because ${why}.`;
    return (
      `The Python interpreter was restarted because ${why}; the variables of earlier steps are restored by ` +
      `re-running the ${history.length} earlier successful action(s) (prints are not repeated; random values may differ).`
    );
  }

  /**
   * Re-runs `history` on a fresh worker: packages first (their own limit, like before an action), then the
   * actions, within the sum of their time limits. Returns why it failed, or "" when the namespace is back.
   */
  private async restore(conn: WorkerConnection, history: string[]): Promise<string> {
    for (const code of history.filter((c) => IMPORTS.test(c))) {
      const prepared = await this.race(conn, conn.api.prepare(code), PREPARE_LIMIT_MS, undefined);
      if (prepared.kind !== "done")
        return prepared.kind === "crash"
          ? `the worker stopped: ${prepared.detail}`
          : "installing packages ran out of time";
      if (prepared.raw) return prepared.raw;
    }
    const budget = Math.min(this.defaultTimeoutMs * history.length, MAX_REPLAY_MS);
    const replayed = await this.race(
      conn,
      conn.api.replay(history, this.defaultTimeoutMs),
      budget,
      undefined,
    );
    if (replayed.kind === "done") return replayed.raw;
    return replayed.kind === "crash" ? `the worker stopped: ${replayed.detail}` : "it ran out of time";
  }

  private async spawnAndRestore(history: string[]): Promise<WorkerConnection> {
    const conn = await this.spawn(this.config);
    if (!history.length) return conn;
    const failure = await this.restore(conn, history);
    if (!failure) return conn;
    this.history = [];
    this.pendingNotices.push(
      `Restoring the earlier variables after the restart failed (${failure}); the namespace was reset: define again what you need.`,
    );
    conn.terminate();
    return this.spawn(this.config);
  }
}

function checkCode(code: unknown): asserts code is string {
  if (typeof code !== "string") throw new TypeError(`code must be a string, got ${typeof code}`);
}

/**
 * The worker's reply is untrusted (code that escaped Python could forge it): anything that is not a
 * well-formed result becomes an error result instead of reaching the agent.
 */
/**
 * A JSON value (what `finalAnswer` may be: the prelude sends JSON text): plain arrays and objects, finite
 * numbers, strings, booleans, null. A forged reply could hold a BigInt, a Map or a cycle instead, which the
 * host's JSON.stringify of the answer (traces, trajectories) would throw on.
 */
function isJsonValue(root: unknown): boolean {
  // Iterative: a deeply nested answer must not overflow the host's stack.
  const stack: unknown[] = [root];
  const seen = new Set<object>();
  let budget = 1_000_000;
  while (stack.length) {
    if (--budget < 0) return false;
    const v = stack.pop();
    if (v === null || typeof v === "boolean" || typeof v === "string") continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return false;
      continue;
    }
    if (typeof v !== "object" || seen.has(v)) return false;
    seen.add(v);
    if (Array.isArray(v)) {
      if (Object.getPrototypeOf(v) !== Array.prototype) return false;
      for (const x of v) stack.push(x);
      continue;
    }
    if (Object.getPrototypeOf(v) !== Object.prototype) return false;
    for (const x of Object.values(v)) stack.push(x);
  }
  return true;
}

export function checkRawResult(raw: unknown): RawResult {
  const r = raw as Partial<RawResult> | null;
  const error = r?.error;
  const wellFormed =
    typeof r === "object" &&
    r !== null &&
    typeof r.logs === "string" &&
    typeof r.output === "string" &&
    typeof r.isFinalAnswer === "boolean" &&
    (r.fatal === undefined || typeof r.fatal === "boolean") &&
    (r.finalAnswer === undefined || isJsonValue(r.finalAnswer)) &&
    (error === undefined ||
      (typeof error === "object" &&
        error !== null &&
        typeof error.type === "string" &&
        typeof error.message === "string"));
  if (wellFormed) return r as RawResult;
  const crash = "Code execution failed due to: InterpreterCrash: the Python worker sent a malformed result";
  return { ...errorResult("InterpreterCrash", crash), fatal: true };
}

function errorResult(type: string, message: string): RawResult {
  return { logs: "", output: "None", isFinalAnswer: false, error: { type, message } };
}

function finish(raw: RawResult, started: number, notices: string[]): ExecutionResult {
  const result: ExecutionResult = {
    logs: raw.logs,
    output: raw.output,
    isFinalAnswer: raw.isFinalAnswer,
    durationMs: performance.now() - started,
  };
  if (raw.error) result.error = raw.error;
  if (raw.isFinalAnswer) result.finalAnswer = raw.finalAnswer;
  if (notices.length) result.notice = notices.join(" ");
  return result;
}
