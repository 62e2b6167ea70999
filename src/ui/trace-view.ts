/**
 * The trace people read: one collapsible card per step (the thought as text, the code highlighted, the
 * output, and the passages web_search retrieved as collapsible cards with their titles), SAG candidates
 * and their vote, and the answer with links to the step and the passages it came from. The raw protocol
 * text (each completion and observation exactly as sent, and the whole conversation) sits behind
 * toggles. Built from the agent's events and nothing else (the CLI's trace.ts does the same in text); a
 * saved trajectory is drawn by replaying its events (trace-model.ts), so a reopened run looks the same.
 * A replayed run is labelled as such in the banner, in the trace header and on the answer.
 */
import type { AgentEvent } from "../agent/events.ts";
import type { CandidateRecord, Thread, Trajectory, VoteRecord } from "../agent/trajectory.ts";
import { h } from "./dom.ts";
import { showCode } from "./highlight.ts";
import {
  answerSources,
  answerText,
  eventsFromTrajectory,
  parsePassages,
  printedOutput,
  type RetrievedPassage,
  voteKeyText,
} from "./trace-model.ts";

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
  ok: "Output",
  error: "Output: the code raised an error",
  timeout: "Output: the code ran out of time",
  "parse-error": "Error: no code could be read from the model's reply",
};

/** Element ids the answer's links point at. */
export const stepId = (step: number) => `trace-step-${step}`;
export const passageId = (step: number, position: number) => `trace-step-${step}-passage-${position}`;

interface StepCard {
  card: HTMLDetailsElement;
  /** A short line next to "Step N" saying what the step did. */
  gist: HTMLElement;
}

export class TraceView {
  private step: StepCard | undefined;
  private stepNumber: number | undefined;
  private stream: HTMLElement | undefined;
  private replay = false;
  private readonly cards = new Map<number, StepCard>();
  private readonly passages = new Map<number, RetrievedPassage[]>();

  constructor(private readonly el: TraceElements) {
    // A link to a step or passage opens its card (and the cards around it) before the page scrolls to it.
    el.answer.addEventListener("click", (event) => {
      const link = (event.target as Element | null)?.closest?.("a[href^='#trace-step-']");
      const target = link && document.getElementById(link.getAttribute("href")!.slice(1));
      for (let node = target?.closest("details"); node; node = node.parentElement?.closest("details"))
        node.open = true;
    });
  }

  /** Draws a saved run (one reopened from history) as the live trace would have. */
  show(trajectory: Trajectory, note: string): void {
    for (const event of eventsFromTrajectory(trajectory)) this.handle(event);
    this.el.trace.querySelector(".run-header")?.append(` (${note})`);
  }

  readonly handle = (event: AgentEvent): void => {
    switch (event.type) {
      case "run-start":
        this.replay = event.engine.isReplay;
        this.cards.clear();
        this.passages.clear();
        this.step = undefined;
        this.stepNumber = undefined;
        this.el.trace.replaceChildren(
          // A follow-up shows the conversation it continues above its own steps.
          ...(event.earlier?.length ? [renderEarlier(event.earlier)] : []),
          h("p", {
            class: "run-header",
            text: `${event.engine.label}: at most ${event.maxSteps} step${event.maxSteps === 1 ? "" : "s"}${event.earlier?.length ? `, following up ${event.earlier.length} earlier question${event.earlier.length === 1 ? "" : "s"}` : ""}`,
          }),
        );
        this.el.replayBanner.hidden = !this.replay;
        this.el.answer.replaceChildren();
        this.el.answer.hidden = true;
        break;
      case "step-start": {
        this.stream = h("pre", { class: "stream", hidden: true });
        this.stepNumber = event.step;
        this.step = this.newCard(event.step);
        this.step.card.append(this.stream);
        this.step.card.scrollIntoView?.({ block: "nearest" });
        break;
      }
      case "token":
        if (this.stream) {
          this.stream.hidden = false;
          this.stream.textContent += event.delta;
        }
        break;
      case "candidates":
        this.currentStep().card.append(renderCandidates(event.candidates, event.vote));
        break;
      case "action": {
        const { card, gist } = this.currentStep();
        this.stream?.remove();
        this.stream = undefined;
        if (event.thought) card.append(h("p", { class: "thought", text: event.thought }));
        if (event.code !== null) {
          const code = h("pre", { class: "code" });
          showCode(code, event.code);
          card.append(code);
          gist.textContent = codeGist(event.code);
        }
        if (event.repairs.length)
          card.append(h("p", { class: "note", text: `parser: ${event.repairs.join("; ")}` }));
        break;
      }
      case "observation": {
        const kind = observationKind(event);
        const { card, gist } = this.currentStep();
        const passages =
          kind === "parse-error" ? [] : parsePassages(printedOutput(event.text, event.execution?.logs));
        this.passages.set(event.step, passages);
        const full = h("pre", { text: event.text });
        card.append(
          h(
            "div",
            { class: `observation ${kind}`, data: { kind } },
            h("h4", { text: OBSERVATION_LABEL[kind] }),
            passages.length ? this.renderPassages(event.step, passages) : null,
            // With passages shown as cards, the text as fed back to the model is one click away.
            passages.length
              ? h("details", { class: "observation-text" }, h("summary", { text: "Output as text" }), full)
              : full,
          ),
        );
        if (kind !== "ok") gist.textContent = OBSERVATION_LABEL[kind].replace(/^(Output|Error): /, "");
        else if (passages.length)
          gist.textContent = `${gist.textContent}; ${passages.length} passage${passages.length === 1 ? "" : "s"}`;
        break;
      }
      case "final-answer": {
        const text = answerText(event.answer);
        const label = this.replay
          ? "Replayed answer (recorded completions, not a model)"
          : event.source === "fallback"
            ? "Answer (the step budget ran out; this is the model's closing reply)"
            : "Answer";
        const finalStep = event.source === "final_answer" ? this.stepNumber : undefined;
        if (finalStep !== undefined) this.currentStep().card.dataset["answer"] = "true";
        this.el.answer.replaceChildren(
          h("h2", { text: label }),
          h("p", { class: "answer-text", text, data: { testid: "answer" } }),
        );
        const sources = renderSources(answerSources(text, finalStep, this.passages));
        if (sources) this.el.answer.append(sources);
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
        this.addRawText(event.trajectory);
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

  private newCard(step: number): StepCard {
    const gist = h("span", { class: "step-gist" });
    const card = h(
      "details",
      { class: "step", open: true, data: { step: String(step) } },
      h("summary", {}, h("h3", { text: `Step ${step}` }), gist),
    );
    card.id = stepId(step);
    this.cards.set(step, { card, gist });
    this.el.trace.append(card);
    return { card, gist };
  }

  private currentStep(): StepCard {
    this.step ??= this.newCard(this.stepNumber ?? this.cards.size + 1);
    return this.step;
  }

  private renderPassages(step: number, passages: RetrievedPassage[]): HTMLElement {
    return h(
      "div",
      { class: "passages" },
      ...passages.map((passage, position) => {
        const card = h(
          "details",
          { class: "passage" },
          h(
            "summary",
            {},
            h("span", { class: "passage-title", text: passage.title }),
            h("span", { class: "passage-score", text: ` similarity ${passage.score.toFixed(2)}` }),
          ),
          h("p", { class: "passage-text", text: passage.text }),
        );
        card.id = passageId(step, position);
        return card;
      }),
    );
  }

  /** The raw protocol text of each step, and of the whole conversation, behind toggles. */
  private addRawText(trajectory: Trajectory): void {
    for (const step of trajectory.steps) {
      this.cards
        .get(step.step)
        ?.card.append(
          h(
            "details",
            { class: "raw" },
            h("summary", { text: "Raw protocol text" }),
            h("h4", { text: "The model's reply" }),
            h("pre", { class: "raw-text", text: step.completion }),
            h("h4", { text: "Fed back to the model" }),
            h("pre", { class: "raw-text", text: step.observation }),
          ),
        );
    }
    if (trajectory.messages.length) {
      this.el.trace.append(
        h(
          "details",
          { class: "raw raw-conversation" },
          h("summary", {
            text: `Raw protocol text of the whole run (${trajectory.messages.length} messages as the model saw them)`,
          }),
          ...trajectory.messages.map((m) =>
            h("pre", { class: "raw-text", text: `[${m.role}]\n${m.content}` }),
          ),
        ),
      );
    }
  }
}

/** A few words for a step's summary line, from its code. */
function codeGist(code: string): string {
  if (/\bfinal_answer\s*\(/.test(code)) return "gives the final answer";
  const search = /\bweb_search\s*\(\s*(?:query\s*=\s*)?(["'])(.*?)\1/.exec(code);
  if (search) return `searches “${search[2]}”`;
  return "runs code";
}

function renderSources(sources: ReturnType<typeof answerSources>): HTMLElement | null {
  const links = [
    ...(sources.step !== undefined ? [{ href: stepId(sources.step), text: `step ${sources.step}` }] : []),
    ...sources.passages.map((p) => ({
      href: passageId(p.step, p.position),
      text: `“${p.title}” (step ${p.step})`,
    })),
  ];
  if (!links.length) return null;
  const line = h("p", { class: "answer-sources" }, "From ");
  links.forEach((link, i) => {
    if (i > 0) line.append(i === links.length - 1 ? " and " : ", ");
    const a = h("a", { text: link.text });
    a.href = `#${link.href}`;
    line.append(a);
  });
  return line;
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

/**
 * The vote and its candidates. Outputs are shown as text (real line breaks, not "\n" escapes), and each
 * candidate is numbered once, by the #index the vote groups name (an unnumbered list, so the browser
 * adds no second number).
 */
function renderCandidates(candidates: CandidateRecord[], vote: VoteRecord): HTMLElement {
  const summary = `Vote (${vote.mode}${vote.adaptive ? ", adaptive" : ""}): ${vote.generated} of ${vote.requested} candidates generated, ${vote.executed} executed; winner #${vote.winner} (${vote.reason})`;
  const groups = h(
    "ul",
    { class: "vote-groups" },
    ...vote.groups.map((g) =>
      h(
        "li",
        { class: g.members.includes(vote.winner) ? "winner" : "" },
        `${g.members.length} vote${g.members.length === 1 ? "" : "s"} for `,
        h("code", { class: "vote-key", text: voteKeyText(g.key) }),
        ` (#${g.members.join(", #")})`,
      ),
    ),
  );
  const list = h(
    "ul",
    { class: "candidates" },
    ...candidates.map((c) => {
      const outcome =
        c.parseError !== undefined
          ? "failed: no code"
          : c.execution?.error
            ? `failed: ${c.execution.error.type}`
            : "output ";
      const code = h("pre", { class: "code" });
      // Without code, the reply itself is shown, as plain text (it is not Python).
      if (c.code === null) code.textContent = c.completion;
      else showCode(code, c.code);
      return h(
        "li",
        {
          class: c.index === vote.winner ? "candidate winner" : "candidate",
          data: { index: String(c.index) },
        },
        h(
          "details",
          {},
          h(
            "summary",
            {},
            `#${c.index}${c.index === vote.winner ? " (chosen)" : ""}: ${outcome}`,
            outcome === "output "
              ? h("code", { class: "vote-key", text: voteKeyText(c.voteKey ?? "") })
              : null,
            c.reused ? " (same code as an earlier candidate)" : null,
          ),
          code,
        ),
      );
    }),
  );
  return h("div", { class: "sag" }, h("p", { class: "vote-summary", text: summary }), groups, list);
}

/** The questions a follow-up continues, and their answers, oldest first. */
function renderEarlier(turns: Thread["turns"]): HTMLElement {
  const list = h(
    "ol",
    { class: "thread", title: "Earlier in this conversation" },
    ...turns.map((turn) =>
      h(
        "li",
        {},
        h("p", { class: "thread-question", text: turn.question }),
        h("p", { class: "thread-answer", text: answerText(turn.answer) }),
      ),
    ),
  );
  list.setAttribute("aria-label", "Earlier in this conversation");
  return list;
}
