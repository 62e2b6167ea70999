/**
 * The wllama adapter's translation, with a fake wllama (the real one runs in Chromium:
 * tests/e2e/wllama-engine.test.ts): what llama.cpp is asked, how replies and failures come back.
 */
import type { RawCompletionChunk, RawCompletionParams, RawCompletionResponse } from "@wllama/wllama";
import { describe, expect, it } from "vitest";
import { defaultThreads } from "../../src/llm/wllama/load.ts";
import { WllamaEngine, type WllamaRuntime } from "../../src/llm/wllama/wllama-engine.ts";
import { EngineError } from "../../src/ports/engine.ts";
import { QWEN25_CHAT_TEMPLATE } from "../support/qwen25-chat-template.ts";

type Params = RawCompletionParams & { onData?: (chunk: RawCompletionChunk) => void; cache_prompt?: boolean };

function fakeWllama(reply: (params: Params, call: number) => string | Error) {
  const calls: Params[] = [];
  const runtime = {
    async createCompletion(params: Params): Promise<RawCompletionResponse | undefined> {
      calls.push(params);
      const text = reply(params, calls.length - 1);
      if (text instanceof Error) throw text;
      const usage = { prompt_tokens: 40, completion_tokens: text.length, total_tokens: 40 + text.length };
      const timings = {
        cache_n: calls.length === 1 ? 0 : 39,
        prompt_n: calls.length === 1 ? 40 : 1,
        prompt_ms: 1,
        prompt_per_token_ms: 1,
        prompt_per_second: 1,
        predicted_n: text.length,
        predicted_ms: 1,
        predicted_per_token_ms: 1,
        predicted_per_second: 1,
      };
      if (params.stream) {
        for (const piece of text.match(/[\s\S]{1,3}/g) ?? []) {
          params.onData?.({
            id: "",
            object: "text_completion",
            created: 0,
            model: "",
            choices: [{ text: piece, index: 0, finish_reason: null, logprobs: null }],
          });
        }
        params.onData?.({
          id: "",
          object: "text_completion",
          created: 0,
          model: "",
          choices: [{ text: "", index: 0, finish_reason: "stop", logprobs: null }],
          usage,
          timings,
        });
        return undefined;
      }
      return {
        id: "",
        object: "text_completion",
        created: 0,
        model: "",
        choices: [{ text, index: 0, finish_reason: "stop", logprobs: null }],
        usage,
        timings,
      };
    },
    getChatTemplate: () => QWEN25_CHAT_TEMPLATE,
    exit: async () => {},
  };
  const engine = new WllamaEngine({
    wllama: runtime as unknown as WllamaRuntime,
    modelName: "tiny",
    contextSize: 512,
    threads: 2,
  });
  return { engine, calls };
}

const messages = [{ role: "user" as const, content: "What is 2+2?" }];

describe("WllamaEngine", () => {
  it("sends the rendered chat template as a raw prompt, with OpenAI-style sampling", async () => {
    const { engine, calls } = fakeWllama(() => "Thought: 4");
    const result = await engine.generate({
      messages,
      stop: ["<end_code>"],
      temperature: 0.4,
      topP: 0.8,
      maxTokens: 64,
      seed: 9,
    });
    expect(result).toEqual({
      completions: [{ text: "Thought: 4", finishReason: "stop" }],
      usage: { promptTokens: 40, completionTokens: 10 },
      model: "tiny",
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      prompt: engine.renderPrompt(messages),
      stop: ["<end_code>"],
      temperature: 0.4,
      top_p: 0.8,
      top_k: 0,
      min_p: 0,
      max_tokens: 64,
      seed: 9,
      cache_prompt: true,
    });
    expect(calls[0]!.prompt).toMatch(/<\|im_start\|>assistant\n$/);
    expect(engine.info).toEqual({
      kind: "wllama",
      label: "tiny (llama.cpp WebAssembly, CPU, 2 threads)",
      isReplay: false,
      supportsN: true,
    });
  });

  it("samples n candidates one after another, each with its own seed; the prompt is counted once", async () => {
    const { engine, calls } = fakeWllama((_p, i) => `candidate ${i}`);
    const result = await engine.generate({ messages, n: 3, temperature: 1, seed: 5 });
    expect(result.completions.map((c) => c.text)).toEqual(["candidate 0", "candidate 1", "candidate 2"]);
    expect(calls.map((c) => c.seed)).toEqual([5, 6, 7]);
    expect(calls.every((c) => c.prompt === calls[0]!.prompt && !c.stream)).toBe(true);
    expect(result.usage).toEqual({ promptTokens: 40, completionTokens: 33 });
    expect(engine.stats).toEqual({ evaluated: 42, reused: 78, tasks: 3 });
  });

  it("streams when n = 1 and a token callback is given", async () => {
    const { engine, calls } = fakeWllama(() => "Thought: compute");
    const pieces: string[] = [];
    const result = await engine.generate({ messages, onToken: (p) => pieces.push(p) });
    expect(calls[0]!.stream).toBe(true);
    expect(pieces.join("")).toBe("Thought: compute");
    expect(pieces.length).toBeGreaterThan(1);
    expect(result.completions[0]).toEqual({ text: "Thought: compute", finishReason: "stop" });
    expect(result.usage).toEqual({ promptTokens: 40, completionTokens: 16 });
  });

  it("names a prompt that exceeds the context, and a cancelled request, as EngineErrors", async () => {
    const { engine } = fakeWllama(
      () =>
        new Error("request (700 tokens) exceeds the available context size (512 tokens), try increasing it"),
    );
    const overflow = await engine.generate({ messages }).catch((e: unknown) => e);
    expect(overflow).toBeInstanceOf(EngineError);
    expect(overflow).toMatchObject({
      code: "model",
      message:
        "the prompt is 700 tokens but tiny's context holds 512; use a model with a larger context or fewer steps",
    });

    // wllama 3.13 fails so when llama.cpp's reply is not valid UTF-8 (it serialises it as strict JSON).
    const { engine: garbled } = fakeWllama(() => new Error("Invalid typed array length: 1163217991"));
    await expect(garbled.generate({ messages })).rejects.toMatchObject({
      code: "bad-response",
      message: expect.stringContaining("not valid UTF-8"),
    });

    const controller = new AbortController();
    const { engine: cancelled } = fakeWllama(() => {
      controller.abort();
      return Object.assign(new Error("aborted"), { name: "AbortError" });
    });
    await expect(cancelled.generate({ messages, signal: controller.signal })).rejects.toMatchObject({
      code: "aborted",
    });
    await expect(cancelled.generate({ messages, n: 0 })).rejects.toMatchObject({ code: "model" });
  });

  it("uses threads only when the page is cross-origin isolated, and not on 2 cores", () => {
    expect(defaultThreads({ isolated: false, cores: 8 })).toBe(1);
    expect(defaultThreads({ isolated: true, cores: 1 })).toBe(1);
    expect(defaultThreads({ isolated: true, cores: 2 })).toBe(1);
    expect(defaultThreads({ isolated: true, cores: 8 })).toBe(4);
    expect(defaultThreads({ isolated: true, cores: 64 })).toBe(8);
  });
});
