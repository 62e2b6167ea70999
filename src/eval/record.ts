/**
 * One line of a run's output JSONL: the example, its score and the whole trajectory. `eval` and
 * `teach` write these; `sft export` and resumed runs read them back.
 */
import { parseTrajectory, type Trajectory } from "../agent/trajectory.ts";
import type { BenchmarkExample, TaskKind } from "./benchmark.ts";
import type { Score } from "./score.ts";

export interface FirstThoughtRecord {
  /** The text put in front of the first step ("Thought: " + the first thought). */
  prefix: string;
  /** The teacher's chain-of-thought answer the thought was taken from. */
  cot: string;
  usage?: { promptTokens: number; completionTokens: number };
}

export interface RunRecord {
  id: string;
  question: string;
  gold: string | number;
  kind: TaskKind;
  score: Score;
  trajectory: Trajectory;
  /** teach --ftp: the first-thought prefix used on step 1. */
  firstThought?: FirstThoughtRecord;
  /** teach: whether the trajectory passed the training-data filter, and why not. */
  kept?: boolean;
  dropReasons?: string[];
}

/** The record of one answered question; teach adds its first thought and filter verdict as `extra`. */
export function questionRecord(
  kind: TaskKind,
  example: BenchmarkExample,
  trajectory: Trajectory,
  score: Score,
  extra: Pick<RunRecord, "firstThought" | "kept" | "dropReasons"> = {},
): RunRecord {
  return {
    id: example.id,
    question: example.question,
    gold: example.answer,
    kind,
    score,
    trajectory,
    ...extra,
  };
}

export class RecordFormatError extends Error {
  override name = "RecordFormatError";
}

export function recordLine(record: RunRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/**
 * Reads a JSONL of run records. A line that is a bare trajectory is accepted too (id = line number).
 * Errors name the line.
 */
export function parseRecords(text: string, source: string): RunRecord[] {
  const records: RunRecord[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      throw new RecordFormatError(`${source}:${i + 1}: not valid JSON: ${(error as Error).message}`);
    }
    try {
      if (data && typeof data === "object" && "trajectory" in data) {
        const trajectory = parseTrajectory(data["trajectory"]);
        if (typeof data["id"] !== "string") throw new Error("`id` must be a string");
        records.push({ ...(data as unknown as RunRecord), trajectory });
      } else {
        const trajectory = parseTrajectory(data);
        records.push({
          id: String(i + 1),
          question: trajectory.question,
          gold: "",
          kind: "fact",
          score: { correct: false, extracted: "" },
          trajectory,
        });
      }
    } catch (error) {
      throw new RecordFormatError(`${source}:${i + 1}: ${(error as Error).message}`);
    }
  }
  return records;
}

/**
 * Ids already present in an output file, for resuming. A last line cut short by an interrupted run
 * is ignored (it is rewritten on resume); damage anywhere else is an error.
 */
export function finishedIds(text: string, source: string): { ids: Set<string>; validText: string } {
  const lines = text.split("\n");
  const ids = new Set<string>();
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let data: { id?: unknown };
    try {
      data = JSON.parse(line) as { id?: unknown };
    } catch (error) {
      const isLast = lines.slice(i + 1).every((l) => !l.trim());
      if (isLast) break;
      throw new RecordFormatError(`${source}:${i + 1}: not valid JSON: ${(error as Error).message}`);
    }
    if (typeof data.id !== "string") throw new RecordFormatError(`${source}:${i + 1}: record has no id`);
    ids.add(data.id);
    kept.push(line);
  }
  return { ids, validText: kept.length ? `${kept.join("\n")}\n` : "" };
}
