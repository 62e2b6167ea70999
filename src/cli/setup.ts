/** Turning command-line options into the agent's parts; shared by the commands that run the agent. */
import { readFile } from "node:fs/promises";
import { InvalidArgumentError } from "commander";
import { DEFAULT_PACK } from "../agent/packs/default-pack.ts";
import { loadPromptPack, type PromptPack } from "../agent/prompt-pack.ts";
import { parseTrajectory } from "../agent/trajectory.ts";
import type { Engine } from "../llm/engine.ts";
import { OpenAIEngine } from "../llm/openai/openai-engine.ts";
import { ReplayEngine } from "../llm/replay/replay-engine.ts";

export interface EngineOptions {
  baseUrl?: string;
  model?: string;
  apiKey?: string;
  replay?: string;
  requestTimeout?: number;
}

export async function engineFromOptions(options: EngineOptions): Promise<Engine> {
  if (options.replay) {
    const trajectory = parseTrajectory(await readText(options.replay, "trajectory"));
    return ReplayEngine.fromTrajectory(trajectory, options.replay);
  }
  if (!options.baseUrl || !options.model) {
    throw new Error(
      "say which model runs the agent: --base-url URL --model NAME (or --replay TRAJECTORY.json)",
    );
  }
  return new OpenAIEngine({
    baseUrl: options.baseUrl,
    model: options.model,
    apiKey: options.apiKey ?? process.env["POCKET_AGENT_API_KEY"] ?? process.env["OPENAI_API_KEY"],
    timeoutMs: options.requestTimeout ? options.requestTimeout * 1000 : undefined,
  });
}

export async function packFromOptions(path: string | undefined): Promise<PromptPack> {
  if (!path) return DEFAULT_PACK;
  return loadPromptPack(await readText(path, "prompt pack"), path, DEFAULT_PACK);
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `cannot read ${what} ${path}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`,
    );
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
