/** Turning command-line options into the agent's parts; shared by the commands that run the agent. */
import { type Command, InvalidArgumentError } from "commander";
import type { AgentOptions } from "../agent/loop.ts";
import { DEFAULT_PACK } from "../agent/packs/default-pack.ts";
import { loadPromptPack, type PromptPack, toolNamesFor } from "../agent/prompt-pack.ts";
import { parseTrajectory, recordedCompletions } from "../agent/trajectory.ts";
import { readSource } from "../eval/node/read-source.ts";
import { FleetEngine } from "../llm/fleet/fleet-engine.ts";
import { OpenAIEngine } from "../llm/openai/openai-engine.ts";
import { ReplayEngine } from "../llm/replay/replay-engine.ts";
import type { Engine } from "../ports/engine.ts";
import { cliIo } from "./io.ts";
import { createDownloadProgress } from "./progress.ts";

export interface EngineOptions {
  /** A GGUF file run in-process by llama.cpp (node-llama-cpp); the alternative to a server. */
  modelFile?: string;
  /** A GGUF downloaded once into the model cache, then run like --model-file. */
  modelUrl?: string;
  contextSize?: number;
  threads?: number;
  /** Candidates per step; a local model gets as many context sequences, to decode them side by side. */
  n?: number;
  baseUrl?: string;
  model?: string;
  apiKey?: string;
  replay?: string;
  requestTimeout?: number;
}

export async function engineFromOptions(options: EngineOptions): Promise<Engine> {
  if (options.replay) {
    const trajectory = parseTrajectory(await readSource(options.replay, "trajectory"));
    return new ReplayEngine(recordedCompletions(trajectory), options.replay);
  }
  if (options.modelFile) {
    if (options.baseUrl) {
      throw new Error("--model-file runs a local model and --base-url names a server: give one of them");
    }
    // Loaded on demand: the native llama.cpp addon is only needed when a local model runs.
    const { loadLlamaCppEngine } = await import("../llm/llamacpp/load.ts");
    return loadLlamaCppEngine({
      modelPath: options.modelFile,
      contextSize: options.contextSize,
      threads: options.threads,
      parallel: options.n,
    });
  }
  if (!options.baseUrl || !options.model) {
    throw new Error(
      "say which model runs the agent: --model ID or --model-file PATH.gguf (local, llama.cpp), or --base-url URL --model NAME (a server), or --replay TRAJECTORY.json",
    );
  }
  const { env } = cliIo();
  const urls = options.baseUrl
    .split(",")
    .map((u) => u.trim())
    .filter(Boolean);
  const server = (baseUrl: string, fleet: boolean) =>
    new OpenAIEngine({
      baseUrl,
      model: options.model!,
      apiKey: options.apiKey ?? env["POCKET_AGENT_API_KEY"] ?? env["OPENAI_API_KEY"],
      timeoutMs: options.requestTimeout ? options.requestTimeout * 1000 : undefined,
      // In a fleet another server takes over at once; waiting on a dead one would only slow the run.
      ...(fleet ? { maxRetries: 1 } : {}),
    });
  if (urls.length <= 1) return server(urls[0] ?? options.baseUrl, false);
  return new FleetEngine(urls.map((url) => server(url, true)));
}

/** The model a command runs when none is named: the bundled micro-student, the one that needs nothing. */
export const DEFAULT_LOCAL_MODEL = "micro";

/**
 * Without --base-url (a server) or --replay, the agent runs a local model: --model-file PATH,
 * --model-url URL, or --model ID from the catalog, by default the bundled micro-student. Returns the
 * options with the model's file filled in, and its own prompt pack and context size unless the user
 * chose others. A catalog or URL model not yet in the cache is downloaded first, with a progress line.
 */
export async function withLocalModel<T extends EngineOptions & { promptPack?: string }>(
  options: T,
  { defaultModel = DEFAULT_LOCAL_MODEL }: { defaultModel?: string | null } = {},
): Promise<T> {
  if (options.replay || options.baseUrl) {
    if (options.modelUrl)
      throw new Error("--model-url runs a local model: it does not go with --base-url or --replay");
    return options;
  }
  const named = [
    options.modelFile && "--model-file",
    options.modelUrl && "--model-url",
    options.model && "--model",
  ];
  if (named.filter(Boolean).length > 1) {
    throw new Error(`${named.filter(Boolean).join(" and ")} each name a model: give one of them`);
  }
  if (options.modelFile || (!options.modelUrl && !options.model && defaultModel === null)) return options;
  // Loaded on demand, like the engine: only local runs touch the model cache.
  const { catalogModel, urlModel } = await import("../llm/node/model-store.ts");
  const modelId = options.model ?? defaultModel ?? DEFAULT_LOCAL_MODEL;
  if (!options.modelUrl && !options.model) {
    cliIo().stderr.write(
      `pocket-agent: no model named, so the bundled ${modelId} runs (a demo model for arithmetic questions); name one with --model ID (pocket-agent models list), --model-file, --model-url, or --base-url for a server\n`,
    );
  }
  const progress = createDownloadProgress(`download ${options.modelUrl ?? modelId}`);
  const local = options.modelUrl
    ? await urlModel(options.modelUrl, { onProgress: progress.onProgress, env: cliIo().env })
    : await catalogModel(modelId, { onProgress: progress.onProgress, env: cliIo().env });
  progress.done("done");
  return {
    ...options,
    modelFile: local.path,
    model: local.name,
    promptPack: options.promptPack ?? local.packPath,
    contextSize: options.contextSize ?? local.contextSize,
  };
}

export async function packFromOptions(path: string | undefined): Promise<PromptPack> {
  if (!path) return DEFAULT_PACK;
  return loadPromptPack(await readSource(path, "prompt pack"), path, DEFAULT_PACK);
}

/** --base-url: one or several comma-separated http(s) URLs, checked before anything runs. */
export function baseUrlList(value: string): string {
  const urls = value
    .split(",")
    .map((u) => u.trim())
    .filter(Boolean);
  if (urls.length === 0) throw new InvalidArgumentError("expected a URL such as http://127.0.0.1:8000/v1");
  for (const url of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
      throw new InvalidArgumentError(
        `"${url}" is not an http(s) URL; expected e.g. http://127.0.0.1:8000/v1`,
      );
    }
  }
  return value;
}

/**
 * Opens the shard and checks all its checksums once before any model runs, so a missing, truncated or
 * corrupt shard ends the command with one line instead of failing web_search calls during the run.
 */
export async function checkShard(path: string | undefined): Promise<void> {
  if (!path) return;
  const { openShardFrom } = await import("../retrieval/open-shard.ts");
  try {
    (await openShardFrom({ path })).verifyAll();
  } catch (error) {
    throw new Error(`--shard ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** commander argument parsers that reject bad numbers with a clear message. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1");
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number of at least 0");
  return n;
}

export function probability(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError("expected a number in (0, 1]");
  return n;
}

/** What every command that runs the agent accepts: the model, the shard, the pack and the sampling. */
export interface AgentCliOptions extends EngineOptions {
  shard?: string;
  promptPack?: string;
  maxSteps: number;
  n: number;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  actionTimeout: number;
}

export function addAgentOptions(command: Command): Command {
  return command
    .option(
      "--model <id>",
      `local model from the catalog (pocket-agent models list; default ${DEFAULT_LOCAL_MODEL}, bundled), downloaded once into the cache; with --base-url, the model name the server knows`,
    )
    .option("--model-file <path.gguf>", "run a local GGUF model in-process with llama.cpp (no server)")
    .option("--model-url <url>", "a GGUF to download once into the model cache and run locally")
    .option(
      "--context-size <tokens>",
      "context window of the local model (default: its own, at most 8192)",
      positiveInt,
    )
    .option("--threads <n>", "CPU threads of the local model (default: llama.cpp's choice)", positiveInt)
    .option(
      "--base-url <url>",
      "OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 (vLLM, llama.cpp, Ollama); several, comma-separated, share the requests and take over from one that fails",
      baseUrlList,
    )
    .option("--api-key <key>", "API key (default: $POCKET_AGENT_API_KEY or $OPENAI_API_KEY)")
    .option("--shard <dir>", "local Wikipedia shard behind web_search")
    .option("--prompt-pack <file>", "prompt pack YAML (smolagents layout); default: the built-in pack")
    .option("--max-steps <n>", "step budget", positiveInt, 5)
    .option(
      "--n <n>",
      "candidate actions per step (self-consistent action generation when > 1)",
      positiveInt,
      1,
    )
    .option("--temperature <t>", "sampling temperature", nonNegativeNumber)
    .option("--top-p <p>", "nucleus sampling mass", probability)
    .option("--max-tokens <n>", "token limit per completion", positiveInt)
    .option("--seed <n>", "sampling seed", positiveInt)
    .option("--action-timeout <seconds>", "time limit of one code action", nonNegativeNumber, 10)
    .option("--request-timeout <seconds>", "time limit of one model request", nonNegativeNumber);
}

/** The loop settings those options stand for; web_search is only offered when there is a shard. */
export function agentSettings(
  options: AgentCliOptions,
  pack: PromptPack,
): Pick<AgentOptions, "maxSteps" | "sampling" | "toolNames" | "actionTimeoutMs"> {
  return {
    maxSteps: options.maxSteps,
    sampling: {
      n: options.n,
      temperature: options.temperature,
      topP: options.topP,
      maxTokens: options.maxTokens,
      seed: options.seed,
    },
    toolNames: toolNamesFor(pack, Boolean(options.shard)),
    actionTimeoutMs: options.actionTimeout * 1000,
  };
}
