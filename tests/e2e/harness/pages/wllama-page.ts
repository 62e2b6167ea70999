/**
 * Test page for the wllama engine (llama.cpp in WebAssembly) with the bundled micro-student: exposes a
 * tiny harness on window for Playwright to drive. Generation requests carry no functions, so the harness
 * keeps the abort controller on this side.
 */

import { findCatalogModel } from "../../../../src/llm/catalog.ts";
import { loadWllamaEngine } from "../../../../src/llm/wllama/load.ts";
import type {
  WllamaEngine,
  WllamaPromptStats,
  WllamaTimings,
} from "../../../../src/llm/wllama/wllama-engine.ts";
import type { GenerateRequest, GenerateResult } from "../../../../src/ports/engine.ts";
import { microGgufUrl, wllamaWasmUrl } from "../../../../src/ui/local-models.ts";

const MICRO_SHA256 = findCatalogModel("micro")?.sha256;

export type PlainRequest = Omit<GenerateRequest, "signal" | "onToken"> & {
  /** Stream tokens (n = 1) and return them with the result. */
  stream?: boolean;
  /** Abort after this many streamed pieces. */
  abortAfterPieces?: number;
};

export interface WllamaHarness {
  isolated: boolean;
  /** `store`: keep the model in this browser's OPFS (the page's catalog downloads) instead of a plain fetch. */
  load(options?: { contextSize?: number; threads?: number; store?: boolean }): Promise<string>;
  generate(
    request: PlainRequest,
  ): Promise<
    | { ok: true; result: GenerateResult; pieces: string[] }
    | { ok: false; code: string; message: string; pieces: string[] }
  >;
  renderPrompt(messages: GenerateRequest["messages"]): string;
  stats(): { prompt: WllamaPromptStats; timings: WllamaTimings | undefined };
  dispose(): Promise<void>;
}

let engine: WllamaEngine | undefined;
const need = () => {
  if (!engine) throw new Error("call load() first");
  return engine;
};

const harness: WllamaHarness = {
  isolated: globalThis.crossOriginIsolated === true,
  async load({ store, ...options } = {}) {
    await engine?.dispose();
    const url = new URL(microGgufUrl, location.href).href;
    engine = await loadWllamaEngine({
      model: store ? { stored: { url, fileName: "micro-arith.gguf", sha256: MICRO_SHA256 } } : { url },
      modelName: "micro-arith",
      wasmUrl: wllamaWasmUrl,
      ...options,
    });
    return engine.info.label;
  },
  async generate({ stream, abortAfterPieces, ...request }) {
    const pieces: string[] = [];
    const controller = new AbortController();
    try {
      const result = await need().generate({
        ...request,
        signal: controller.signal,
        ...(stream
          ? {
              onToken: (piece: string) => {
                pieces.push(piece);
                if (abortAfterPieces !== undefined && pieces.length >= abortAfterPieces) controller.abort();
              },
            }
          : {}),
      });
      return { ok: true, result, pieces };
    } catch (error) {
      const e = error as { code?: string; message?: string };
      return { ok: false, code: e.code ?? "thrown", message: e.message ?? String(error), pieces };
    }
  },
  renderPrompt: (messages) => need().renderPrompt(messages),
  stats: () => ({ prompt: { ...need().stats }, timings: need().lastTimings }),
  async dispose() {
    await engine?.dispose();
    engine = undefined;
  },
};

(globalThis as unknown as { wllamaHarness: WllamaHarness }).wllamaHarness = harness;
document.title = "wllama e2e ready";
