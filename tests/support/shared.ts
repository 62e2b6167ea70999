/**
 * Paths into the shared data (read in place, never copied into the repository): ../shared beside the
 * checkout, or $POCKET_AGENT_SHARED. Tests and benchmarks both use this.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const SHARED =
  process.env["POCKET_AGENT_SHARED"] ??
  join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "shared");

export function sharedText(path: string): string {
  return readFileSync(join(SHARED, path), "utf8");
}

export interface GoldenTranscript {
  question: string;
  task: string;
  scripted_completions: string[];
  calls: { messages: { role: "system" | "user" | "assistant"; content: string }[]; stop: string[] }[];
  answer: unknown;
}

export function golden(name: "A" | "C"): GoldenTranscript {
  return JSON.parse(sharedText(`reference/golden/${name}.json`)) as GoldenTranscript;
}
