/**
 * The Executor port: runs the model's Python code actions for one episode at a time.
 * Implementations: the Pyodide worker host for Node (worker_threads) and for the browser (Web Worker).
 */

export interface ExecutionError {
  /** Python exception class name, e.g. "ZeroDivisionError", or "TimeoutError", "WorkerCrash". */
  type: string;
  /**
   * The message in the reference layout, fed back to the model after "Error:\n", e.g.
   * "Code execution failed at line 'y = 1 / 0' due to: ZeroDivisionError: division by zero".
   */
  message: string;
}

export interface ExecutionResult {
  /** Captured print output (already truncated head+tail). */
  logs: string;
  /** str() of the value of the last top-level statement (reference semantics), truncated; "None" when none. */
  output: string;
  /** Set when the action raised (after possibly printing something). */
  error?: ExecutionError;
  /** True when the action called final_answer(x). */
  isFinalAnswer: boolean;
  /** The final answer as a JSON value when it has one (int, float, str, bool, list...), else its str(). */
  finalAnswer?: unknown;
  durationMs: number;
  /** True when the executor had to restart its worker (timeout without interrupt, crash, memory); the namespace was lost or restored. */
  restarted?: boolean;
  /** Note for the observation when the executor did something the model should know about (e.g. namespace reset). */
  notice?: string;
}

export interface CandidateResult extends ExecutionResult {
  /** Handle for commitCandidate(). */
  candidateId: number;
  /** True when the same code already ran in this step and this result is shared with that run. */
  reused: boolean;
}

export interface RunOptions {
  /** Per-action time limit in milliseconds (default 10 000). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Executor {
  /** Forget the episode namespace: a fresh episode begins. */
  reset(): Promise<void>;
  /** Run code directly in the episode namespace. */
  run(code: string, options?: RunOptions): Promise<ExecutionResult>;
  /**
   * Run one candidate action of the current step against its own copy of the episode namespace.
   * Candidates of the same step do not see each other's side effects. Identical code runs once.
   */
  runCandidate(code: string, options?: RunOptions): Promise<CandidateResult>;
  /** Adopt the namespace of a candidate as the episode namespace, without executing it again; drops the other candidates. */
  commitCandidate(candidateId: number): Promise<void>;
  /** Drop all pending candidates of the current step (the episode namespace is unchanged). */
  discardCandidates(): Promise<void>;
  dispose(): Promise<void>;
}

export interface ExecutorOptions {
  /** Modules the model may import (default: the reference list). */
  authorizedImports?: string[];
  /** Default per-action time limit, ms (default 10 000). */
  timeoutMs?: number;
  /** Max characters of the last-value output (default 20 000). */
  maxOutputChars?: number;
  /** Max characters of captured prints (default 50 000). */
  maxPrintChars?: number;
  /** The shard behind `web_search`; absent -> the tool raises a clear error when called. */
  shard?: ShardSource;
  /** Passages returned by web_search (default 3). */
  searchTopK?: number;
  /**
   * Python's memory (the wasm heap), MB (default 1024): an action that needs more gets MemoryError, and
   * the worker is replaced. wasm itself stops at 4096.
   */
  memoryLimitMB?: number;
}

/** Where the worker finds a shard: a file path (Node), a URL (browser, same origin), or bytes. */
export type ShardSource =
  | { path: string }
  | { url: string }
  | { bytes: Uint8Array }
  /** A Blob or File (picked, or from OPFS): it crosses to workers by reference and is read there. */
  | { blob: Blob };

export const REFERENCE_AUTHORIZED_IMPORTS = [
  "collections",
  "datetime",
  "itertools",
  "math",
  "queue",
  "random",
  "re",
  "stat",
  "statistics",
  "time",
  "unicodedata",
  "numpy",
  "sympy",
] as const;
