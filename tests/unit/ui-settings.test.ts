import { describe, expect, it } from "vitest";
import {
  DEFAULT_VALUES,
  hasStoredEngine,
  loadValues,
  parseSettings,
  SettingsError,
  type SettingsValues,
  saveValues,
} from "../../src/ui/settings.ts";

const values = (over: Partial<SettingsValues>): SettingsValues => ({ ...DEFAULT_VALUES, ...over });

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof SettingsError) return `${error.field}: ${error.message}`;
    throw error;
  }
  return undefined;
}

describe("parseSettings", () => {
  it("reads the defaults: web-llm's default model, stored shard, n = 1, 5 steps, 10 s actions", () => {
    expect(parseSettings(DEFAULT_VALUES)).toEqual({
      engine: { kind: "webllm", model: { prebuilt: "Qwen2.5-1.5B-Instruct-q4f16_1-MLC" } },
      shard: { kind: "stored" },
      n: 1,
      maxSteps: 5,
      actionTimeoutMs: 10_000,
    });
  });

  it("builds a custom web-llm model when any custom field is set, naming the missing one", () => {
    expect(
      parseSettings(
        values({
          customModelId: "s",
          customModelUrl: "https://h/m",
          customModelLibUrl: "https://h/m.wasm",
          contextWindow: "4096",
        }),
      ).engine,
    ).toEqual({
      kind: "webllm",
      model: {
        custom: {
          modelId: "s",
          modelUrl: "https://h/m",
          modelLibUrl: "https://h/m.wasm",
          contextWindowSize: 4096,
        },
      },
    });
    expect(fieldOf(() => parseSettings(values({ customModelUrl: "https://h/m" })))).toMatch(
      /^customModelId: /,
    );
    expect(
      fieldOf(() => parseSettings(values({ customModelId: "s", customModelUrl: "https://h/m" }))),
    ).toMatch(/^customModelLibUrl: custom model: give the URL of its \.wasm library/);
  });

  it("applies the context window to a prebuilt model too", () => {
    expect(parseSettings(values({ contextWindow: "8192" })).engine).toEqual({
      kind: "webllm",
      model: { prebuilt: "Qwen2.5-1.5B-Instruct-q4f16_1-MLC", contextWindowSize: 8192 },
    });
    expect(fieldOf(() => parseSettings(values({ contextWindow: "100" })))).toMatch(/^contextWindow: /);
  });

  it("checks the OpenAI-compatible server fields", () => {
    expect(
      parseSettings(values({ engine: "openai", openaiModel: "qwen", openaiApiKey: " k " })).engine,
    ).toEqual({
      kind: "openai",
      baseUrl: "http://127.0.0.1:8000/v1",
      model: "qwen",
      apiKey: "k",
    });
    expect(fieldOf(() => parseSettings(values({ engine: "openai", openaiModel: "" })))).toMatch(
      /^openaiModel: /,
    );
    expect(
      fieldOf(() =>
        parseSettings(values({ engine: "openai", openaiModel: "m", openaiBaseUrl: "localhost:8000" })),
      ),
    ).toMatch(/^openaiBaseUrl: server URL must be http\(s\)/);
    expect(
      fieldOf(() =>
        parseSettings(values({ engine: "openai", openaiModel: "m", openaiBaseUrl: "not a url" })),
      ),
    ).toMatch(/^openaiBaseUrl: server URL "not a url" is not a valid URL/);
  });

  it("rejects bad numbers with the field and the allowed range", () => {
    expect(fieldOf(() => parseSettings(values({ n: "0" })))).toBe(
      'n: candidates per step (n) must be a number from 1 to 32, got "0"',
    );
    expect(fieldOf(() => parseSettings(values({ maxSteps: "2.5" })))).toBe(
      'maxSteps: max steps must be a whole number, got "2.5"',
    );
    expect(fieldOf(() => parseSettings(values({ temperature: "hot" })))).toMatch(/^temperature: /);
    expect(fieldOf(() => parseSettings(values({ actionTimeout: "" })))).toMatch(/^actionTimeout: /);
    expect(parseSettings(values({ n: "8", temperature: "0.4", actionTimeout: "2.5" }))).toMatchObject({
      n: 8,
      temperature: 0.4,
      actionTimeoutMs: 2500,
    });
  });

  it("runs the CPU engine with a catalog model, the bundled micro-student by default", () => {
    expect(parseSettings(values({ engine: "wllama" })).engine).toEqual({ kind: "wllama", modelId: "micro" });
    expect(parseSettings(values({ engine: "wllama", localModel: "" })).engine).toEqual({
      kind: "wllama",
      modelId: "micro",
    });
    expect(fieldOf(() => parseSettings(values({ engine: "wllama", localModel: "gpt-9" })))).toBe(
      'localModel: CPU engine: unknown model "gpt-9"',
    );
  });

  it("wants a shard URL when the URL source is chosen", () => {
    expect(fieldOf(() => parseSettings(values({ shardSource: "url", shardUrl: " " })))).toMatch(
      /^shardUrl: /,
    );
    expect(parseSettings(values({ shardSource: "url", shardUrl: "/shards/wiki.pas" })).shard).toEqual({
      kind: "url",
      url: "http://localhost/shards/wiki.pas",
    });
    expect(parseSettings(values({ shardSource: "none" })).shard).toEqual({ kind: "none" });
  });
});

describe("remembered settings", () => {
  it("round-trips the values but never stores the API key, and survives a damaged store", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    };
    saveValues(storage, values({ engine: "openai", openaiModel: "qwen", openaiApiKey: "secret", n: "4" }));
    expect([...store.values()].join()).not.toContain("secret");
    expect(loadValues(storage)).toEqual(values({ engine: "openai", openaiModel: "qwen", n: "4" }));
    for (const key of store.keys()) store.set(key, "{not json");
    expect(loadValues(storage)).toEqual(DEFAULT_VALUES);
  });

  it("does not remember an engine the page picked by itself, so the next visit picks again", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    };
    expect(hasStoredEngine(storage)).toBe(false);
    saveValues(storage, values({ engine: "wllama", n: "3" }), { engineIsAutomatic: true });
    expect(hasStoredEngine(storage)).toBe(false);
    expect(loadValues(storage)).toEqual(values({ n: "3" }));
    saveValues(storage, values({ engine: "wllama", n: "3" }));
    expect(hasStoredEngine(storage)).toBe(true);
    expect(loadValues(storage).engine).toBe("wllama");
  });
});
