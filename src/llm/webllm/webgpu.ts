/**
 * The WebGPU check web-llm needs before any download starts: a browser without `navigator.gpu`, or one
 * whose GPU process offers no adapter (blocklisted driver, headless without the flag, no GPU), fails here
 * with a message the page can show as is, instead of after a multi-gigabyte download.
 */
import { EngineError } from "../../ports/engine.ts";

/** The slice of `navigator` the check reads (injectable so tests can describe any browser). */
export interface GpuNavigator {
  gpu?: {
    requestAdapter(options?: { powerPreference?: "low-power" | "high-performance" }): Promise<unknown>;
  };
  userAgent?: string;
}

export interface WebGPUSupport {
  /** Adapter description when the browser tells it (vendor / architecture), else "". */
  adapter: string;
}

const HINT =
  "use a browser with WebGPU enabled (Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows), or choose the " +
  "OpenAI-compatible server or replay engine in the settings";

export async function checkWebGPU(nav: GpuNavigator | undefined = globalNavigator()): Promise<WebGPUSupport> {
  const gpu = nav?.gpu;
  if (!gpu || typeof gpu.requestAdapter !== "function") {
    throw new EngineError(
      `WebGPU is not available in this browser: navigator.gpu is missing; ${HINT}`,
      "unsupported",
    );
  }
  let adapter: unknown;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (error) {
    throw new EngineError(
      `WebGPU is not available in this browser: requesting a GPU adapter failed (${describe(error)}); ${HINT}`,
      "unsupported",
    );
  }
  if (!adapter) {
    throw new EngineError(
      `WebGPU is not available in this browser: no GPU adapter was found (the GPU may be blocklisted or disabled); ${HINT}`,
      "unsupported",
    );
  }
  return { adapter: describeAdapter(adapter) };
}

function describeAdapter(adapter: unknown): string {
  const info = (adapter as { info?: { vendor?: string; architecture?: string; description?: string } }).info;
  if (!info) return "";
  return [info.vendor, info.architecture, info.description].filter(Boolean).join(" ");
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function globalNavigator(): GpuNavigator | undefined {
  return typeof navigator === "undefined" ? undefined : (navigator as unknown as GpuNavigator);
}
