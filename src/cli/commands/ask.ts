/** `pocket-agent ask "QUESTION"`: one question, answered by the agent with Python in Pyodide. */
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { runAgent } from "../../agent/loop.ts";
import { createNodeExecutor } from "../../exec/index.ts";
import { engineFromOptions, nonNegativeNumber, packFromOptions, positiveInt, probability } from "../setup.ts";
import { createTraceWriter } from "../trace.ts";

interface AskOptions {
  baseUrl?: string;
  model?: string;
  apiKey?: string;
  replay?: string;
  shard?: string;
  promptPack?: string;
  maxSteps: number;
  n: number;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  actionTimeout: number;
  requestTimeout?: number;
  json?: boolean;
  save?: string;
  stream?: boolean;
}

export function registerAsk(program: Command): void {
  program
    .command("ask")
    .description("answer a question with the agent (model via an OpenAI-compatible server, code in Pyodide)")
    .argument("<question>", "the question")
    .option(
      "--base-url <url>",
      "OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 (vLLM, llama.cpp, Ollama)",
    )
    .option("--model <name>", "model name as the server knows it")
    .option("--api-key <key>", "API key (default: $POCKET_AGENT_API_KEY or $OPENAI_API_KEY)")
    .option(
      "--replay <trajectory.json>",
      "play back the completions recorded in a trajectory instead of a model",
    )
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
    .option("--request-timeout <seconds>", "time limit of one model request", nonNegativeNumber)
    .option("--stream", "print tokens as they arrive (n = 1)")
    .option("--save <file>", "also write the trajectory JSON to this file")
    .option("--json", "print the trajectory JSON (with a top-level `answer`) instead of the trace")
    .action(async (question: string, options: AskOptions) => {
      const engine = await engineFromOptions(options);
      const pack = await packFromOptions(options.promptPack);
      const executor = await createNodeExecutor({
        timeoutMs: options.actionTimeout * 1000,
        ...(options.shard ? { shard: { path: options.shard } } : {}),
      });
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once("SIGINT", onSigint);
      const trace = options.json
        ? undefined
        : createTraceWriter((t) => process.stdout.write(t), { streamTokens: options.stream });
      try {
        const trajectory = await runAgent(question, {
          engine,
          executor,
          pack,
          maxSteps: options.maxSteps,
          sampling: {
            n: options.n,
            temperature: options.temperature,
            topP: options.topP,
            maxTokens: options.maxTokens,
            seed: options.seed,
          },
          toolNames: options.shard
            ? undefined
            : pack.tools.map((t) => t.name).filter((name) => name !== "web_search"),
          actionTimeoutMs: options.actionTimeout * 1000,
          signal: controller.signal,
          onEvent: trace,
        });
        const json = `${JSON.stringify(trajectory, null, 2)}\n`;
        if (options.save) await writeFile(options.save, json);
        if (options.json) process.stdout.write(json);
        if (trajectory.status === "failed" || trajectory.status === "aborted") {
          throw new Error(trajectory.error ?? trajectory.status);
        }
      } finally {
        process.off("SIGINT", onSigint);
        await executor.dispose();
      }
    });
}
