/**
 * Test page for the browser executor: exposes a tiny harness on window for Playwright to drive.
 */
import {
  type BrowserExecutor,
  canInterrupt,
  createBrowserExecutor,
} from "../../../../src/exec/browser/browser-executor.ts";
import type { ExecutionResult, RunOptions } from "../../../../src/ports/executor.ts";

export interface ExecutorHarness {
  isolated: boolean;
  canInterrupt: boolean;
  create(options?: { timeoutMs?: number }): Promise<void>;
  run(code: string, options?: RunOptions): Promise<ExecutionResult>;
  runCandidate(code: string): Promise<ExecutionResult & { candidateId: number; reused: boolean }>;
  commitCandidate(id: number): Promise<void>;
  reset(): Promise<void>;
  /** typeof of globals inside the Python worker after set-up. */
  probeWorkerGlobals(names: string[]): Promise<Record<string, string>>;
  /** Test hook: JavaScript run inside the Python worker, as an escaped action could run it. */
  evalInWorker(source: string): Promise<unknown>;
  /** Page-side positive control for the canary: a no-cors request from the main thread. */
  pingFromPage(url: string): Promise<void>;
  /** How Python started in the current worker (from the build's snapshot, or not). */
  pythonStart(): string;
}

let executor: BrowserExecutor | undefined;
const need = () => {
  if (!executor) throw new Error("call create() first");
  return executor;
};

const harness: ExecutorHarness = {
  isolated: globalThis.crossOriginIsolated === true,
  canInterrupt: canInterrupt(),
  async create(options = {}) {
    await executor?.dispose();
    executor = await createBrowserExecutor({ ...options, testHooks: true });
  },
  run: (code, options) => need().run(code, options),
  runCandidate: (code) => need().runCandidate(code),
  commitCandidate: (id) => need().commitCandidate(id),
  reset: () => need().reset(),
  async probeWorkerGlobals(names) {
    const source = `return Object.fromEntries(${JSON.stringify(names)}.map((n) => [n, typeof self[n]]));`;
    return (await harness.evalInWorker(source)) as Record<string, string>;
  },
  evalInWorker(source) {
    const hook = need().evalInWorker;
    if (!hook) throw new Error("the executor was created without testHooks");
    return hook(source);
  },
  async pingFromPage(url) {
    await fetch(url, { mode: "no-cors" }).catch(() => undefined);
  },
  pythonStart: () => need().pythonStart(),
};

(globalThis as unknown as { executorHarness: ExecutorHarness }).executorHarness = harness;
document.title = "executor e2e ready";
