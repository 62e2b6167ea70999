/**
 * The web-llm side of the worker: web-llm's MLCEngine runs here (WebGPU inference off the page's thread)
 * and the page reaches it through WebLLMWorkerApi over comlink (worker-client.ts). This is the only
 * module that imports web-llm's code, so its megabytes load once, in the worker.
 */
import { CreateMLCEngine, type MLCEngineConfig } from "@mlc-ai/web-llm";
import { type Endpoint, expose } from "comlink";
import { EngineError } from "../../ports/engine.ts";
import { chatConfigUrl, resolveModel } from "./model-config.ts";
import { type MLCEngineLike, webLLMErrorText } from "./webllm-engine.ts";
import type { LoadReply, WebLLMWorkerApi } from "./worker-protocol.ts";

/** How the worker makes an engine: web-llm's CreateMLCEngine, or a stand-in in unit tests. */
export type CreateEngine = (modelId: string, config: MLCEngineConfig) => Promise<MLCEngineLike>;

export function webLLMWorkerApi(create: CreateEngine = CreateMLCEngine): WebLLMWorkerApi {
  let engine: MLCEngineLike | undefined;
  const streams = new Map<number, AsyncIterator<unknown>>();
  let lastStream = 0;
  const loaded = (): MLCEngineLike => {
    if (!engine) throw new EngineError("web-llm: no model is loaded", "model");
    return engine;
  };
  return {
    async load(choice, pageUrl, onProgress): Promise<LoadReply> {
      let resolved: ReturnType<typeof resolveModel>;
      try {
        resolved = resolveModel(choice, pageUrl);
      } catch (error) {
        const e = error instanceof EngineError ? error : new EngineError(String(error), "model");
        return { ok: false, text: e.message, code: e.code, files: [] };
      }
      const { modelId, appConfig, record } = resolved;
      try {
        await engine?.unload();
        engine = undefined;
        engine = await create(modelId, { appConfig, initProgressCallback: (r) => onProgress(r) });
        return { ok: true, modelId };
      } catch (error) {
        return {
          ok: false,
          modelId,
          text: webLLMErrorText(error),
          code: "model",
          files: [
            { url: chatConfigUrl(record), expect: "json" },
            { url: record.model_lib, expect: "wasm" },
          ],
        };
      }
    },
    complete: (request) => loaded().chatCompletion(request),
    async streamStart(request) {
      const chunks = await loaded().chatCompletion(request);
      streams.set(++lastStream, chunks[Symbol.asyncIterator]());
      return lastStream;
    },
    async streamNext(stream) {
      const chunks = streams.get(stream);
      if (!chunks) return { done: true, value: undefined };
      const next = await chunks.next().catch((error: unknown) => {
        streams.delete(stream);
        throw error;
      });
      if (next.done) {
        streams.delete(stream);
        return { done: true, value: undefined };
      }
      return next as IteratorYieldResult<never>;
    },
    async interruptGenerate() {
      engine?.interruptGenerate();
    },
    async unload() {
      streams.clear();
      await engine?.unload();
      engine = undefined;
    },
  };
}

/** Serves the API on the worker's own scope (workers/llm.worker.ts). */
export function serveWebLLM(endpoint: Endpoint): void {
  expose(webLLMWorkerApi(), endpoint);
}
