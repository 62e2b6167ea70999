/**
 * Benchmark sets in the reference's JSON layout:
 * `{"metadata": {"dataset_info": {"name", ...}}, "examples": [{"id", "question", "answer", ...}]}`.
 * Loading validates every example, so a damaged file fails with the example and field named.
 */
import { z } from "zod";

/** How answers are scored: factual QA (EM/F1) or math (equivalence). */
export type TaskKind = "fact" | "math";

export interface BenchmarkExample {
  /** The example's id as text (ids are numbers in some files, strings in others). */
  id: string;
  question: string;
  /** The gold answer as the file gives it (GSM-Hard answers are numbers). */
  answer: string | number;
  /** The remaining fields of the example, untouched (level, type, solution, ...). */
  extra: Record<string, unknown>;
}

export interface Benchmark {
  /** The source's file name without .json (e.g. gsm_hard_500_20250507): names the set in reports. */
  name: string;
  /** metadata.dataset_info.name (the reference calls GSM-Hard and AIME "MATH" there), if any. */
  dataset?: string;
  kind: TaskKind;
  source: string;
  metadata: Record<string, unknown>;
  examples: BenchmarkExample[];
  /** Ids of examples left out because they carry no gold answer (null, missing or empty). */
  withoutAnswer: string[];
}

export class BenchmarkFormatError extends Error {
  override name = "BenchmarkFormatError";
}

const exampleSchema = z.looseObject({
  id: z.union([z.string().min(1), z.number()]),
  // Checked for content but kept as written: the reference sends benchmark questions untrimmed.
  question: z.string().refine((q) => q.trim().length > 0, "is empty"),
  answer: z.union([z.string(), z.number(), z.null()]).optional(),
});

const fileSchema = z.object({
  metadata: z.record(z.string(), z.unknown()).optional(),
  examples: z.array(z.unknown()).min(1, "has no examples"),
});

const MATH_NAMES = /math|gsm|aime|olym|amc/i;

/** Math for the MATH / GSM-Hard / AIME / OlymMATH sets, fact otherwise; `source` breaks the tie. */
export function inferKind(name: string, source = ""): TaskKind {
  return MATH_NAMES.test(name) || MATH_NAMES.test(baseName(source)) ? "math" : "fact";
}

export function parseBenchmark(text: string, source: string, kind?: TaskKind): Benchmark {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BenchmarkFormatError(`benchmark ${source} is not valid JSON: ${(error as Error).message}`);
  }
  const file = fileSchema.safeParse(data);
  if (!file.success) {
    const issue = file.error.issues[0]!;
    const where = issue.path.join(".") || "(root)";
    throw new BenchmarkFormatError(
      `benchmark ${source}: ${where}: ${issue.message} (expected {"metadata": {...}, "examples": [{"id", "question", "answer"}, ...]})`,
    );
  }
  const seen = new Set<string>();
  const withoutAnswer: string[] = [];
  const examples: BenchmarkExample[] = [];
  file.data.examples.forEach((raw, index) => {
    const parsed = exampleSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new BenchmarkFormatError(
        `benchmark ${source}: examples[${index}].${issue.path.join(".") || "(example)"}: ${issue.message}`,
      );
    }
    const { id, question, answer, ...extra } = parsed.data;
    const key = String(id);
    if (seen.has(key))
      throw new BenchmarkFormatError(`benchmark ${source}: examples[${index}]: duplicate id ${key}`);
    seen.add(key);
    // A few reference files hold examples whose answer was lost (null or ""): they cannot be scored.
    if (answer === undefined || answer === null || (typeof answer === "string" && !answer.trim())) {
      withoutAnswer.push(key);
      return;
    }
    examples.push({ id: key, question, answer, extra });
  });
  if (examples.length === 0) {
    throw new BenchmarkFormatError(`benchmark ${source}: no example has a gold answer`);
  }
  const metadata = file.data.metadata ?? {};
  const info = metadata["dataset_info"] as { name?: unknown } | undefined;
  const dataset = typeof info?.name === "string" && info.name ? info.name : undefined;
  const name = baseName(source) || dataset || "benchmark";
  return {
    name,
    ...(dataset ? { dataset } : {}),
    kind: kind ?? inferKind(dataset ?? "", source),
    source,
    metadata,
    examples,
    withoutAnswer,
  };
}

/** The examples a run covers: `offset` skipped, at most `limit` kept. */
export function selectExamples(
  examples: readonly BenchmarkExample[],
  options: { offset?: number; limit?: number },
): BenchmarkExample[] {
  const start = options.offset ?? 0;
  return examples.slice(start, options.limit === undefined ? undefined : start + options.limit);
}

/** The file name without directories, query string and .json. */
export function baseName(source: string): string {
  return (source.split(/[?#]/)[0]!.split(/[\\/]/).pop() ?? "").replace(/\.json$/i, "");
}
