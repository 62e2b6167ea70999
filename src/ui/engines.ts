/**
 * The engine a run uses, made from the settings. A web-llm model stays loaded between runs (loading is
 * the expensive part); the others are cheap and made fresh.
 */
import type { Trajectory } from "../agent/trajectory.ts";
import type { Engine } from "../llm/engine.ts";
import { OpenAIEngine } from "../llm/openai/openai-engine.ts";
import { ReplayEngine } from "../llm/replay/replay-engine.ts";
import type { WorkerLike } from "../llm/webllm/load.ts";
import type { LoadProgress, WebLLMEngine } from "../llm/webllm/webllm-engine.ts";
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

export class EngineProvider {
  private loaded: { key: string; engine: WebLLMEngine } | undefined;
  private loading: { key: string; promise: Promise<WebLLMEngine> } | undefined;

  constructor(private readonly spawnWorker: () => WorkerLike) {}

  async get(choice: EngineChoice, request: EngineRequest): Promise<Engine> {
    switch (choice.kind) {
      case "replay":
        if (!request.replay) {
          throw new Error(
            "replay: pick a trajectory file (a run saved with “Save trajectory” or `pocket-agent ask --save`)",
          );
        }
        return ReplayEngine.fromTrajectory(request.replay.trajectory, request.replay.name);
      case "openai":
        return new OpenAIEngine({ baseUrl: choice.baseUrl, model: choice.model, apiKey: choice.apiKey });
      case "webllm":
        return this.webllm(JSON.stringify(choice.model), choice, request);
    }
  }

  private async webllm(
    key: string,
    choice: Extract<EngineChoice, { kind: "webllm" }>,
    request: EngineRequest,
  ): Promise<Engine> {
    if (this.loaded?.key === key) return this.loaded.engine;
    if (this.loading?.key === key) return this.loading.promise;
    if (this.loaded) {
      await this.loaded.engine.unload().catch(() => {});
      this.loaded = undefined;
    }
    // web-llm is megabytes of JavaScript: only pages that use it load it.
    const promise = import("../llm/webllm/load.ts").then(({ loadWebLLMEngine }) =>
      loadWebLLMEngine({
        model: choice.model,
        onProgress: request.onModelProgress,
        signal: request.signal,
        spawnWorker: this.spawnWorker,
      }),
    );
    this.loading = { key, promise };
    try {
      const engine = await promise;
      this.loaded = { key, engine };
      return engine;
    } finally {
      if (this.loading?.promise === promise) this.loading = undefined;
    }
  }
}
