/** `pocket-agent ask "QUESTION"`: one question, answered by the agent with Python in Pyodide. */
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { runAgent } from "../../agent/loop.ts";
import { cliIo } from "../io.ts";
import {
  type AgentCliOptions,
  addAgentOptions,
  agentSettings,
  checkShard,
  engineFromOptions,
  packFromOptions,
  withLocalModel,
} from "../setup.ts";
import { createTraceWriter } from "../trace.ts";

interface AskOptions extends AgentCliOptions {
  replay?: string;
  json?: boolean;
  save?: string;
  stream?: boolean;
}

export function registerAsk(program: Command): void {
  addAgentOptions(
    program
      .command("ask")
      .description(
        "answer a question with the agent (model via an OpenAI-compatible server, code in Pyodide)",
      )
      .argument("<question>", "the question"),
  )
    .option(
      "--replay <trajectory.json>",
      "play back the completions recorded in a trajectory instead of a model",
    )
    .option("--stream", "print tokens as they arrive (n = 1)")
    .option("--save <file>", "also write the trajectory JSON to this file")
    .option("--json", "print the trajectory JSON (with a top-level `answer`) instead of the trace")
    .action(async (question: string, given: AskOptions) => {
      await checkShard(given.shard);
      const options = await withLocalModel(given);
      const engine = await engineFromOptions(options);
      const pack = await packFromOptions(options.promptPack);
      const io = cliIo();
      const executor = await io.createExecutor({
        timeoutMs: options.actionTimeout * 1000,
        ...(options.shard ? { shard: { path: options.shard } } : {}),
      });
      const controller = new AbortController();
      const stopListening = io.onInterrupt(() => controller.abort());
      const trace = options.json
        ? undefined
        : createTraceWriter((t) => io.stdout.write(t), { streamTokens: options.stream });
      try {
        const trajectory = await runAgent(question, {
          engine,
          executor,
          pack,
          ...agentSettings(options, pack),
          signal: controller.signal,
          onEvent: trace,
        });
        const json = `${JSON.stringify(trajectory, null, 2)}\n`;
        if (options.save) await writeFile(options.save, json);
        if (options.json) io.stdout.write(json);
        if (trajectory.status === "failed" || trajectory.status === "aborted") {
          throw new Error(trajectory.error ?? trajectory.status);
        }
      } finally {
        stopListening();
        await executor.dispose();
        await engine.dispose?.();
      }
    });
}
