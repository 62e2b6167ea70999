/**
 * The settings form as plain values, checked into run settings with a message per bad field. Values are
 * remembered in localStorage (never the API key) so a reload loses nothing.
 */
import { findCatalogModel } from "../llm/catalog.ts";
import type { ModelChoice } from "../llm/webllm/model-config.ts";
import { DEFAULT_WEBLLM_MODEL } from "../llm/webllm/models.ts";

export type EngineKind = "webllm" | "wllama" | "openai" | "replay";

/** The CPU engine's model when none is picked: the bundled micro-student (no download). */
export const DEFAULT_LOCAL_MODEL = "micro";

export interface SettingsValues {
  engine: EngineKind;
  webllmModel: string;
  /** Catalog id of the CPU engine's GGUF model (src/llm/catalog.ts). */
  localModel: string;
  customModelId: string;
  customModelUrl: string;
  customModelLibUrl: string;
  contextWindow: string;
  openaiBaseUrl: string;
  openaiModel: string;
  openaiApiKey: string;
  shardSource: "stored" | "url" | "none";
  shardUrl: string;
  n: string;
  maxSteps: string;
  temperature: string;
  actionTimeout: string;
}

export const DEFAULT_VALUES: SettingsValues = {
  engine: "webllm",
  webllmModel: DEFAULT_WEBLLM_MODEL,
  localModel: DEFAULT_LOCAL_MODEL,
  customModelId: "",
  customModelUrl: "",
  customModelLibUrl: "",
  contextWindow: "",
  openaiBaseUrl: "http://127.0.0.1:8000/v1",
  openaiModel: "",
  openaiApiKey: "",
  shardSource: "stored",
  shardUrl: "",
  n: "1",
  maxSteps: "5",
  temperature: "",
  actionTimeout: "10",
};

export type EngineChoice =
  | { kind: "webllm"; model: ModelChoice }
  /** llama.cpp in WebAssembly on the CPU, with a catalog model. */
  | { kind: "wllama"; modelId: string }
  | { kind: "openai"; baseUrl: string; model: string; apiKey?: string }
  | { kind: "replay" };

export type ShardChoice = { kind: "stored" } | { kind: "url"; url: string } | { kind: "none" };

export interface RunSettings {
  engine: EngineChoice;
  shard: ShardChoice;
  n: number;
  maxSteps: number;
  temperature?: number;
  actionTimeoutMs: number;
}

export class SettingsError extends Error {
  override name = "SettingsError";
  constructor(
    readonly field: keyof SettingsValues,
    message: string,
  ) {
    super(message);
  }
}

export function parseSettings(v: SettingsValues): RunSettings {
  return {
    engine: parseEngine(v),
    shard: parseShard(v),
    n: wholeNumber(v, "n", "candidates per step (n)", 1, 32),
    maxSteps: wholeNumber(v, "maxSteps", "max steps", 1, 30),
    ...(v.temperature.trim() ? { temperature: number(v, "temperature", "temperature", 0, 2) } : {}),
    actionTimeoutMs: number(v, "actionTimeout", "action time limit (seconds)", 0.1, 600) * 1000,
  };
}

function parseEngine(v: SettingsValues): EngineChoice {
  switch (v.engine) {
    case "webllm": {
      const window = v.contextWindow.trim()
        ? { contextWindowSize: wholeNumber(v, "contextWindow", "context window (tokens)", 512, 1 << 20) }
        : {};
      const custom = [v.customModelId, v.customModelUrl, v.customModelLibUrl].map((s) => s.trim());
      if (custom.some(Boolean)) {
        if (!custom[0]) throw new SettingsError("customModelId", "custom model: give it an id (any name)");
        if (!custom[1])
          throw new SettingsError("customModelUrl", "custom model: give the URL of its weights folder");
        if (!custom[2])
          throw new SettingsError("customModelLibUrl", "custom model: give the URL of its .wasm library");
        return {
          kind: "webllm",
          model: { custom: { modelId: custom[0], modelUrl: custom[1], modelLibUrl: custom[2], ...window } },
        };
      }
      const id = v.webllmModel.trim();
      if (!id)
        throw new SettingsError("webllmModel", "web-llm: name a model (e.g. " + DEFAULT_WEBLLM_MODEL + ")");
      return { kind: "webllm", model: { prebuilt: id, ...window } };
    }
    case "wllama": {
      const id = v.localModel.trim() || DEFAULT_LOCAL_MODEL;
      if (!findCatalogModel(id)) throw new SettingsError("localModel", `CPU engine: unknown model "${id}"`);
      return { kind: "wllama", modelId: id };
    }
    case "openai": {
      const baseUrl = v.openaiBaseUrl.trim();
      let url: URL;
      try {
        url = new URL(baseUrl);
      } catch {
        throw new SettingsError(
          "openaiBaseUrl",
          `server URL "${baseUrl}" is not a valid URL (e.g. http://127.0.0.1:8000/v1)`,
        );
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new SettingsError("openaiBaseUrl", `server URL must be http(s), got ${url.protocol}`);
      }
      const model = v.openaiModel.trim();
      if (!model)
        throw new SettingsError("openaiModel", "OpenAI-compatible server: name the model it serves");
      return {
        kind: "openai",
        baseUrl,
        model,
        ...(v.openaiApiKey.trim() ? { apiKey: v.openaiApiKey.trim() } : {}),
      };
    }
    case "replay":
      return { kind: "replay" };
    default:
      throw new SettingsError("engine", `unknown engine "${String(v.engine)}"`);
  }
}

function parseShard(v: SettingsValues): ShardChoice {
  if (v.shardSource === "none") return { kind: "none" };
  if (v.shardSource === "stored") return { kind: "stored" };
  const url = v.shardUrl.trim();
  if (!url) throw new SettingsError("shardUrl", "shard URL: give the address of a shard file on this site");
  let parsed: URL;
  try {
    parsed = new URL(url, typeof location === "undefined" ? "http://localhost/" : location.href);
  } catch {
    throw new SettingsError("shardUrl", `shard URL "${url}" is not a valid URL`);
  }
  if (typeof location !== "undefined" && parsed.origin !== location.origin) {
    throw new SettingsError(
      "shardUrl",
      `shard URL must be on this site (${location.origin}) so it works offline; pick the file instead`,
    );
  }
  return { kind: "url", url: parsed.href };
}

function number(
  v: SettingsValues,
  field: keyof SettingsValues,
  what: string,
  min: number,
  max: number,
): number {
  const text = String(v[field]).trim();
  const value = Number(text);
  if (!text || !Number.isFinite(value) || value < min || value > max) {
    throw new SettingsError(field, `${what} must be a number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function wholeNumber(
  v: SettingsValues,
  field: keyof SettingsValues,
  what: string,
  min: number,
  max: number,
): number {
  const value = number(v, field, what, min, max);
  if (!Number.isInteger(value))
    throw new SettingsError(field, `${what} must be a whole number, got "${v[field]}"`);
  return value;
}

const STORAGE_KEY = "pocket-agent.settings.v1";

export function loadValues(storage: Pick<Storage, "getItem"> | undefined): SettingsValues {
  try {
    const saved = JSON.parse(storage?.getItem(STORAGE_KEY) ?? "{}") as Partial<SettingsValues>;
    const values = { ...DEFAULT_VALUES };
    for (const key of Object.keys(DEFAULT_VALUES) as (keyof SettingsValues)[]) {
      if (typeof saved[key] === "string") (values as Record<string, string>)[key] = saved[key] as string;
    }
    return values;
  } catch {
    return { ...DEFAULT_VALUES };
  }
}

/** True when the visitor has chosen an engine before (else the page picks one by what the browser has). */
export function hasStoredEngine(storage: Pick<Storage, "getItem"> | undefined): boolean {
  try {
    const saved = JSON.parse(storage?.getItem(STORAGE_KEY) ?? "{}") as Partial<SettingsValues>;
    return typeof saved.engine === "string";
  } catch {
    return false;
  }
}

/**
 * Remembers the values. `engineIsAutomatic`: the engine was picked by the page, not by the visitor, so it
 * is not remembered (the next visit picks again, say after the browser gained WebGPU).
 */
export function saveValues(
  storage: Pick<Storage, "setItem"> | undefined,
  values: SettingsValues,
  options: { engineIsAutomatic?: boolean } = {},
): void {
  const { openaiApiKey: _secret, engine, ...rest } = values;
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(options.engineIsAutomatic ? rest : { engine, ...rest }));
  } catch {
    // storage full or disabled: settings simply are not remembered
  }
}
