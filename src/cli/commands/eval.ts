/**
 * `pocket-agent eval --benchmark FILE --out DIR`: the student agent on every question of a benchmark,
 * one trajectory record per line (resumable), a progress line and a JSON report.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { resolveSampling, runAgent } from "../../agent/loop.ts";
import type { PromptPack } from "../../agent/prompt-pack.ts";
import { type Benchmark, parseBenchmark, selectExamples, type TaskKind } from "../../eval/benchmark.ts";
import { COT_PACK_PREFIX } from "../../eval/cot.ts";
import type { SymbolicEqual } from "../../eval/math.ts";
import { openRunOutput } from "../../eval/node/output.ts";
import { readSource } from "../../eval/node/read-source.ts";
import type { RunRecord } from "../../eval/record.ts";
import { buildReport, type RunReport } from "../../eval/report.ts";
import { REFERENCE_PRESET, settingsMismatch } from "../../eval/resume.ts";
import { runQuestions } from "../../eval/run.ts";
import { createScorer, type Scorer } from "../../eval/score.ts";
import { createSympyChecker, SYMBOLIC_TIMEOUT_MS } from "../../eval/symbolic.ts";
import type { Executor } from "../../exec/index.ts";
import type { Engine } from "../../llm/engine.ts";
import { OpenAIEngine } from "../../llm/openai/openai-engine.ts";
import { cliIo } from "../io.ts";
import { createProgress } from "../progress.ts";
import {
  type AgentCliOptions,
  addAgentOptions,
  agentSettings,
  baseUrlList,
  checkShard,
  engineFromOptions,
  packFromOptions,
  positiveInt,
  withLocalModel,
} from "../setup.ts";
import { cotPromptName, cotRunner, NO_EXECUTOR } from "./cot-run.ts";

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

export function registerEval(program: Command): void {
  addRunOptions(
    program
      .command("eval")
      .description("evaluate the student agent on benchmark sets (reference JSON format) and write reports")
      .requiredOption(
        "--benchmark <file-or-url...>",
        "benchmark JSON: {metadata, examples: [{id, question, answer}]}; several sets run one after another",
      )
      .option(
        "--mode <mode>",
        "agent (default) or cot: the chain-of-thought baseline (one answer, or the majority of --n samples)",
        modeName,
        "agent",
      )
      .option(
        "--cot-prompt <file>",
        "with --mode cot: a YAML whose system_prompt is the CoT prompt (e.g. the reference's teacher_model.yaml)",
      )
      .option(
        "--use-rag",
        "with --mode cot: put the shard's passages for the question before it (needs --shard)",
      )
      .option(
        "--preset <name>",
        "reference: the reference's student evaluation (n 8, temperature 0.4, top-p 0.8, max-tokens 1024, seed 42, max-steps 5); options given explicitly win",
        presetName,
      ),
  ).action(
    async (
      options: BenchmarkRunOptions & { benchmark: string[]; preset?: "reference" },
      command: Command,
    ) => {
      if (options.preset === "reference") {
        for (const [key, value] of Object.entries(REFERENCE_PRESET)) {
          if (command.getOptionValueSource(key) !== "cli")
            (options as unknown as Record<string, unknown>)[key] = value;
        }
      }
      // Every set is read and checked before anything runs (or a model downloads).
      const benchmarks: Benchmark[] = [];
      for (const source of options.benchmark) {
        benchmarks.push(parseBenchmark(await readSource(source, "benchmark"), source, options.task));
      }
      await checkShard(options.shard);
      Object.assign(options, await withLocalModel(options));
      const spec: RunSpec = { role: "student", recordsName: "trajectories.jsonl" };
      if (benchmarks.length === 1) {
        printSummary(await runBenchmark(benchmarks[0]!, options, spec), options.out);
        return;
      }
      const names = benchmarks.map((b) => b.name);
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice)
        throw new Error(`--benchmark: two sets are named ${twice}; their output folders would collide`);
      const reports: RunReport[] = [];
      for (const benchmark of benchmarks) {
        const out = join(options.out, benchmark.name);
        const report = await runBenchmark(benchmark, { ...options, out }, spec);
        printSummary(report, out);
        reports.push(report);
      }
      const summary = reports.map((r) => ({
        benchmark: r.benchmark,
        kind: r.kind,
        questions: r.questions,
        correct: r.correct,
        accuracy: r.accuracy,
        ...(r.kind === "fact" ? { em: r.em, f1: r.f1 } : {}),
        stepsMean: r.steps.mean,
        parseErrorRate: r.parseErrorRate,
        fallbackRate: r.fallbackRate,
      }));
      await writeFile(join(options.out, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
      const width = Math.max(...names.map((n) => n.length));
      const rows = summary.map(
        (r) =>
          `${r.benchmark.padEnd(width)}  ${(100 * r.accuracy).toFixed(1).padStart(5)}%  ${r.correct}/${r.questions}`,
      );
      cliIo().stdout.write(`\n${rows.join("\n")}\nsummary: ${join(options.out, "summary.json")}\n`);
    },
  );
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
}) => Parameters<typeof runQuestions>[0]["runOne"];

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

/** Runs the selected questions not yet in the output folder, then writes the report over all records. */
export async function runBenchmark(
  benchmark: Benchmark,
  options: BenchmarkRunOptions,
  spec: RunSpec,
): Promise<RunReport> {
  const judge = judgeFromOptions(options);
  // Math sets: symbolic comparisons run in a Pyodide of their own, started on the first one needed.
  const sympy = benchmark.kind === "math" ? lazySympyChecker() : undefined;
  const score = createScorer(judge, sympy ? { symbolic: sympy.symbolic } : {});
  const pack = await packFromOptions(options.promptPack);
  const cot = options.mode === "cot";
  const promptPackName = cot ? `${COT_PACK_PREFIX}${cotPromptName(options)}` : pack.name;
  const output = await openRunOutput(options.out, spec.recordsName);
  if (output.finished.size > 0 && !options.force) {
    const plain = {
      n: options.n,
      temperature: options.temperature,
      topP: options.topP,
      maxTokens: options.maxTokens,
      seed: options.seed,
    };
    // A CoT run samples as told; the agent applies SAG's defaults when n > 1.
    const sampling = cot
      ? plain
      : resolveSampling({
          n: options.n,
          temperature: options.temperature,
          topP: options.topP,
          maxTokens: options.maxTokens,
          seed: options.seed,
        });
    const mismatch = settingsMismatch(await output.readAll(), {
      role: spec.role,
      promptPack: promptPackName,
      maxSteps: cot ? 0 : options.maxSteps,
      n: sampling.n,
      temperature: sampling.temperature,
      topP: sampling.topP,
      maxTokens: sampling.maxTokens,
      seed: sampling.seed,
    });
    if (mismatch) {
      throw new Error(
        `${output.recordsPath} holds records made with other settings (${mismatch}); use another --out, the same settings, or --force to mix them`,
      );
    }
  }
  // After the checks above: loading a local model takes a while.
  const engine = await engineFromOptions(options);
  const selected = selectExamples(benchmark.examples, options);
  const todo = selected.filter((e) => !output.finished.has(e.id));
  const agentOptions: AgentRunOptions = {
    pack,
    role: spec.role,
    ...agentSettings(options, pack),
  };
  const runOne = cot
    ? await cotRunner(options, benchmark, engine, score)
    : (spec.runOne?.({ engine, pack, benchmark, agentOptions, score }) ??
      (async (example, executor, signal) => {
        const trajectory = await runAgent(example.question, { ...agentOptions, engine, executor, signal });
        return {
          id: example.id,
          question: example.question,
          gold: example.answer,
          kind: benchmark.kind,
          score: await score(benchmark.kind, trajectory.answer, example, signal),
          trajectory,
        };
      }));

  const io = cliIo();
  const label = spec.label ?? `eval ${benchmark.name}`;
  if (benchmark.withoutAnswer.length) {
    const ids = benchmark.withoutAnswer;
    io.stderr.write(
      `${label}: ${ids.length} example(s) without a gold answer left out (id ${ids.slice(0, 10).join(", ")}${ids.length > 10 ? ", ..." : ""})\n`,
    );
  }
  const progress = createProgress(label, { total: todo.length });
  if (selected.length > todo.length) {
    io.stderr.write(
      `${label}: resuming, ${selected.length - todo.length} question(s) already in ${output.recordsPath}\n`,
    );
  }
  const started = performance.now();
  const controller = new AbortController();
  const stopListening = io.onInterrupt(() => controller.abort());
  let correct = 0;
  let done = 0;
  let result: Awaited<ReturnType<typeof runQuestions>>;
  try {
    result = await runQuestions({
      examples: todo,
      concurrency: options.concurrency,
      signal: controller.signal,
      createExecutor: async () =>
        cot
          ? NO_EXECUTOR
          : io.createExecutor({
              timeoutMs: options.actionTimeout * 1000,
              ...(options.shard ? { shard: { path: options.shard } } : {}),
            }),
      runOne,
      onRecord: async (record) => {
        await output.append(record);
        done++;
        if (record.score.correct) correct++;
        progress.update(done, `correct ${correct}/${done}`);
      },
    });
  } finally {
    stopListening();
    await sympy?.dispose();
    await engine.dispose?.();
  }
  progress.done(`${done} question(s) run, ${correct} correct`);

  const selectedIds = new Set(selected.map((e) => e.id));
  const records = (await output.readAll()).filter((r) => selectedIds.has(r.id));
  const report = buildReport(records, {
    benchmark: benchmark.name,
    ...(benchmark.dataset ? { dataset: benchmark.dataset } : {}),
    kind: benchmark.kind,
    // The server's model name, or the GGUF file a local run loaded.
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
  });
  const extra = spec.finish ? await spec.finish(records, options.out) : {};
  // This invocation only (a resumed run adds to earlier records): questions run and wall time.
  const lastRun = {
    questions: done,
    wallMs: Math.round(performance.now() - started),
    concurrency: options.concurrency,
  };
  const full = { ...report, lastRun, ...extra };
  await output.writeReport(full);
  if (result.stopped) {
    throw new Error(
      `stopped at question ${result.stopped.id}: ${result.stopped.reason} (${records.length} of ${selected.length} recorded in ${output.recordsPath}; run the same command again to resume)`,
    );
  }
  return full;
}

function printSummary(report: RunReport, out: string): void {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `${report.benchmark} (${report.kind}): ${report.correct}/${report.questions} correct, accuracy ${pct(report.accuracy)}`,
    ...(report.kind === "fact" ? [`EM ${pct(report.em ?? 0)}, F1 ${pct(report.f1 ?? 0)}`] : []),
    `scored by ${report.scoring.method}${report.scoring.judgeModel ? ` (${report.scoring.judgeModel})` : ""}${report.scoring.note ? `: ${report.scoring.note}` : ""}`,
    `steps/question ${report.steps.mean.toFixed(2)}, parse errors ${pct(report.parseErrorRate)} of steps, fallback ${pct(report.fallbackRate)}`,
    `tokens ${report.tokens.prompt} prompt + ${report.tokens.completion} completion, ${(report.timePerQuestionMs.mean / 1000).toFixed(1)}s/question`,
    `report: ${out}/report.json`,
  ];
  cliIo().stdout.write(`${lines.join("\n")}\n`);
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number of at least 0");
  return n;
}

function modeName(value: string): "agent" | "cot" {
  if (value !== "agent" && value !== "cot") throw new InvalidArgumentError("expected agent or cot");
  return value;
}

function presetName(value: string): "reference" {
  if (value !== "reference") throw new InvalidArgumentError("the only preset is reference");
  return value;
}

function taskKind(value: string): TaskKind {
  if (value !== "fact" && value !== "math") throw new InvalidArgumentError("expected fact or math");
  return value;
}
