/**
 * Bench page for bench/llm-browser.ts: the wllama engine and a bare wllama instance side by side, each
 * with its own llama.cpp worker and the same load settings, so the runner can time one against the other
 * on the same prompts. Times are taken here, in the page, with performance.now().
 */
import { type RawCompletionChunk, type RawCompletionParams, type StreamParams, Wllama } from "@wllama/wllama";
import { loadWllamaEngine } from "../../src/llm/wllama/load.ts";
import type { WllamaEngine } from "../../src/llm/wllama/wllama-engine.ts";
import type { ChatMessage } from "../../src/ports/engine.ts";
import { microGgufUrl, wllamaWasmUrl } from "../../src/ui/local-models.ts";

export interface Timing {
  prefillMs: number;
  decodeMs: number;
  promptTokens: number;
  generatedTokens: number;
  /** llama.cpp's own measure of the same run. */
  llamaPromptMs: number;
  llamaDecodeMs: number;
}

export interface LlmBenchPage {
  /** Loads the engine and a bare wllama with the same GGUF (default: the bundled micro-student). */
  load(options: {
    contextSize: number;
    threads: number;
  }): Promise<{ label: string; threads: number; contextSize: number }>;
  prompt(messages: ChatMessage[]): string;
  /** The engine, streaming one greedy completion: prefill is the time to the first token. */
  engine(messages: ChatMessage[], maxTokens: number, stop: string[]): Promise<Timing>;
  /** Bare wllama on the rendered prompt, generating exactly `tokens` tokens. */
  bare(prompt: string, tokens: number, cachePrompt: boolean): Promise<Timing>;
  /** SAG: one engine request for n candidates; returns its wall time and completion tokens. */
  sag(
    messages: ChatMessage[],
    n: number,
    maxTokens: number,
    stop: string[],
    seed: number,
  ): Promise<{ ms: number; completionTokens: number }>;
}

let engine: WllamaEngine | undefined;
let bare: Wllama | undefined;

const page: LlmBenchPage = {
  async load({ contextSize, threads }) {
    await engine?.dispose();
    await bare?.exit();
    engine = await loadWllamaEngine({
      model: { url: microGgufUrl },
      modelName: "micro-arith",
      wasmUrl: wllamaWasmUrl,
      contextSize,
      threads,
    });
    bare = new Wllama({ default: wllamaWasmUrl }, { suppressNativeLog: true });
    const blob = await (await fetch(microGgufUrl)).blob();
    // The engine's own load settings (src/llm/wllama/load.ts).
    await bare.loadModel([blob], {
      n_ctx: contextSize,
      n_threads: threads,
      n_parallel: 1,
      n_gpu_layers: 0,
      warmup: false,
    });
    return {
      label: engine.info.label,
      threads: bare.isMultithread() ? bare.getNumThreads() : 1,
      contextSize: engine.contextSize,
    };
  },
  prompt: (messages) => engine!.renderPrompt(messages),
  async engine(messages, maxTokens, stop) {
    const started = performance.now();
    let first: number | undefined;
    const result = await engine!.generate({
      messages,
      maxTokens,
      stop,
      temperature: 0,
      onToken: () => {
        first ??= performance.now();
      },
    });
    const ended = performance.now();
    const timings = engine!.lastTimings!;
    return {
      prefillMs: (first ?? ended) - started,
      decodeMs: ended - (first ?? ended),
      promptTokens: result.usage?.promptTokens ?? 0,
      generatedTokens: result.usage?.completionTokens ?? 0,
      llamaPromptMs: timings.promptMs,
      llamaDecodeMs: timings.predictedMs,
    };
  },
  async bare(prompt, tokens, cachePrompt) {
    const started = performance.now();
    let first: number | undefined;
    let last: RawCompletionChunk | undefined;
    const params: RawCompletionParams & StreamParams<RawCompletionChunk> = {
      prompt,
      max_tokens: tokens,
      temperature: 0,
      stream: true,
      onData: (chunk) => {
        if (chunk.choices[0]?.text) first ??= performance.now();
        last = chunk;
      },
    };
    // cache_prompt is llama-server's, passed through by wllama but missing from its types.
    await bare!.createCompletion(Object.assign(params, { cache_prompt: cachePrompt }));
    const ended = performance.now();
    return {
      prefillMs: (first ?? ended) - started,
      decodeMs: ended - (first ?? ended),
      promptTokens: last?.usage?.prompt_tokens ?? 0,
      generatedTokens: last?.usage?.completion_tokens ?? 0,
      llamaPromptMs: last?.timings?.prompt_ms ?? 0,
      llamaDecodeMs: last?.timings?.predicted_ms ?? 0,
    };
  },
  async sag(messages, n, maxTokens, stop, seed) {
    const started = performance.now();
    const result = await engine!.generate({
      messages,
      n,
      maxTokens,
      stop,
      temperature: 0.4,
      topP: 0.8,
      seed,
    });
    return { ms: performance.now() - started, completionTokens: result.usage?.completionTokens ?? 0 };
  },
};

(globalThis as unknown as { llmBench: LlmBenchPage }).llmBench = page;
document.title = "llm bench ready";
