/**
 * The trajectory's format marks and what a replay reads from one, without the schema: trajectory.ts
 * validates with zod (~20 KB gzip), which the page loads only when it reads a file, so the agent loop
 * and the engines import from here.
 */
import type { Trajectory } from "./trajectory.ts";

export const TRAJECTORY_SCHEMA = "pocket-agent/trajectory";
export const TRAJECTORY_VERSION = 1;

/** The completions a run consumed, in the order it asked for them: what a replay must play back. */
export function recordedCompletions(trajectory: Trajectory): string[] {
  const out: string[] = [];
  for (const s of trajectory.steps) {
    if (s.candidates?.length)
      out.push(...[...s.candidates].sort((a, b) => a.index - b.index).map((c) => c.completion));
    else out.push(s.completion);
  }
  if (trajectory.fallback) out.push(trajectory.fallback.completion);
  return out;
}
