/**
 * `pocket-agent eval --benchmark FILE --out DIR`: the student agent on every question of a benchmark,
 * one trajectory record per line (resumable), a progress line and a JSON report.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { type Benchmark, parseBenchmark } from "../../eval/benchmark.ts";
import { readSource } from "../../eval/node/read-source.ts";
import type { RunReport } from "../../eval/report.ts";
import { REFERENCE_PRESET } from "../../eval/resume.ts";
import {
  addRunOptions,
  type BenchmarkRunOptions,
  type RunSpec,
  runBenchmarkFromOptions,
} from "../benchmark-run.ts";
import { cliIo } from "../io.ts";
import { checkShard, withLocalModel } from "../setup.ts";

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
        printSummary(await runBenchmarkFromOptions(benchmarks[0]!, options, spec), options.out);
        return;
      }
      const names = benchmarks.map((b) => b.name);
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice)
        throw new Error(`--benchmark: two sets are named ${twice}; their output folders would collide`);
      const reports: RunReport[] = [];
      for (const benchmark of benchmarks) {
        const out = join(options.out, benchmark.name);
        const report = await runBenchmarkFromOptions(benchmark, { ...options, out }, spec);
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

function modeName(value: string): "agent" | "cot" {
  if (value !== "agent" && value !== "cot") throw new InvalidArgumentError("expected agent or cot");
  return value;
}

function presetName(value: string): "reference" {
  if (value !== "reference") throw new InvalidArgumentError("the only preset is reference");
  return value;
}
