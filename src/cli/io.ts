/**
 * What a command reads and writes outside its arguments: output streams, the environment, Ctrl-C, and
 * how it starts a Python executor. `run(argv, io)` (run.ts) sets it for one invocation, so the CLI runs
 * in-process, e.g. in tests, with captured output and a pooled executor; bin/ passes the process's own.
 *
 * Commands read it with `cliIo()`: an AsyncLocalStorage keeps concurrent in-process runs apart without
 * threading an argument through every helper.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createNodeExecutor } from "../exec/index.ts";

export interface OutputStream {
  write(text: string): unknown;
  /** A terminal redraws progress lines in place. */
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  /** Calls `handler` on Ctrl-C until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
  /** Starts the sandboxed Python executor a run uses (replaceable by a pool). */
  createExecutor: typeof createNodeExecutor;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt(handler) {
      process.once("SIGINT", handler);
      return () => process.off("SIGINT", handler);
    },
    createExecutor: createNodeExecutor,
  };
}

const current = new AsyncLocalStorage<CliIo>();

/** The I/O of the command running now; the process's own outside `run`. */
export function cliIo(): CliIo {
  return current.getStore() ?? processIo();
}

export function withCliIo<T>(io: CliIo, body: () => T): T {
  return current.run(io, body);
}
