/**
 * A run folder is resumed only with the settings its records were made with: mixing, say, n = 1 and
 * n = 8 records in one report would give a score of neither. Pure.
 */
import type { Trajectory } from "../agent/trajectory.ts";
import type { RunRecord } from "./record.ts";

/** The settings that change what a record means. */
export const COMPARED_SETTINGS = [
  "role",
  "promptPack",
  "maxSteps",
  "n",
  "temperature",
  "topP",
  "maxTokens",
  "seed",
] as const;

export type ComparedSettings = Partial<Pick<Trajectory["settings"], (typeof COMPARED_SETTINGS)[number]>>;

/** "n: 1 in the folder, 8 now; ..." for each setting that differs from the folder's first record, or "". */
export function settingsMismatch(records: readonly RunRecord[], now: ComparedSettings): string {
  const before = records.find((r) => r.trajectory.settings)?.trajectory.settings;
  if (!before) return "";
  const show = (v: unknown) => (v === undefined ? "unset" : JSON.stringify(v));
  return COMPARED_SETTINGS.filter((key) => before[key] !== now[key])
    .map((key) => `${key}: ${show(before[key])} in the folder, ${show(now[key])} now`)
    .join("; ");
}

/** The reference's student evaluation (scripts/inference/run_agent_student.sh and run_experiment.py). */
export const REFERENCE_PRESET = {
  n: 8,
  temperature: 0.4,
  topP: 0.8,
  maxTokens: 1024,
  seed: 42,
  maxSteps: 5,
} as const;
