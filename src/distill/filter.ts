/**
 * Which teacher trajectories become training data, after the reference's filter: the answer must be
 * correct and no step may have a parse error (execution errors the teacher recovered from are kept).
 * Additionally the teacher must have called final_answer: a run that spent its step budget and was
 * answered by the fallback call would teach the student to end without calling it.
 */
import type { Trajectory } from "../agent/trajectory.ts";
import type { Score } from "../eval/score.ts";

export type DropReason = "incorrect" | "parse-error" | "no-final-answer";

export function dropReasons(trajectory: Trajectory, score: Pick<Score, "correct">): DropReason[] {
  const reasons: DropReason[] = [];
  if (!score.correct) reasons.push("incorrect");
  if (trajectory.steps.some((s) => s.parseError !== undefined)) reasons.push("parse-error");
  if (trajectory.status !== "answered") reasons.push("no-final-answer");
  return reasons;
}
