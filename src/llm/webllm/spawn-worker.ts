/** Starts the web-llm worker; Vite bundles workers/llm.worker.ts from this `new URL(...)` form. */
export function spawnLlmWorker(): Worker {
  return new Worker(new URL("../../../workers/llm.worker.ts", import.meta.url), {
    type: "module",
    name: "pocket-agent-llm",
  });
}
