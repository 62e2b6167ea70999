/**
 * Test page for the browser executor: exposes a tiny harness on window for Playwright to drive.
 */
import { wrap } from "comlink";
import { canInterrupt, createBrowserExecutor } from "../../../../src/exec/browser/browser-executor.ts";
import type { ExecutionResult, Executor, RunOptions } from "../../../../src/exec/executor.ts";
import { resolveRuntimeConfig } from "../../../../src/exec/worker-executor.ts";
import type { BrowserWorkerApi } from "../../../../workers/python.worker.ts";

export interface ExecutorHarness {
  isolated: boolean;
  canInterrupt: boolean;
  create(options?: { timeoutMs?: number }): Promise<void>;
  run(code: string, options?: RunOptions): Promise<ExecutionResult>;
  runCandidate(code: string): Promise<ExecutionResult & { candidateId: number; reused: boolean }>;
  commitCandidate(id: number): Promise<void>;
  reset(): Promise<void>;
  /** typeof of globals inside a fresh worker after set-up. */
  probeWorkerGlobals(names: string[]): Promise<Record<string, string>>;
  /** Page-side positive control for the canary: a no-cors request from the main thread. */
  pingFromPage(url: string): Promise<void>;
}

let executor: Executor | undefined;
const need = () => {
  if (!executor) throw new Error("call create() first");
  return executor;
};

const harness: ExecutorHarness = {
  isolated: globalThis.crossOriginIsolated === true,
  canInterrupt: canInterrupt(),
  async create(options = {}) {
    await executor?.dispose();
    executor = await createBrowserExecutor(options);
  },
  run: (code, options) => need().run(code, options),
  runCandidate: (code) => need().runCandidate(code),
  commitCandidate: (id) => need().commitCandidate(id),
  reset: () => need().reset(),
  async probeWorkerGlobals(names) {
    const worker = new Worker(new URL("../../../../workers/python.worker.ts", import.meta.url), {
      type: "module",
    });
    try {
      const api = wrap<BrowserWorkerApi>(worker);
      await api.init({
        config: resolveRuntimeConfig({}),
        pyodideURL: new URL("/pyodide/", location.href).href,
        packagesURL: new URL("/py-packages/", location.href).href,
      });
      return await api.probeGlobals(names);
    } finally {
      worker.terminate();
    }
  },
  async pingFromPage(url) {
    await fetch(url, { mode: "no-cors" }).catch(() => undefined);
  },
};

(globalThis as unknown as { executorHarness: ExecutorHarness }).executorHarness = harness;
document.title = "executor e2e ready";
