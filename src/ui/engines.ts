/**
 * The engine a run uses, made from the settings. A local model (web-llm on WebGPU, or llama.cpp in
 * WebAssembly on the CPU) stays loaded between runs (loading is the expensive part); the others are cheap
 * and made fresh. Both local engines' code is imported only when picked: web-llm is megabytes, wllama
 * hundreds of KB, and neither belongs in the page's first load.
 */
import type { Trajectory } from "../agent/trajectory.ts";
import { recordedCompletions } from "../agent/trajectory-format.ts";
import { findCatalogModel } from "../llm/catalog.ts";
import { OpenAIEngine } from "../llm/openai/openai-engine.ts";
import { ReplayEngine } from "../llm/replay/replay-engine.ts";
import type { WorkerLike } from "../llm/webllm/load.ts";
import type { LoadProgress } from "../llm/webllm/webllm-engine.ts";
import type { Engine } from "../ports/engine.ts";
import { findLocalModel, wllamaWasmUrl } from "./local-models.ts";
import type { EngineChoice } from "./settings.ts";

export interface ReplaySource {
  trajectory: Trajectory;
  /** File name, shown in the trace header. */
  name: string;
}

export interface EngineRequest {
  replay?: ReplaySource;
  onModelProgress: (progress: LoadProgress) => void;
  signal?: AbortSignal;
}

/** A loaded local model, and how to free it when another one replaces it. */
interface LoadedEngine {
  engine: Engine;
  unload(): Promise<void>;
}

export class EngineProvider {
  private loaded: { key: string; loaded: LoadedEngine } | undefined;
  private loading: { key: string; promise: Promise<LoadedEngine> } | undefined;

  constructor(private readonly spawnWorker: () => WorkerLike) {}

  /** True when this choice's model is loaded already (nothing to download or start). */
  isLoaded(choice: EngineChoice): boolean {
    return this.loaded?.key === localKey(choice);
  }

  async get(choice: EngineChoice, request: EngineRequest): Promise<Engine> {
    switch (choice.kind) {
      case "replay":
        if (!request.replay) {
          throw new Error(
            "replay: pick a trajectory file (a run saved with “Save trajectory” or `pocket-agent ask --save`)",
          );
        }
        return new ReplayEngine(recordedCompletions(request.replay.trajectory), request.replay.name);
      case "openai":
        return new OpenAIEngine({ baseUrl: choice.baseUrl, model: choice.model, apiKey: choice.apiKey });
      case "webllm":
        return this.local(localKey(choice), async () => {
          const { loadWebLLMEngine } = await import("../llm/webllm/load.ts");
          const engine = await loadWebLLMEngine({
            model: choice.model,
            onProgress: request.onModelProgress,
            signal: request.signal,
            spawnWorker: this.spawnWorker,
          });
          return { engine, unload: () => engine.unload() };
        });
      case "wllama":
        return this.local(localKey(choice), async () => {
          const model = findLocalModel(choice.modelId);
          if (!model) throw new Error(`CPU engine: unknown model "${choice.modelId}"`);
          const [{ loadWllamaEngine }, { hubUrl }] = await Promise.all([
            import("../llm/wllama/load.ts"),
            import("../llm/wllama/model-download.ts"),
          ]);
          const entry = findCatalogModel(model.id);
          const engine = await loadWllamaEngine({
            // A catalog download is kept in this browser (OPFS) once verified; the bundled one is precached.
            model:
              model.bundled || !entry
                ? { url: model.url }
                : {
                    stored: {
                      // VITE_HF_ENDPOINT, set when the page is built, is the page's HF_ENDPOINT: a mirror
                      // of the hub (a static page has no environment to read at run time).
                      url: hubUrl(model.url, import.meta.env["VITE_HF_ENDPOINT"]),
                      fileName: entry.fileName,
                      sizeBytes: entry.sizeBytes,
                      ...(entry.sha256 ? { sha256: entry.sha256 } : {}),
                    },
                  },
            modelName: model.name,
            wasmUrl: wllamaWasmUrl,
            ...(model.contextSize ? { contextSize: model.contextSize } : {}),
            onProgress: request.onModelProgress,
            signal: request.signal,
          });
          return { engine, unload: () => engine.dispose() };
        });
    }
  }

  private async local(key: string, load: () => Promise<LoadedEngine>): Promise<Engine> {
    if (this.loaded?.key === key) return this.loaded.loaded.engine;
    if (this.loading?.key === key) return (await this.loading.promise).engine;
    if (this.loaded) {
      await this.loaded.loaded.unload().catch(() => {});
      this.loaded = undefined;
    }
    const promise = load();
    this.loading = { key, promise };
    try {
      const loaded = await promise;
      this.loaded = { key, loaded };
      return loaded.engine;
    } finally {
      if (this.loading?.promise === promise) this.loading = undefined;
    }
  }
}

function localKey(choice: EngineChoice): string {
  if (choice.kind === "webllm") return `webllm:${JSON.stringify(choice.model)}`;
  if (choice.kind === "wllama") return `wllama:${choice.modelId}`;
  return choice.kind;
}
