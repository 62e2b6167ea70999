/**
 * Which model web-llm loads: one of its prebuilt records, or a custom record for a student the user
 * compiled with MLC (weights folder URL + model library .wasm URL).
 */
import { type AppConfig, type ModelRecord, prebuiltAppConfig } from "@mlc-ai/web-llm";
import { EngineError } from "../../ports/engine.ts";
import { DEFAULT_WEBLLM_MODEL } from "./models.ts";

export { DEFAULT_WEBLLM_MODEL };

export interface CustomModel {
  /** Name the model is known by in web-llm and in traces. */
  modelId: string;
  /**
   * Folder holding mlc-chat-config.json, tensor-cache.json and the weight shards; absolute, or relative to
   * the page. A Hugging Face repository URL also works (web-llm appends resolve/main/).
   */
  modelUrl: string;
  /** The model library compiled for WebGPU (.wasm). */
  modelLibUrl: string;
  /** Override of the context window (tokens); the agent's prompts need about 4k. */
  contextWindowSize?: number;
  /** Shown before loading so a user knows whether the GPU can hold it. */
  vramRequiredMB?: number;
}

export type ModelChoice =
  | {
      prebuilt: string;
      /** Override of the prebuilt record's context window (web-llm's Qwen2.5 records say 4096). */
      contextWindowSize?: number;
    }
  | { custom: CustomModel };

export interface ResolvedModel {
  modelId: string;
  appConfig: AppConfig;
  record: ModelRecord;
}

export function resolveModel(choice: ModelChoice, base = defaultBase()): ResolvedModel {
  if ("prebuilt" in choice) {
    const record = prebuiltAppConfig.model_list.find((r) => r.model_id === choice.prebuilt);
    if (!record) {
      throw new EngineError(
        `web-llm has no prebuilt model "${choice.prebuilt}"; pick one of its list (e.g. ${DEFAULT_WEBLLM_MODEL}) or give the URLs of your own MLC-compiled model`,
        "model",
      );
    }
    const window = choice.contextWindowSize;
    if (window !== undefined) checkContextWindow(window);
    const chosen: ModelRecord = window
      ? { ...record, overrides: { ...record.overrides, context_window_size: window } }
      : record;
    return {
      modelId: chosen.model_id,
      appConfig: { ...prebuiltAppConfig, model_list: [chosen] },
      record: chosen,
    };
  }
  const record = customModelRecord(choice.custom, base);
  return { modelId: record.model_id, appConfig: { model_list: [record], cacheBackend: "cache" }, record };
}

/** A web-llm ModelRecord for a user's own MLC-compiled model; URLs are checked and made absolute. */
export function customModelRecord(model: CustomModel, base = defaultBase()): ModelRecord {
  const modelId = model.modelId.trim();
  if (!modelId) throw new EngineError("custom model: the model id is empty", "model");
  const modelUrl = absoluteUrl(model.modelUrl, base, "model URL");
  const modelLib = absoluteUrl(model.modelLibUrl, base, "model library URL");
  if (!new URL(modelLib).pathname.endsWith(".wasm")) {
    throw new EngineError(
      `custom model: the model library URL must name the compiled .wasm file, got ${model.modelLibUrl}`,
      "model",
    );
  }
  if (model.contextWindowSize !== undefined) checkContextWindow(model.contextWindowSize);
  return {
    model_id: modelId,
    model: modelUrl.endsWith("/") ? modelUrl : `${modelUrl}/`,
    model_lib: modelLib,
    ...(model.contextWindowSize ? { overrides: { context_window_size: model.contextWindowSize } } : {}),
    ...(model.vramRequiredMB ? { vram_required_MB: model.vramRequiredMB } : {}),
  };
}

function checkContextWindow(tokens: number): void {
  if (!(Number.isInteger(tokens) && tokens > 0)) {
    throw new EngineError(
      `the context window must be a positive whole number of tokens, got ${tokens}`,
      "model",
    );
  }
}

/** Where web-llm reads mlc-chat-config.json for a record (the same rule as its cleanModelUrl). */
export function chatConfigUrl(record: ModelRecord): string {
  let url = record.model.endsWith("/") ? record.model : `${record.model}/`;
  if (!/.+\/resolve\/.+\//.test(url)) url += "resolve/main/";
  return new URL("mlc-chat-config.json", url).href;
}

function absoluteUrl(value: string, base: string | undefined, what: string): string {
  const text = value.trim();
  if (!text) throw new EngineError(`custom model: the ${what} is empty`, "model");
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new EngineError(`custom model: the ${what} "${value}" is not a valid URL`, "model");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new EngineError(`custom model: the ${what} must be http(s), got ${url.protocol}`, "model");
  }
  return url.href;
}

function defaultBase(): string | undefined {
  return typeof location === "undefined" ? undefined : location.href;
}
