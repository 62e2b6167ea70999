/**
 * What `eval` and `teach` share: the options of a benchmark run and their translation into one
 * BenchmarkRun (src/eval/run-benchmark.ts), which does the work.
 */
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { resolveSampling, runAgent } from "../agent/loop.ts";
import type { PromptPack } from "../agent/prompt-pack.ts";
import type { Benchmark, TaskKind } from "../eval/benchmark.ts";
import { COT_PACK_PREFIX } from "../eval/cot.ts";
import type { SymbolicEqual } from "../eval/math.ts";
import { openRunOutput } from "../eval/node/output.ts";
import { questionRecord, type RunRecord } from "../eval/record.ts";
import type { RunReport } from "../eval/report.ts";
import { type RunOne, runBenchmark } from "../eval/run-benchmark.ts";
import { createScorer, type Scorer } from "../eval/score.ts";
import { createSympyChecker, SYMBOLIC_TIMEOUT_MS } from "../eval/symbolic.ts";
import type { Executor } from "../exec/index.ts";
import { OpenAIEngine } from "../llm/openai/openai-engine.ts";
import type { Engine } from "../ports/engine.ts";
import { cotPromptName, cotRunner, NO_EXECUTOR } from "./cot-run.ts";
import { cliIo } from "./io.ts";
import { createProgress } from "./progress.ts";
import {
  type AgentCliOptions,
  addAgentOptions,
  agentSettings,
  baseUrlList,
  engineFromOptions,
  packFromOptions,
  positiveInt,
} from "./setup.ts";

/** Options shared by eval and teach: the model, the pack, sampling, the shard and the run's shape. */
export interface BenchmarkRunOptions extends AgentCliOptions {
  limit?: number;
  offset: number;
  concurrency: number;
  task?: TaskKind;
  out: string;
  judgeBaseUrl?: string;
  judgeModel?: string;
  judgeApiKey?: string;
  /** Resume a folder whose records were made with other settings. */
  force?: boolean;
  /** eval only: "cot" runs the chain-of-thought baseline instead of the agent. */
  mode?: "agent" | "cot";
  cotPrompt?: string;
  useRag?: boolean;
}

export function addRunOptions(command: Command): Command {
  return addAgentOptions(command)
    .option("--limit <n>", "run at most this many questions", positiveInt)
    .option("--offset <k>", "skip the first k questions", wholeNumber, 0)
    .option("--concurrency <c>", "questions run at once (one Pyodide worker each)", positiveInt, 1)
    .option(
      "--task <kind>",
      "scoring: fact (EM/F1) or math (equivalence); default: from the set's name",
      taskKind,
    )
    .requiredOption("--out <dir>", "output folder (records JSONL + report.json); an existing one is resumed")
    .option(
      "--judge-base-url <url>",
      "score factual answers with an LLM judge on this OpenAI-compatible server, as the reference does (else EM, not comparable with the paper)",
      baseUrlList,
    )
    .option("--judge-model <name>", "the judge model's name on that server")
    .option("--judge-api-key <key>", "API key of the judge server (or $POCKET_AGENT_JUDGE_API_KEY)")
    .option(
      "--force",
      "resume a folder whose records were made with other settings (their report mixes both)",
    );
}

/** The judge engine when --judge-base-url and --judge-model are given; an error when only one is. */
export function judgeFromOptions(options: BenchmarkRunOptions): Engine | undefined {
  if (!options.judgeBaseUrl && !options.judgeModel) return undefined;
  if (!options.judgeBaseUrl || !options.judgeModel) {
    throw new Error("an LLM judge needs both --judge-base-url URL and --judge-model NAME");
  }
  return new OpenAIEngine({
    baseUrl: options.judgeBaseUrl,
    model: options.judgeModel,
    apiKey: options.judgeApiKey ?? cliIo().env["POCKET_AGENT_JUDGE_API_KEY"],
  });
}

export interface RunSpec {
  role: "student" | "teacher";
  recordsName: string;
  /** Replaces the default per-question run (teach adds FTP and filtering). */
  runOne?: RunOneFactory;
  label?: string;
  /** After the run, with every record of the selection: extra report fields, extra files. */
  finish?: (records: RunRecord[], outDir: string) => Promise<Record<string, unknown>>;
}

export type RunOneFactory = (ctx: {
  engine: Engine;
  pack: PromptPack;
  benchmark: Benchmark;
  agentOptions: AgentRunOptions;
  /** Scores an answer (EM/F1 or math, and the judge when one is configured). */
  score: Scorer;
}) => RunOne;

export type AgentRunOptions = Omit<Parameters<typeof runAgent>[1], "executor" | "engine" | "signal">;

/** A sympy checker whose executor starts on first use; `dispose` stops it if it started. */
function lazySympyChecker(): { symbolic: SymbolicEqual; dispose(): Promise<void> } {
  let executor: Promise<Executor> | undefined;
  let checker: Promise<SymbolicEqual> | undefined;
  return {
    symbolic: async (a, b, signal) => {
      executor ??= cliIo().createExecutor({ timeoutMs: SYMBOLIC_TIMEOUT_MS });
      checker ??= executor.then((ex) => createSympyChecker(ex));
      return (await checker)(a, b, signal);
    },
    dispose: async () => {
      // A failed start already surfaced through `symbolic`.
      if (executor) await (await executor.catch(() => undefined))?.dispose();
    },
  };
}

/**
 * `eval` and `teach` on one benchmark: turns the command's options into a BenchmarkRun (the output
 * folder, the engine, the executors, the per-question run, the progress line) and runs it.
 */
export async function runBenchmarkFromOptions(
  benchmark: Benchmark,
  options: BenchmarkRunOptions,
  spec: RunSpec,
): Promise<RunReport> {
  const io = cliIo();
  const judge = judgeFromOptions(options);
  // Math sets: symbolic comparisons run in a Pyodide of their own, started on the first one needed.
  const sympy = benchmark.kind === "math" ? lazySympyChecker() : undefined;
  const score = createScorer(judge, sympy ? { symbolic: sympy.symbolic } : {});
  const pack = await packFromOptions(options.promptPack);
  const cot = options.mode === "cot";
  const promptPackName = cot ? `${COT_PACK_PREFIX}${cotPromptName(options)}` : pack.name;
  const plain = {
    n: options.n,
    temperature: options.temperature,
    topP: options.topP,
    maxTokens: options.maxTokens,
    seed: options.seed,
  };
  // A CoT run samples as told; the agent applies SAG's defaults when n > 1.
  const sampling = cot ? plain : resolveSampling(plain);
  const controller = new AbortController();
  const stopListening = io.onInterrupt(() => controller.abort());
  try {
    return await runBenchmark({
      benchmark,
      offset: options.offset,
      limit: options.limit,
      concurrency: options.concurrency,
      output: await openRunOutput(options.out, spec.recordsName),
      compared: {
        role: spec.role,
        promptPack: promptPackName,
        maxSteps: cot ? 0 : options.maxSteps,
        n: sampling.n,
        temperature: sampling.temperature,
        topP: sampling.topP,
        maxTokens: sampling.maxTokens,
        seed: sampling.seed,
      },
      force: options.force,
      // The server's model name, the catalog id, or the GGUF file a local run loaded.
      model: options.model ?? options.modelFile,
      settings: {
        source: benchmark.source,
        role: spec.role,
        mode: cot ? "cot" : "agent",
        promptPack: promptPackName,
        maxSteps: cot ? 0 : options.maxSteps,
        n: options.n,
        temperature: options.temperature,
        topP: options.topP,
        offset: options.offset,
        limit: options.limit,
        shard: options.shard ?? null,
        judge: judge ? { baseUrl: options.judgeBaseUrl, model: options.judgeModel } : null,
      },
      prepare: async () => {
        const engine = await engineFromOptions(options);
        const agentOptions: AgentRunOptions = { pack, role: spec.role, ...agentSettings(options, pack) };
        const runOne = cot
          ? await cotRunner(options, benchmark, engine, score)
          : (spec.runOne?.({ engine, pack, benchmark, agentOptions, score }) ??
            (async (example, executor, signal) => {
              const trajectory = await runAgent(example.question, {
                ...agentOptions,
                engine,
                executor,
                signal,
              });
              const scored = await score(benchmark.kind, trajectory.answer, example, signal);
              return questionRecord(benchmark.kind, example, trajectory, scored);
            }));
        return {
          runOne,
          dispose: async () => {
            await sympy?.dispose();
            await engine.dispose?.();
          },
        };
      },
      createExecutor: async () =>
        cot
          ? NO_EXECUTOR
          : io.createExecutor({
              timeoutMs: options.actionTimeout * 1000,
              ...(options.shard ? { shard: { path: options.shard } } : {}),
            }),
      label: spec.label ?? `eval ${benchmark.name}`,
      startProgress: (label, total) => createProgress(label, { total }),
      log: (line) => io.stderr.write(`${line}\n`),
      signal: controller.signal,
      ...(spec.finish ? { finish: (records: RunRecord[]) => spec.finish!(records, options.out) } : {}),
    });
  } finally {
    stopListening();
  }
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number of at least 0");
  return n;
}

function taskKind(value: string): TaskKind {
  if (value !== "fact" && value !== "math") throw new InvalidArgumentError("expected fact or math");
  return value;
}
