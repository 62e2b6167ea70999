/**
 * `pocket-agent teach`: teacher trajectories (full system prompt, optional first-thought prefix),
 * scored and filtered for training; `pocket-agent sft export`: SFT examples from them.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { singleAction } from "../../agent/action.ts";
import type { ActionStrategy } from "../../agent/loop.ts";
import { runAgent } from "../../agent/loop.ts";
import { renderSystemPrompt } from "../../agent/prompt-pack.ts";
import { sagStrategy } from "../../agent/sag.ts";
import { dropReasons } from "../../distill/filter.ts";
import {
  cotMessages,
  DEFAULT_COT_PROMPT,
  firstThoughtPrefix,
  loadCotPrompt,
} from "../../distill/first-thought.ts";
import { firstStepPrefixStrategy } from "../../distill/prefix.ts";
import { toCotSftExample, toSftExample } from "../../distill/sft.ts";
import { parseBenchmark } from "../../eval/benchmark.ts";
import { COT_PACK_PREFIX } from "../../eval/cot.ts";
import { readSource } from "../../eval/node/read-source.ts";
import { type FirstThoughtRecord, parseRecords, questionRecord, recordLine } from "../../eval/record.ts";
import { REFERENCE_AUTHORIZED_IMPORTS } from "../../ports/executor.ts";
import {
  addRunOptions,
  type BenchmarkRunOptions,
  type RunOneFactory,
  runBenchmarkFromOptions,
} from "../benchmark-run.ts";
import { cliIo } from "../io.ts";
import { checkShard, packFromOptions, positiveInt, withLocalModel } from "../setup.ts";

interface TeachOptions extends BenchmarkRunOptions {
  questions: string;
  ftp?: boolean;
  cotPrompt?: string;
  cotMaxTokens?: number;
}

export function registerTeach(program: Command): void {
  addRunOptions(
    program
      .command("teach")
      .description(
        "run a teacher model as the agent (full prompt, optional first-thought prefix) and keep the trajectories fit for training",
      )
      .requiredOption(
        "--questions <file-or-url>",
        "questions with gold answers, in the benchmark JSON format",
      )
      .option(
        "--ftp",
        "first-thought prefix: a chain-of-thought answer first, its first thought opens step 1",
      )
      .option(
        "--cot-prompt <file>",
        "YAML with the chain-of-thought `system_prompt` (default: the built-in one)",
      )
      .option("--cot-max-tokens <n>", "token limit of the chain-of-thought answer", positiveInt),
  ).action(async (given: TeachOptions) => {
    const questions = parseBenchmark(
      await readSource(given.questions, "questions"),
      given.questions,
      given.task,
    );
    await checkShard(given.shard);
    // A teacher is named on purpose: no default model here.
    const options = await withLocalModel(given, { defaultModel: null });
    const cotPrompt = options.cotPrompt
      ? loadCotPrompt(await readSource(options.cotPrompt, "CoT prompt"), options.cotPrompt)
      : DEFAULT_COT_PROMPT;
    let keptCount = 0;
    const report = await runBenchmarkFromOptions(questions, options, {
      role: "teacher",
      recordsName: "trajectories.jsonl",
      label: `teach ${questions.name}`,
      runOne: teacherRun(options, cotPrompt),
      finish: async (records, outDir) => {
        const kept = records.filter((r) => r.kept);
        keptCount = kept.length;
        await writeFile(join(outDir, "filtered.jsonl"), kept.map(recordLine).join(""));
        const reasons: Record<string, number> = {};
        for (const r of records)
          for (const reason of r.dropReasons ?? []) reasons[reason] = (reasons[reason] ?? 0) + 1;
        return {
          filter: { kept: kept.length, dropped: records.length - kept.length, reasons },
          ftp: Boolean(options.ftp),
        };
      },
    });
    cliIo().stdout.write(
      `${questions.name}: ${report.correct}/${report.questions} correct; ${keptCount} trajectories kept for training in ${join(options.out, "filtered.jsonl")}\n`,
    );
  });
}

function teacherRun(options: TeachOptions, cotPrompt: string): RunOneFactory {
  return ({ engine, benchmark, agentOptions, score: scoreAnswer }) =>
    async (example, executor, signal) => {
      let ftp: FirstThoughtRecord | undefined;
      if (options.ftp) {
        const cot = await engine.generate({
          messages: cotMessages(cotPrompt, example.question),
          temperature: options.temperature,
          topP: options.topP,
          maxTokens: options.cotMaxTokens ?? options.maxTokens,
          seed: options.seed,
          signal,
        });
        const text = cot.completions[0]?.text ?? "";
        ftp = {
          prefix: firstThoughtPrefix(text),
          cot: text,
          ...(cot.usage ? { usage: cot.usage } : {}),
        };
      }
      const base: ActionStrategy = options.n > 1 ? sagStrategy() : singleAction;
      const trajectory = await runAgent(example.question, {
        ...agentOptions,
        engine,
        executor,
        signal,
        ...(ftp?.prefix ? { strategy: firstStepPrefixStrategy(ftp.prefix, base) } : {}),
      });
      const score = await scoreAnswer(benchmark.kind, trajectory.answer, example, signal);
      const reasons = dropReasons(trajectory, score);
      return questionRecord(benchmark.kind, example, trajectory, score, {
        ...(ftp ? { firstThought: ftp } : {}),
        kept: reasons.length === 0,
        dropReasons: reasons,
      });
    };
}

interface SftExportOptions {
  in: string;
  out: string;
  promptPack?: string;
  tools?: string;
  all?: boolean;
}

export function registerSft(program: Command): void {
  const sft = program.command("sft").description("supervised fine-tuning data from teacher trajectories");
  sft
    .command("export")
    .description("write chat-messages SFT examples (student system prompt) from a trajectories JSONL")
    .requiredOption("--in <file>", "trajectories JSONL written by teach (or eval)")
    .requiredOption("--out <file>", 'SFT JSONL to write, one {"messages": [...]} per line')
    .option(
      "--prompt-pack <file>",
      "prompt pack whose student prompt goes in the examples (default: built-in)",
    )
    .option(
      "--tools <names>",
      "comma-separated tools listed in the student prompt (default: all of the pack's)",
    )
    .option("--all", "export every trajectory, not only those passing the training filter")
    .action(async (options: SftExportOptions) => {
      const records = parseRecords(await readInput(options.in), options.in);
      const pack = await packFromOptions(options.promptPack);
      const toolNames = options.tools
        ?.split(",")
        .map((t) => t.trim())
        .filter(Boolean);
      const unknown = toolNames?.filter((t) => !pack.tools.some((p) => p.name === t)) ?? [];
      if (unknown.length) throw new Error(`--tools: the pack has no tool ${unknown.join(", ")}`);
      const system = renderSystemPrompt(pack, {
        role: "student",
        authorizedImports: REFERENCE_AUTHORIZED_IMPORTS,
        ...(toolNames ? { toolNames } : {}),
      });
      const lines: string[] = [];
      const dropped: Record<string, number> = {};
      for (const record of records) {
        const reasons = options.all ? [] : dropReasons(record.trajectory, record.score);
        if (reasons.length) {
          for (const r of reasons) dropped[r] = (dropped[r] ?? 0) + 1;
          continue;
        }
        try {
          // CoT records (eval --mode cot) keep their CoT prompt; agent records get the student prompt.
          const cot = record.trajectory.settings.promptPack.startsWith(COT_PACK_PREFIX);
          lines.push(
            JSON.stringify(
              cot ? toCotSftExample(record.trajectory) : toSftExample(record.trajectory, system),
            ),
          );
        } catch (error) {
          throw new Error(`${options.in}: record ${record.id}: ${(error as Error).message}`);
        }
      }
      await writeFile(options.out, lines.length ? `${lines.join("\n")}\n` : "");
      const why = Object.entries(dropped)
        .map(([r, k]) => `${k} ${r}`)
        .join(", ");
      cliIo().stdout.write(
        `sft export: ${lines.length} example(s) written to ${options.out}, ${records.length - lines.length} skipped${why ? ` (${why})` : ""}\n`,
      );
    });
}

async function readInput(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${path}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
}
