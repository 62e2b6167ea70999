/**
 * A replay plays back the completions a run recorded, so it only tells the truth when it is asked what
 * that run was asked, with the same candidates per step and step budget: otherwise the recorded replies
 * would be shown as answers to another question, or be cut up into different votes. DOM-free.
 */
import type { ReplaySource } from "./engines.ts";
import type { RunSettings } from "./settings.ts";

export class ReplayMismatchError extends Error {
  override name = "ReplayMismatchError";
}

/**
 * The settings a replay runs with: the recorded n and step budget in place of the form's. Refuses a
 * question other than the recorded one, saying which question the replay can answer.
 */
export function replaySettings(question: string, settings: RunSettings, replay: ReplaySource): RunSettings {
  const recorded = replay.trajectory;
  if (question !== recorded.question) {
    throw new ReplayMismatchError(
      `${replay.name} replays the recorded completions for “${recorded.question}”, so it cannot answer “${question}”. Ask the recorded question, or pick another engine.`,
    );
  }
  return { ...settings, n: recorded.settings.n, maxSteps: recorded.settings.maxSteps };
}

/** How the page describes a picked replay. */
export function describeReplay(replay: ReplaySource): string {
  const { question, steps, settings } = replay.trajectory;
  return `${replay.name}: ${steps.length} recorded step(s) for “${question}”; it replays with n = ${settings.n} and at most ${settings.maxSteps} step(s), as recorded.`;
}
