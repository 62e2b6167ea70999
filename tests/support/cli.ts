/**
 * Runs the real CLI. `runCli` calls `run(argv, io)` in this process with captured output and a pool of
 * Python executors, so a test does not pay a Node start, a TypeScript compile and a Pyodide start per
 * command; `runCliProcess` spawns `node bin/pocket-agent.js` as users do (kept for the smoke tests of the
 * executable itself).
 */
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { run } from "../../src/cli/run.ts";
import { createNodeExecutor, type Executor } from "../../src/exec/index.ts";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
}

export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await run(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ...process.env, ...options.env },
    onInterrupt: () => () => {},
    createExecutor: pooledExecutor,
  });
  return { code, stdout, stderr };
}

export function runCliProcess(
  args: string[],
  options: CliOptions & { timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "bin", "pocket-agent.js"), ...args],
      {
        cwd: ROOT,
        timeout: options.timeoutMs ?? 170_000,
        maxBuffer: 64 * 1024 * 1024,
        ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Executors kept between in-process runs of one test file, by their options (shard, time limit). A
 * run's `dispose` hands the executor back, reset; a fresh one starts when all of that kind are busy.
 * Sharing them across commands is a test economy only: the CLI itself starts one per run.
 */
const idle = new Map<string, Executor[]>();
const all: Executor[] = [];

async function pooledExecutor(options: Parameters<typeof createNodeExecutor>[0] = {}): Promise<Executor> {
  const key = JSON.stringify(options);
  let executor = idle.get(key)?.pop();
  if (executor) await executor.reset();
  else {
    executor = await createNodeExecutor(options);
    all.push(executor);
  }
  const lent = executor;
  let returned = false;
  return {
    reset: () => lent.reset(),
    run: (code, runOptions) => lent.run(code, runOptions),
    runCandidate: (code, runOptions) => lent.runCandidate(code, runOptions),
    commitCandidate: (id) => lent.commitCandidate(id),
    discardCandidates: () => lent.discardCandidates(),
    dispose: async () => {
      if (returned) return;
      returned = true;
      await lent.discardCandidates().catch(() => {});
      idle.set(key, [...(idle.get(key) ?? []), lent]);
    },
  };
}

afterAll(async () => {
  const executors = all.splice(0);
  idle.clear();
  await Promise.all(executors.map((e) => e.dispose()));
});
