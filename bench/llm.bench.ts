/**
 * The local engine's cost, as ratios against peers measured in the same run (`npm run bench -- llm`).
 *
 * 1. Agent overhead: the LlamaCppEngine (chat template, prefix cache, stop handling, streaming text)
 *    against a bare node-llama-cpp loop (tokenize, evaluate, take greedy tokens) on the same prompts and
 *    the same number of generated tokens, in alternation. Prefill is the time to the first token, decode
 *    the rest. Target: the engine within 5% of the bare loop.
 * 2. SAG without n prefills: one request for n = 8 candidates (the prompt evaluated once, each candidate
 *    decoding on a copy of its KV cache) against 8 independent requests of the same prompt (each one
 *    evaluating the whole prompt, as a server without prefix caching does). Target: at most 0.5x.
 *
 * Models: the micro-student (models/micro, the real trained model, with its own short prompt) and a
 * random-weight qwen2 decoder of ~30 M parameters with the default pack's full agent prompt, whose
 * special tokens are never sampled, so every generation runs to exactly its token budget.
 * Every prompt starts with its own question, so no run reuses another's cache unless it is meant to.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { DEFAULT_PACK } from "../src/agent/packs/default-pack.ts";
import { loadPromptPack } from "../src/agent/prompt-pack.ts";
import type { LlamaCppEngine } from "../src/llm/llamacpp/llamacpp-engine.ts";
import { loadLlamaCppEngine } from "../src/llm/llamacpp/load.ts";
import type { ChatMessage } from "../src/ports/engine.ts";
import { writeTinyGguf } from "../tests/support/tiny-gguf.ts";
import { agentMessages, median, overheadRatios, rates, round3, type Timing } from "./llm-measure.ts";

const ROUNDS = Number(process.env["LLM_ROUNDS"] ?? 6);
// One thread: llama.cpp's threads spin while they wait for each other, which on shared cores costs more
// than a second thread gains (LLM_THREADS=2 on a quiet machine).
const THREADS = Number(process.env["LLM_THREADS"] ?? 1);
const ROOT = join(import.meta.dirname, "..");

interface ModelCase {
  name: string;
  path: string;
  contextSize: number;
  /** The agent's first request for question i (a nonce leads, so caches do not carry over). */
  messages: (i: number) => ChatMessage[];
  maxTokens: number;
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), "pa-bench-llm-"));
  try {
    const microPack = loadPromptPack(
      await readFile(join(ROOT, "models/micro/pack.yaml"), "utf8"),
      "micro",
      DEFAULT_PACK,
    );
    const synthetic = await writeTinyGguf(
      dir,
      { shape: { layers: 8, hidden: 512, feedForward: 1536, heads: 8, kvHeads: 2, contextLength: 4096 } },
      "synthetic-30m.gguf",
    );
    const cases: ModelCase[] = [
      {
        name: "micro-student (real, its own pack)",
        path: join(ROOT, "models/micro/micro-arith.gguf"),
        contextSize: 2048,
        messages: (i) => agentMessages(microPack, `What is ${100 + i}*${7 + i}+${i}?`, ["final_answer"]),
        maxTokens: 64,
      },
      {
        name: "synthetic 30M qwen2 (random weights, the default pack's agent prompt)",
        path: synthetic,
        contextSize: 4096,
        messages: (i) =>
          agentMessages(DEFAULT_PACK, `Run ${i}: in which city did the band Tinted Windows first perform?`),
        maxTokens: 48,
      },
    ];
    const results: Record<string, unknown>[] = [];
    for (const modelCase of cases) {
      console.error(`bench llm: ${modelCase.name}`);
      results.push(await measureCase(modelCase));
    }
    const browser = await browserPart();
    return {
      threads: THREADS,
      rounds: ROUNDS,
      note: "ratios are medians of per-round ratios (engine and peer measured in alternation); absolute figures are this machine's, shared and noisy",
      models: results,
      ...(browser ? { browser } : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureCase(modelCase: ModelCase): Promise<Record<string, unknown>> {
  const engine = await loadLlamaCppEngine({
    modelPath: modelCase.path,
    contextSize: modelCase.contextSize,
    threads: THREADS,
    parallel: 8,
    gpu: false,
  });
  const bare = await bareLoop(modelCase);
  const log = (what: string) => {
    if (process.env["LLM_DEBUG"]) console.error(`  ${(performance.now() / 1000).toFixed(1)}s ${what}`);
  };
  log("loaded");
  try {
    const stop = ["<end_code>", "Observation:", "Calling tools:"];
    // Warm-up: the first evaluation of each context pays one-off allocation costs.
    await engine.generate({ messages: modelCase.messages(999), maxTokens: 4, temperature: 0 });
    await bare.run(engine.tokenizePrompt(engine.renderPrompt(modelCase.messages(998))), 4);

    log("warm");
    const engineRuns: Timing[] = [];
    const bareRuns: Timing[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const messages = modelCase.messages(round);
      const engineRun = await timeEngine(engine, messages, modelCase.maxTokens, stop);
      // The bare loop generates exactly as many tokens as the engine did on the same prompt.
      const tokens = engine.tokenizePrompt(engine.renderPrompt(messages));
      bareRuns.push(await bare.run(tokens, engineRun.generatedTokens));
      engineRuns.push(engineRun);
      log(`round ${round}: engine ${JSON.stringify(engineRun)} bare ${JSON.stringify(bareRuns.at(-1))}`);
    }
    const overhead = overheadRatios(engineRuns, bareRuns);

    // SAG: n = 8 in one request against 8 independent requests of the same prompt.
    const sagRatios: number[] = [];
    let sagTokens = 0;
    const sagRounds = Math.max(2, Math.ceil(ROUNDS / 2));
    for (let round = 0; round < sagRounds; round++) {
      const messages = modelCase.messages(100 + round);
      const started = performance.now();
      const result = await engine.generate({
        messages,
        n: 8,
        temperature: 0.4,
        topP: 0.8,
        seed: round + 1,
        maxTokens: modelCase.maxTokens,
        stop,
      });
      const sagMs = performance.now() - started;
      const tokens = engine.tokenizePrompt(engine.renderPrompt(messages));
      let independentMs = 0;
      sagTokens = result.usage?.completionTokens ?? 0;
      // Each independent request generates as many tokens as the matching candidate did.
      const perCandidate = Math.max(1, Math.round(sagTokens / 8));
      for (let k = 0; k < 8; k++) {
        const t = await bare.run(tokens, perCandidate);
        independentMs += t.prefillMs + t.decodeMs;
      }
      sagRatios.push(sagMs / independentMs);
      log(`sag round ${round}: ${sagMs.toFixed(0)} ms vs ${independentMs.toFixed(0)} ms`);
    }

    const last = engineRuns.at(-1)!;
    return {
      model: modelCase.name,
      promptTokens: last.promptTokens,
      generatedTokens: last.generatedTokens,
      engine: rates(engineRuns),
      bareLoop: rates(bareRuns),
      engineOverVsBare: round3(overhead),
      overheadTarget: "total <= 1.05",
      sag: {
        n: 8,
        completionTokens: sagTokens,
        oneRequestVsEightIndependent: round3({ median: median(sagRatios), rounds: sagRatios.length }),
        target: "<= 0.5",
      },
    };
  } finally {
    await engine.dispose();
    await bare.dispose();
  }
}

async function timeEngine(
  engine: LlamaCppEngine,
  messages: ChatMessage[],
  maxTokens: number,
  stop: string[],
): Promise<Timing> {
  const started = performance.now();
  let first: number | undefined;
  const result = await engine.generate({
    messages,
    maxTokens,
    temperature: 0,
    stop,
    onToken: () => {
      first ??= performance.now();
    },
  });
  const ended = performance.now();
  const firstAt = first ?? ended;
  return {
    prefillMs: firstAt - started,
    decodeMs: ended - firstAt,
    promptTokens: result.usage?.promptTokens ?? 0,
    generatedTokens: result.usage?.completionTokens ?? 0,
  };
}

/** The peer: node-llama-cpp used directly, with nothing of pocket-agent in between. */
async function bareLoop(modelCase: ModelCase): Promise<{
  run(tokens: Token[], generate: number): Promise<Timing>;
  dispose(): Promise<void>;
}> {
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  const llama = await getLlama({
    gpu: false,
    build: "never",
    logLevel: LlamaLogLevel.error,
    progressLogs: false,
  });
  const model: LlamaModel = await llama.loadModel({ modelPath: modelCase.path });
  const context = await model.createContext({ contextSize: modelCase.contextSize, threads: THREADS });
  const sequence: LlamaContextSequence = context.getSequence();
  return {
    async run(tokens, generate) {
      await sequence.clearHistory();
      const started = performance.now();
      let first: number | undefined;
      let count = 0;
      const generated: Token[] = [];
      for await (const token of sequence.evaluate(tokens, { temperature: 0 })) {
        first ??= performance.now();
        generated.push(token);
        count += 1;
        if (count >= generate) break;
      }
      model.detokenize(generated);
      const ended = performance.now();
      return {
        prefillMs: (first ?? ended) - started,
        decodeMs: ended - (first ?? ended),
        promptTokens: tokens.length,
        generatedTokens: count,
      };
    },
    async dispose() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

/** The browser half (wllama in Chromium), when bench/llm-browser.ts exists. */
async function browserPart(): Promise<Record<string, unknown> | undefined> {
  try {
    const url = new URL("./llm-browser.ts", import.meta.url).href;
    const mod = (await import(url)) as { runBrowserLlmBench?: () => Promise<Record<string, unknown>> };
    return await mod.runBrowserLlmBench?.();
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND") return undefined;
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
