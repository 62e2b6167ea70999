/** The readable trace `pocket-agent ask` prints: one block per step, built from the agent's events. */
import type { AgentEvent } from "../agent/events.ts";

export type TraceWriter = (event: AgentEvent) => void;

export function createTraceWriter(
  write: (text: string) => void,
  options: { streamTokens?: boolean } = {},
): TraceWriter {
  let streamed = false;
  return (event) => {
    switch (event.type) {
      case "run-start":
        write(`pocket-agent: ${event.engine.label}, at most ${event.maxSteps} steps\n`);
        if (event.engine.isReplay)
          write("REPLAY: recorded completions are played back; no model is generating them.\n");
        write(`Task: ${event.task}\n`);
        break;
      case "step-start":
        streamed = false;
        write(`\n━━ Step ${event.step} ━━\n`);
        break;
      case "token":
        if (options.streamTokens) {
          streamed = true;
          write(event.delta);
        }
        break;
      case "action":
        if (streamed) write("\n");
        else {
          if (event.thought) write(`${event.thought}\n`);
          if (event.code !== null) write(`${indent(event.code, "  │ ")}\n`);
        }
        if (event.repairs.length) write(`  (parser: ${event.repairs.join("; ")})\n`);
        break;
      case "candidates": {
        const v = event.vote;
        const groups = v.groups.map(
          (g, i) => `${i === groupOf(v) ? "*" : " "}${g.members.length} vote(s) for ${preview(g.key)}`,
        );
        write(
          `Vote (${v.mode}${v.adaptive ? ", adaptive" : ""}): ${v.generated}/${v.requested} candidates generated, ${v.executed} executed, winner #${v.winner} (${v.reason})\n`,
        );
        for (const line of groups) write(`  ${line}\n`);
        const failed = event.candidates.filter((c) => c.group === undefined).length;
        if (failed) write(`  ${failed} candidate(s) failed and were dropped\n`);
        break;
      }
      case "observation":
        write(`${indent(event.text, "  > ")}\n`);
        break;
      case "final-answer":
        write(
          event.source === "fallback"
            ? `\nStep budget spent; answer from the final-answer call:\n${String(event.answer)}\n`
            : `\nAnswer: ${typeof event.answer === "string" ? event.answer : JSON.stringify(event.answer)}\n`,
        );
        break;
      case "error":
        write(`\nError${event.step ? ` in step ${event.step}` : ""}: ${event.message}\n`);
        break;
      case "stopped":
        write(`\nStopped during step ${event.step}.\n`);
        break;
      case "run-end":
        break;
    }
  };
}

function groupOf(vote: { groups: { members: number[] }[]; winner: number }): number {
  return vote.groups.findIndex((g) => g.members.includes(vote.winner));
}

function preview(text: string): string {
  const one = JSON.stringify(text);
  return one.length > 60 ? `${one.slice(0, 57)}..."` : one;
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => prefix + line)
    .join("\n");
}
