/**
 * The live trace: one block per step (thought, code, observation), SAG candidates and their vote, the
 * answer, all built from the agent's events and nothing else (the CLI's trace.ts does the same in text).
 * A replayed run is labelled as such in the banner, in the trace header and on the answer.
 */
import type { AgentEvent } from "../agent/events.ts";
import type { CandidateRecord, VoteRecord } from "../agent/trajectory.ts";
import { h } from "./dom.ts";

export interface TraceElements {
  trace: HTMLElement;
  answer: HTMLElement;
  replayBanner: HTMLElement;
}

export type ObservationKind = "ok" | "error" | "timeout" | "parse-error";

export function observationKind(event: Extract<AgentEvent, { type: "observation" }>): ObservationKind {
  if (event.parseError !== undefined) return "parse-error";
  const error = event.execution?.error;
  if (!error) return "ok";
  return error.type === "TimeoutError" ? "timeout" : "error";
}

const OBSERVATION_LABEL: Record<ObservationKind, string> = {
  ok: "Observation",
  error: "Observation: the code raised an error",
  timeout: "Observation: the code ran out of time",
  "parse-error": "Observation: no code could be read from the model's reply",
};

export class TraceView {
  private step: HTMLElement | undefined;
  private stream: HTMLElement | undefined;
  private replay = false;

  constructor(private readonly el: TraceElements) {}

  readonly handle = (event: AgentEvent): void => {
    switch (event.type) {
      case "run-start":
        this.replay = event.engine.isReplay;
        this.el.trace.replaceChildren(
          h("p", {
            class: "run-header",
            text: `${event.engine.label}: at most ${event.maxSteps} step${event.maxSteps === 1 ? "" : "s"}`,
          }),
        );
        this.el.replayBanner.hidden = !this.replay;
        this.el.answer.replaceChildren();
        this.el.answer.hidden = true;
        break;
      case "step-start":
        this.stream = h("pre", { class: "stream", hidden: true });
        this.step = h(
          "section",
          { class: "step", data: { step: String(event.step) } },
          h("h3", { text: `Step ${event.step}` }),
          this.stream,
        );
        this.el.trace.append(this.step);
        this.step.scrollIntoView?.({ block: "nearest" });
        break;
      case "token":
        if (this.stream) {
          this.stream.hidden = false;
          this.stream.textContent += event.delta;
        }
        break;
      case "candidates":
        this.currentStep().append(renderCandidates(event.candidates, event.vote));
        break;
      case "action": {
        const step = this.currentStep();
        this.stream?.remove();
        this.stream = undefined;
        if (event.thought) step.append(h("p", { class: "thought", text: event.thought }));
        if (event.code !== null) step.append(h("pre", { class: "code", text: event.code }));
        if (event.repairs.length)
          step.append(h("p", { class: "note", text: `parser: ${event.repairs.join("; ")}` }));
        break;
      }
      case "observation": {
        const kind = observationKind(event);
        this.currentStep().append(
          h(
            "div",
            { class: `observation ${kind}`, data: { kind } },
            h("h4", { text: OBSERVATION_LABEL[kind] }),
            h("pre", { text: event.text }),
          ),
        );
        break;
      }
      case "final-answer": {
        const text = typeof event.answer === "string" ? event.answer : JSON.stringify(event.answer);
        const label = this.replay
          ? "Replayed answer (recorded completions, not a model)"
          : event.source === "fallback"
            ? "Answer (the step budget ran out; this is the model's closing reply)"
            : "Answer";
        this.el.answer.replaceChildren(
          h("h2", { text: label }),
          h("p", { class: "answer-text", text, data: { testid: "answer" } }),
        );
        this.el.answer.dataset["replay"] = String(this.replay);
        this.el.answer.hidden = false;
        break;
      }
      case "error":
        this.el.trace.append(
          h("p", {
            class: "run-error",
            role: "alert",
            text: `Error${event.step ? ` in step ${event.step}` : ""}: ${event.message}`,
          }),
        );
        break;
      case "stopped":
        this.el.trace.append(h("p", { class: "run-stopped", text: `Stopped during step ${event.step}.` }));
        break;
      case "run-end":
        this.stream = undefined;
        this.el.trace.append(
          h("p", {
            class: "run-status",
            data: { status: event.trajectory.status },
            text: statusText(event.trajectory.status),
          }),
        );
        break;
    }
  };

  private currentStep(): HTMLElement {
    if (!this.step) {
      this.step = h("section", { class: "step" });
      this.el.trace.append(this.step);
    }
    return this.step;
  }
}

function statusText(status: string): string {
  switch (status) {
    case "answered":
      return "Run finished: answered.";
    case "fallback":
      return "Run finished: the step budget ran out.";
    case "aborted":
      return "Run stopped.";
    default:
      return "Run failed.";
  }
}

function renderCandidates(candidates: CandidateRecord[], vote: VoteRecord): HTMLElement {
  const summary = `Vote (${vote.mode}${vote.adaptive ? ", adaptive" : ""}): ${vote.generated} of ${vote.requested} candidates generated, ${vote.executed} executed; winner #${vote.winner} (${vote.reason})`;
  const groups = h(
    "ul",
    { class: "vote-groups" },
    ...vote.groups.map((g) =>
      h("li", {
        class: g.members.includes(vote.winner) ? "winner" : "",
        text: `${g.members.length} vote${g.members.length === 1 ? "" : "s"} for ${preview(g.key)} (#${g.members.join(", #")})`,
      }),
    ),
  );
  const list = h(
    "ol",
    { class: "candidates" },
    ...candidates.map((c) => {
      const outcome =
        c.parseError !== undefined
          ? "failed: no code"
          : c.execution?.error
            ? `failed: ${c.execution.error.type}`
            : `output ${preview(c.voteKey ?? "")}`;
      return h(
        "li",
        {
          class: c.index === vote.winner ? "candidate winner" : "candidate",
          data: { index: String(c.index) },
        },
        h(
          "details",
          {},
          h("summary", {
            text: `#${c.index}${c.index === vote.winner ? " (chosen)" : ""}: ${outcome}${c.reused ? " (same code as an earlier candidate)" : ""}`,
          }),
          h("pre", { class: "code", text: c.code ?? c.completion }),
        ),
      );
    }),
  );
  return h("div", { class: "sag" }, h("p", { class: "vote-summary", text: summary }), groups, list);
}

function preview(text: string): string {
  const one = JSON.stringify(text);
  return one.length > 80 ? `${one.slice(0, 77)}..."` : one;
}
