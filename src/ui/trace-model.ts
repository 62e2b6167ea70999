/**
 * What the page's trace shows, worked out without the DOM (unit-tested in Node): the passages a
 * web_search observation carries, which steps and passages an answer came from, how a vote key reads,
 * and the events that redraw a saved trajectory (a run reopened from history is drawn by the same code
 * as a live one, so the two cannot drift apart).
 */
import type { AgentEvent } from "../agent/events.ts";
import type { Trajectory } from "../agent/trajectory.ts";

/** One retrieved passage, as the reference `web_search` observation lays it out. */
export interface RetrievedPassage {
  /** The index printed in its separator line (from 0, per search call). */
  index: number;
  score: number;
  title: string;
  text: string;
}

const SEPARATOR = /^===== Document (\d+), similarity: (-?[\d.]+) =====$/gm;

/**
 * The passages in a step's printed output: each "===== Document i, similarity: s =====" line starts one,
 * whose first line is the quoted title and which runs to the next separator, the next "Retrieved
 * documents:" header or the end. Text without separators gives none.
 */
export function parsePassages(printed: string): RetrievedPassage[] {
  const marks = [...printed.matchAll(SEPARATOR)];
  return marks.map((mark, i) => {
    const start = mark.index + mark[0].length + 1;
    const end = i + 1 < marks.length ? marks[i + 1]!.index : printed.length;
    let body = printed.slice(start, end);
    // A second search printed after this passage starts with its own header: it is not passage text.
    const header = body.indexOf("\nRetrieved documents:");
    if (header >= 0) body = body.slice(0, header);
    body = body.replace(/\s+$/, "");
    const newline = body.indexOf("\n");
    const firstLine = newline < 0 ? body : body.slice(0, newline);
    const quoted = /^"(.*)"$/.exec(firstLine);
    return {
      index: Number(mark[1]),
      score: Number(mark[2]),
      title: quoted ? quoted[1]! : firstLine,
      text: quoted ? (newline < 0 ? "" : body.slice(newline + 1)) : body,
    };
  });
}

/** The text of a step's output where passages are printed: the execution logs, else the observation. */
export function printedOutput(observation: string, logs: string | undefined): string {
  if (logs !== undefined) return logs;
  const last = observation.indexOf("\nLast output from code snippet:");
  return last >= 0 ? observation.slice(0, last) : observation;
}

export interface PassageRef {
  step: number;
  /** Position among the passages shown for the step (from 0; not the index a search printed). */
  position: number;
  title: string;
}

export interface AnswerSources {
  /** The step whose final_answer(...) gave the answer; undefined for the closing reply after the budget. */
  step: number | undefined;
  /** Retrieved passages whose text contains the answer. */
  passages: PassageRef[];
}

/**
 * Where an answer came from: the step that called final_answer, and the retrieved passages that contain
 * the answer's text (case and spacing aside). A passage counts only when the answer is literally in it,
 * so a link never claims more than the page can show; a short answer (one character) links no passage.
 */
export function answerSources(
  answerText: string,
  finalStep: number | undefined,
  passagesByStep: ReadonlyMap<number, readonly RetrievedPassage[]>,
): AnswerSources {
  const needle = normalize(answerText);
  const passages: PassageRef[] = [];
  if (needle.length >= 2) {
    for (const [step, list] of passagesByStep) {
      list.forEach((passage, position) => {
        if (normalize(`${passage.title}\n${passage.text}`).includes(needle))
          passages.push({ step, position, title: passage.title });
      });
    }
  }
  return { step: finalStep, passages };
}

function normalize(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").trim();
}

/** How an answer value reads on the page: a string as it is, anything else as JSON. */
export function answerText(answer: unknown): string {
  return typeof answer === "string" ? answer : JSON.stringify(answer);
}

/**
 * A vote key (a candidate's printed output) as people read it: real line breaks instead of "\n" escapes,
 * the trailing newline print() adds dropped, cut after `max` characters, and an empty output said plainly.
 */
export function voteKeyText(key: string, max = 160): string {
  const text = key.replace(/\n$/, "");
  if (!text.trim()) return "(no output)";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The events a run emitted, rebuilt from its trajectory, for drawing a saved run with the live trace's
 * code. Tokens are not recorded, so none are replayed; the rest follows the loop's order.
 */
export function eventsFromTrajectory(trajectory: Trajectory): AgentEvent[] {
  const events: AgentEvent[] = [
    {
      type: "run-start",
      question: trajectory.question,
      task: trajectory.task,
      engine: {
        kind: trajectory.engine.kind,
        label: trajectory.engine.label,
        isReplay: trajectory.engine.isReplay,
        supportsN: trajectory.settings.n > 1,
      },
      maxSteps: trajectory.settings.maxSteps,
      ...(trajectory.thread ? { earlier: trajectory.thread.turns } : {}),
    },
  ];
  for (const step of trajectory.steps) {
    events.push({ type: "step-start", step: step.step });
    if (step.candidates?.length && step.vote)
      events.push({ type: "candidates", step: step.step, candidates: step.candidates, vote: step.vote });
    events.push({
      type: "action",
      step: step.step,
      thought: step.thought,
      code: step.code,
      repairs: step.repairs,
    });
    events.push({
      type: "observation",
      step: step.step,
      text: step.observation,
      ...(step.execution ? { execution: step.execution } : {}),
      ...(step.parseError !== undefined ? { parseError: step.parseError } : {}),
    });
  }
  if (trajectory.status === "answered" || trajectory.status === "fallback") {
    events.push({
      type: "final-answer",
      answer: trajectory.answer,
      source: trajectory.status === "answered" ? "final_answer" : "fallback",
    });
  } else if (trajectory.status === "aborted") {
    events.push({ type: "stopped", step: trajectory.steps.length + 1 });
  } else {
    events.push({
      type: "error",
      step: trajectory.steps.length + 1,
      message: trajectory.error ?? "unknown error",
    });
  }
  events.push({ type: "run-end", trajectory });
  return events;
}
