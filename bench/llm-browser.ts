/**
 * The browser part of `npm run bench -- llm` (bench/llm.bench.ts calls runBrowserLlmBench): the wllama
 * engine (llama.cpp in WebAssembly) with the REAL micro-student in Chromium without WebGPU, against a
 * bare wllama instance on the same prompts, in alternation, in the same page (bench/pages/).
 *
 * 1. Agent overhead: the engine (chat template, streaming, stop handling, its request queue) against
 *    bare wllama.createCompletion on the rendered prompt, generating as many tokens as the engine did.
 *    Prefill is the time to the first streamed token, decode the rest. Target: total within 5%.
 * 2. SAG: one engine request for n = 8 (the prompt evaluated once; each candidate reuses its KV cache)
 *    against 8 bare requests that each evaluate the whole prompt (cache_prompt off). Target: <= 0.5x.
 *
 * Two prompts, both with the micro-student (the real trained model, its own pack): its question (~130
 * prompt tokens, 64 generated: decoding dominates), and the question after a long preamble (~330 tokens,
 * 16 generated), where the prompt dominates as it does for a real student's agent prompt and history.
 * The micro-student takes no more: llama.cpp caps its context at its training window, 512 tokens. The
 * Node part's random-weight model cannot stand in here: its random bytes are not valid UTF-8, which
 * wllama 3.13 cannot hand back (see wllama-engine.ts).
 *
 * wllama 3.13 exposes no lower level than llama-server's completion task (no tokenize/decode/sample), so
 * the "bare loop" is that task called directly. Each round's prompt starts with its own question, so no
 * run finds another's prompt in a cache unless it is meant to.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PACK } from "../src/agent/packs/default-pack.ts";
import { loadPromptPack } from "../src/agent/prompt-pack.ts";
import type { ChatMessage } from "../src/ports/engine.ts";
import { launchChromium } from "../tests/e2e/harness/browser.ts";
import { startVite } from "../tests/e2e/harness/vite-server.ts";
import { agentMessages, median, overheadRatios, rates, round3 } from "./llm-measure.ts";
import type { LlmBenchPage, Timing } from "./pages/llm-browser-page.ts";

const ROOT = join(import.meta.dirname, "..");
const PAGE = "bench/pages/llm-browser.html";
const STOP = ["<end_code>", "Observation:", "Calling tools:"];
/**
 * Stands for a long agent prompt (a real student's system prompt and earlier steps). It appears twice in
 * the prompt (agentMessages leads the system prompt with the question), ~2 x 140 bytes.
 */
const LONG_PREAMBLE =
  "Earlier steps of this run printed the partial sums and products, and checked both against the total.";

export interface BrowserLlmBenchOptions {
  rounds?: number;
  /** llama.cpp threads in the page (it is cross-origin isolated, so more than 1 uses pthreads); default 1. */
  threads?: number;
  maxTokens?: number;
}

export async function runBrowserLlmBench(
  options: BrowserLlmBenchOptions = {},
): Promise<Record<string, unknown>> {
  // 12: a round takes about a second here, and medians of 6 still swung by 30% on the shared cores.
  const rounds = options.rounds ?? Number(process.env["LLM_BROWSER_ROUNDS"] ?? 12);
  // 1 by default: on this project's 2 shared cores, llama.cpp's 2 spinning wasm threads made decode speed
  // swing between 10 and 300 tokens/s (src/llm/wllama/load.ts, defaultThreads).
  const threads = options.threads ?? Number(process.env["LLM_BROWSER_THREADS"] ?? 1);
  const maxTokens = options.maxTokens ?? 64;
  const pack = loadPromptPack(
    await readFile(join(ROOT, "models/micro/pack.yaml"), "utf8"),
    "micro",
    DEFAULT_PACK,
  );
  const cases: BenchCase[] = [
    {
      name: "micro-student (real, its own pack)",
      contextSize: 512,
      messages: (i) => agentMessages(pack, `What is ${100 + i}*${7 + i}+${i}?`, ["final_answer"]),
      maxTokens,
      rounds,
    },
    {
      name: "micro-student (real, its own pack), a ~330-token prompt and 16-token candidates",
      contextSize: 512,
      messages: (i) =>
        agentMessages(pack, `${LONG_PREAMBLE} What is ${200 + i}*${9 + i}-${i}?`, ["final_answer"]),
      maxTokens: 16,
      rounds,
    },
  ];

  const [vite, browser] = await Promise.all([startVite(), launchChromium()]);
  try {
    const page = await browser.newPage();
    await page.goto(`${vite.url}${PAGE}`);
    await page.waitForFunction(() => document.title === "llm bench ready", undefined, { timeout: 60_000 });
    const call = ((method: string, ...args: unknown[]) =>
      page.evaluate(
        ([m, a]) => {
          const bench = (globalThis as unknown as { llmBench: Record<string, (...x: unknown[]) => unknown> })
            .llmBench;
          return bench[m as string]!(...(a as unknown[]));
        },
        [method, args] as const,
      )) as Call;

    const results: Record<string, unknown>[] = [];
    let threadsUsed = 0;
    for (const benchCase of cases) {
      const loaded = await call("load", {
        contextSize: benchCase.contextSize,
        threads,
      });
      threadsUsed = loaded.threads;
      results.push({ engine: loaded.label, ...(await measure(call, benchCase)) });
    }
    return {
      where: `Chromium ${browser.version()} without WebGPU, cross-origin isolated page (Vite dev server)`,
      threads: threadsUsed,
      note: "ratios are medians of per-round ratios (engine and bare wllama measured in alternation); absolute figures are this machine's, shared and noisy",
      cases: results,
    };
  } finally {
    await browser.close();
    await vite.close();
  }
}

interface BenchCase {
  name: string;
  contextSize: number;
  maxTokens: number;
  rounds: number;
  /** The agent's first request for round i (a nonce leads, so no round finds another's prompt cached). */
  messages: (i: number) => ChatMessage[];
}

type Call = <K extends keyof LlmBenchPage>(
  method: K,
  ...args: Parameters<LlmBenchPage[K]>
) => Promise<Awaited<ReturnType<LlmBenchPage[K]>>>;

async function measure(call: Call, benchCase: BenchCase): Promise<Record<string, unknown>> {
  const { messages, rounds, maxTokens } = benchCase;
  // Warm-up: the first evaluation of each instance pays one-off allocation costs.
  await call("engine", messages(999), 4, STOP);
  await call("bare", await call("prompt", messages(998)), 4, true);

  const engineRuns: Timing[] = [];
  const bareRuns: Timing[] = [];
  for (let round = 0; round < rounds; round++) {
    const engineRun = await call("engine", messages(round), maxTokens, STOP);
    const prompt = await call("prompt", messages(round));
    bareRuns.push(await call("bare", prompt, engineRun.generatedTokens, true));
    engineRuns.push(engineRun);
  }
  const overhead = overheadRatios(engineRuns, bareRuns);

  const sagRatios: number[] = [];
  let sagTokens = 0;
  for (let round = 0; round < Math.max(2, Math.ceil(rounds / 2)); round++) {
    const request = messages(100 + round);
    const sag = await call("sag", request, 8, maxTokens, STOP, round + 1);
    sagTokens = sag.completionTokens;
    const prompt = await call("prompt", request);
    const perCandidate = Math.max(1, Math.round(sag.completionTokens / 8));
    let independentMs = 0;
    for (let k = 0; k < 8; k++) {
      const t = await call("bare", prompt, perCandidate, false);
      independentMs += t.prefillMs + t.decodeMs;
    }
    sagRatios.push(sag.ms / independentMs);
  }

  const last = engineRuns.at(-1)!;
  return {
    model: benchCase.name,
    promptTokens: last.promptTokens,
    generatedTokens: last.generatedTokens,
    engineRates: rates(engineRuns),
    bareRates: rates(bareRuns),
    llamaCppOwnRates: {
      engine: llamaRates(engineRuns),
      bare: llamaRates(bareRuns),
    },
    engineOverVsBare: round3(overhead),
    overheadTarget: "total <= 1.05",
    sag: {
      n: 8,
      completionTokens: sagTokens,
      oneRequestVsEightIndependent: round3({ median: median(sagRatios), rounds: sagRatios.length }),
      target: "<= 0.5",
      how: "the 8 candidates decode one after another, each reusing the prompt's KV cache (wllama 3.13 returns one choice per task); the 8 independent requests each evaluate the whole prompt",
    },
  };
}

function llamaRates(runs: Timing[]): Record<string, number> {
  return {
    prefillTokensPerSecond: Math.round(median(runs.map((r) => r.promptTokens / (r.llamaPromptMs / 1000)))),
    decodeTokensPerSecond: Math.round(median(runs.map((r) => r.generatedTokens / (r.llamaDecodeMs / 1000)))),
  };
}

// Run alone: node bin/run-ts.js bench/llm-browser.ts (writes bench/reports/llm-browser.json); `npm run
// bench -- llm` runs it too, inside the llm report.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const report = { name: "llm-browser", date: new Date().toISOString(), ...(await runBrowserLlmBench()) };
  await writeFile(join(ROOT, "bench/reports/llm-browser.json"), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
}
