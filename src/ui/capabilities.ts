/**
 * The line that says what this browser offers the agent, shown on load next to the engine choice:
 * WebGPU (web-llm), cross-origin isolation (interrupting runaway Python, wasm threads), CPU threads and
 * the storage left for models and shards. DOM-free: app.ts reads the browser and passes the facts in.
 */
import { formatBytes } from "../util/format-bytes.ts";

export interface Capabilities {
  /** Why WebGPU cannot run, or undefined when it can. */
  webgpuProblem: string | undefined;
  crossOriginIsolated: boolean;
  /** navigator.hardwareConcurrency (undefined when the browser does not say). */
  threads: number | undefined;
  /** navigator.storage.estimate(), when the browser has it. */
  storage: { quota?: number; usage?: number } | undefined;
}

export function describeCapabilities(c: Capabilities): string {
  const parts = [
    `WebGPU: ${c.webgpuProblem === undefined ? "yes" : "no"}`,
    `cross-origin isolated: ${c.crossOriginIsolated ? "yes" : "no (a runaway action restarts Python instead of stopping)"}`,
    `CPU threads: ${c.threads ?? "unknown"}`,
  ];
  const quota = c.storage?.quota;
  if (quota !== undefined) {
    const free = Math.max(0, quota - (c.storage?.usage ?? 0));
    parts.push(`storage for models and shards: ${formatBytes(free)} free of ${formatBytes(quota)}`);
  } else {
    parts.push("storage: unknown (this browser does not tell)");
  }
  return `This browser: ${parts.join(" · ")}.`;
}
