// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from "vitest";
import { threadAfter } from "../../src/agent/follow-up.ts";
import { runAgent } from "../../src/agent/loop.ts";
import { ReplayEngine } from "../../src/llm/replay/replay-engine.ts";
import type { EngineInfo } from "../../src/ports/engine.ts";
import type { CandidateResult, ExecutionResult, Executor } from "../../src/ports/executor.ts";
import { formatRetrievedDocuments } from "../../src/retrieval/search.ts";
import { formatBytes, ProgressBar } from "../../src/ui/progress-bar.ts";
import { passageId, stepId, TraceView } from "../../src/ui/trace-view.ts";

/**
 * Understands just `print("...")`, `final_answer("...")` and `while True` (anything else is a SyntaxError),
 * enough to drive the loop; the real executor has its own tests.
 */
class TinyExecutor implements Executor {
  private nextId = 1;
  readonly ran: string[] = [];

  async reset() {}
  async run(code: string): Promise<ExecutionResult> {
    this.ran.push(code);
    return this.execute(code);
  }
  async runCandidate(code: string): Promise<CandidateResult> {
    return { ...this.execute(code), candidateId: this.nextId++, reused: false };
  }
  async commitCandidate() {}
  async discardCandidates() {}
  async dispose() {}

  private execute(code: string): ExecutionResult {
    if (code.includes("while True")) {
      return {
        logs: "",
        output: "None",
        isFinalAnswer: false,
        durationMs: 1,
        error: {
          type: "TimeoutError",
          message: "Code execution failed: the action ran out of its 2 s time limit",
        },
      };
    }
    const answer = /final_answer\("([^"]*)"\)/.exec(code);
    if (answer)
      return { logs: "", output: answer[1]!, isFinalAnswer: true, finalAnswer: answer[1], durationMs: 1 };
    const printed = /print\("([^"]*)"\)/.exec(code);
    if (!printed) {
      return {
        logs: "",
        output: "None",
        isFinalAnswer: false,
        durationMs: 1,
        error: { type: "SyntaxError", message: "invalid syntax" },
      };
    }
    return { logs: printed ? `${printed[1]}\n` : "", output: "None", isFinalAnswer: false, durationMs: 1 };
  }
}

const step = (code: string, thought = "Thinking.") => `Thought: ${thought}\nCode:\n\`\`\`py\n${code}\n\`\`\``;

let view: TraceView;
let trace: HTMLElement;
let answer: HTMLElement;
let banner: HTMLElement;

beforeEach(() => {
  document.body.innerHTML = `<div id="banner" hidden></div><section id="answer" hidden></section><div id="trace"></div>`;
  trace = document.getElementById("trace")!;
  answer = document.getElementById("answer")!;
  banner = document.getElementById("banner")!;
  view = new TraceView({ trace, answer, replayBanner: banner });
});

describe("TraceView", () => {
  it("renders thought, code and observation per step, and labels a replayed answer as a replay", async () => {
    const engine = new ReplayEngine([
      "I will not write code for this.",
      step("while True:\n    pass", "Spin."),
      step('print("hello <b>world</b>")'),
      step('final_answer("Tulsa")', "Done."),
    ]);
    const trajectory = await runAgent("Where?", {
      engine,
      executor: new TinyExecutor(),
      onEvent: view.handle,
    });
    expect(trajectory.status).toBe("answered");

    expect(banner.hidden).toBe(false);
    const steps = [...trace.querySelectorAll<HTMLElement>(".step")];
    expect(steps.map((s) => s.dataset["step"])).toEqual(["1", "2", "3", "4"]);
    const kinds = steps.map((s) => s.querySelector<HTMLElement>(".observation")?.dataset["kind"]);
    expect(kinds).toEqual(["parse-error", "timeout", "ok", "ok"]);
    expect(steps[1]!.querySelector(".thought")?.textContent).toBe("Thought: Spin.\nCode:");
    expect(steps[1]!.querySelector("pre.code")?.textContent).toBe("while True:\n    pass");
    expect(steps[1]!.querySelector(".observation h4")?.textContent).toMatch(/ran out of time/);
    // Model output is text, never markup.
    expect(steps[2]!.querySelector(".observation pre")?.textContent).toContain("hello <b>world</b>");
    expect(steps[2]!.querySelector("b")).toBeNull();

    expect(answer.hidden).toBe(false);
    expect(answer.querySelector("h2")?.textContent).toBe(
      "Replayed answer (recorded completions, not a model)",
    );
    expect(answer.querySelector(".answer-text")?.textContent).toBe("Tulsa");
    expect(trace.querySelector<HTMLElement>(".run-status")?.dataset["status"]).toBe("answered");
  });

  it("shows SAG candidates, their groups and the winner when n > 1", async () => {
    const engine = new ReplayEngine([
      step('print("Paris")'),
      step('print("Lyon")'),
      step('print("Paris")', "Again."),
      step('final_answer("Paris")'),
      step('final_answer("Paris")'),
      step('final_answer("Paris")'),
    ]);
    await runAgent("Capital of France?", {
      engine,
      executor: new TinyExecutor(),
      sampling: { n: 3 },
      onEvent: view.handle,
    });
    const sag = trace.querySelector('.step[data-step="1"] .sag')!;
    expect(sag.querySelector(".vote-summary")?.textContent).toMatch(
      /^Vote \(exact\): 3 of 3 candidates generated/,
    );
    const groups = [...sag.querySelectorAll(".vote-groups li")].map((li) => [li.textContent, li.className]);
    // Outputs read as text (no "\n" escapes), and candidates are numbered once (no list numbers).
    expect(groups).toEqual([
      ["2 votes for Paris (#0, #2)", "winner"],
      ["1 vote for Lyon (#1)", ""],
    ]);
    expect(sag.querySelector(".candidates")?.tagName).toBe("UL");
    const candidates = [...sag.querySelectorAll<HTMLElement>(".candidate")];
    expect(candidates.map((c) => c.querySelector("summary")?.textContent)).toEqual([
      "#0 (chosen): output Paris",
      "#1: output Lyon",
      "#2: output Paris",
    ]);
    expect(answer.querySelector(".answer-text")?.textContent).toBe("Paris");
  });

  it("streams tokens while a step is generated, then shows the parsed action; a model's answer is not called a replay", () => {
    const engine: EngineInfo = { kind: "webllm", label: "student", isReplay: false, supportsN: true };
    view.handle({ type: "run-start", question: "q", task: "q", engine, maxSteps: 2 });
    expect(banner.hidden).toBe(true);
    view.handle({ type: "step-start", step: 1 });
    view.handle({ type: "token", step: 1, delta: "Thought: add" });
    view.handle({ type: "token", step: 1, delta: "ing." });
    expect(trace.querySelector(".stream")?.textContent).toBe("Thought: adding.");
    view.handle({
      type: "action",
      step: 1,
      thought: "adding.",
      code: "final_answer(2)",
      repairs: ["closed an open fence"],
    });
    expect(trace.querySelector(".stream")).toBeNull();
    expect(trace.querySelector(".note")?.textContent).toBe("parser: closed an open fence");
    view.handle({ type: "final-answer", answer: 2, source: "final_answer" });
    expect(answer.querySelector("h2")?.textContent).toBe("Answer");
    expect(answer.querySelector(".answer-text")?.textContent).toBe("2");
    view.handle({ type: "error", step: 2, message: "engine went away" });
    expect(trace.querySelector(".run-error")?.textContent).toBe("Error in step 2: engine went away");
  });

  it("shows Stop as a plain note, not as an error", () => {
    view.handle({ type: "stopped", step: 3 });
    expect(trace.querySelector(".run-stopped")?.textContent).toBe("Stopped during step 3.");
    expect(trace.querySelector(".run-error")).toBeNull();
    expect(trace.querySelector("[role=alert]")).toBeNull();
  });
});

const SEARCH_LOGS = `${formatRetrievedDocuments([
  {
    id: 7,
    score: 39.77,
    title: "Tinted Windows (band)",
    text: "Their first performance was in Tulsa,\nOklahoma.",
  },
  { id: 9, score: 20.5, title: "Tinted Windows (album)", text: "The debut album." },
])}\n`;
const ENGINE: EngineInfo = { kind: "webllm", label: "student", isReplay: false, supportsN: false };

/** A two-step run told as events: a search whose passages name the answer, then final_answer. */
function searchThenAnswer(): void {
  view.handle({ type: "run-start", question: "Where?", task: "Where?", engine: ENGINE, maxSteps: 5 });
  view.handle({ type: "step-start", step: 1 });
  view.handle({
    type: "action",
    step: 1,
    thought: "Look it up.",
    code: 'print(web_search("Tinted Windows first performance"))',
    repairs: [],
  });
  view.handle({
    type: "observation",
    step: 1,
    text: `Execution logs:\n${SEARCH_LOGS}Last output from code snippet:\nNone`,
    execution: { logs: SEARCH_LOGS, output: "None", isFinalAnswer: false, durationMs: 1 },
  });
  view.handle({ type: "step-start", step: 2 });
  view.handle({ type: "action", step: 2, thought: "Tulsa.", code: 'final_answer("Tulsa")', repairs: [] });
  view.handle({
    type: "observation",
    step: 2,
    text: "Execution logs:\n\nLast output from code snippet:\nTulsa",
    execution: { logs: "", output: "Tulsa", isFinalAnswer: true, finalAnswer: "Tulsa", durationMs: 1 },
  });
  view.handle({ type: "final-answer", answer: "Tulsa", source: "final_answer" });
}

describe("TraceView: a trace people read", () => {
  it("puts each step in a collapsible card, retrieved passages in cards with their titles, and highlights the code", async () => {
    searchThenAnswer();
    const cards = [...trace.querySelectorAll<HTMLDetailsElement>("details.step")];
    expect(cards.map((c) => [c.id, c.open, c.querySelector("summary")?.textContent])).toEqual([
      [stepId(1), true, "Step 1searches “Tinted Windows first performance”; 2 passages"],
      [stepId(2), true, "Step 2gives the final answer"],
    ]);
    const passages = [...cards[0]!.querySelectorAll<HTMLDetailsElement>("details.passage")];
    expect(passages.map((p) => [p.id, p.querySelector(".passage-title")?.textContent, p.open])).toEqual([
      [passageId(1, 0), "Tinted Windows (band)", false],
      [passageId(1, 1), "Tinted Windows (album)", false],
    ]);
    expect(passages[0]!.querySelector(".passage-text")?.textContent).toBe(
      "Their first performance was in Tulsa,\nOklahoma.",
    );
    // The observation as fed back stays available, one click away.
    expect(cards[0]!.querySelector(".observation .observation-text pre")?.textContent).toContain(
      "===== Document 0, similarity: 39.77 =====",
    );
    const code = cards[0]!.querySelector<HTMLElement>("pre.code")!;
    await vi.waitFor(() => expect(code.dataset["highlighted"]).toBe("python"));
    expect(code.textContent).toBe('print(web_search("Tinted Windows first performance"))');
    expect(code.querySelector(".hljs-string")?.textContent).toBe('"Tinted Windows first performance"');
    expect([...code.querySelectorAll("*")].every((el) => el.tagName === "SPAN")).toBe(true);
  });

  it("keeps model code as text when highlighting it: markup in a string stays characters", async () => {
    view.handle({ type: "run-start", question: "q", task: "q", engine: ENGINE, maxSteps: 1 });
    view.handle({ type: "step-start", step: 1 });
    const evil = 'print("<img src=x onerror=alert(1)></pre><script>x()</script>")';
    view.handle({ type: "action", step: 1, thought: "", code: evil, repairs: [] });
    const code = trace.querySelector<HTMLElement>("pre.code")!;
    await vi.waitFor(() => expect(code.dataset["highlighted"]).toBeDefined());
    expect(code.textContent).toBe(evil);
    expect(trace.querySelector("img, script")).toBeNull();
  });

  it("links the answer to the step that gave it and the passages that contain it; a link opens its card", () => {
    searchThenAnswer();
    const testid = answer.querySelector('[data-testid="answer"]');
    expect(testid?.textContent).toBe("Tulsa");
    const links = [...answer.querySelectorAll<HTMLAnchorElement>(".answer-sources a")];
    expect(links.map((a) => [a.getAttribute("href"), a.textContent])).toEqual([
      [`#${stepId(2)}`, "step 2"],
      [`#${passageId(1, 0)}`, "“Tinted Windows (band)” (step 1)"],
    ]);
    const passage = document.getElementById(passageId(1, 0)) as HTMLDetailsElement;
    const card = document.getElementById(stepId(1)) as HTMLDetailsElement;
    card.open = false;
    links[1]!.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true }));
    expect([passage.open, card.open]).toEqual([true, true]);
  });

  it("shows the raw protocol text behind toggles once the run ends", async () => {
    const engine = new ReplayEngine([step('print("hi")'), step('final_answer("ok")')]);
    await runAgent("Raw?", { engine, executor: new TinyExecutor(), onEvent: view.handle });
    const raw = trace.querySelector<HTMLDetailsElement>('.step[data-step="1"] details.raw')!;
    expect(raw.open).toBe(false);
    const texts = [...raw.querySelectorAll("pre.raw-text")].map((p) => p.textContent);
    expect(texts[0]).toBe(step('print("hi")'));
    expect(texts[1]).toMatch(/^Call id: call_1\nObservation:\nExecution logs:\nhi\n/);
    const whole = trace.querySelector(".raw-conversation")!;
    expect(whole.querySelector("summary")?.textContent).toMatch(/whole run \(\d+ messages/);
    expect(whole.querySelector("pre")?.textContent).toMatch(/^\[system\]\n/);
  });

  it("redraws a saved trajectory as the live run drew it, saying where it came from", async () => {
    const engine = new ReplayEngine([step('print("Paris")'), step('final_answer("Paris")')]);
    const trajectory = await runAgent("Capital?", {
      engine,
      executor: new TinyExecutor(),
      onEvent: view.handle,
    });
    const live = shape(trace, answer);
    trace.replaceChildren();
    view.show(trajectory, "reopened from history");
    expect(shape(trace, answer)).toEqual(live);
    expect(trace.querySelector(".run-header")?.textContent).toMatch(/\(reopened from history\)$/);
    expect(banner.hidden).toBe(false);
  });

  it("shows a follow-up's earlier questions and answers above its steps, live and reopened", async () => {
    const first = await runAgent("Capital?", {
      engine: new ReplayEngine([step('final_answer("Paris")')]),
      executor: new TinyExecutor(),
    });
    const followUp = await runAgent("Population?", {
      engine: new ReplayEngine([step('final_answer("2 million")')]),
      executor: new TinyExecutor(),
      thread: threadAfter(first),
      onEvent: view.handle,
    });
    const earlier = () =>
      [...trace.querySelectorAll(".thread li")].map((li) => [
        li.querySelector(".thread-question")?.textContent,
        li.querySelector(".thread-answer")?.textContent,
      ]);
    expect(earlier()).toEqual([["Capital?", "Paris"]]);
    expect(trace.querySelector(".run-header")?.textContent).toMatch(/following up 1 earlier question$/);
    trace.replaceChildren();
    view.show(followUp, "reopened");
    expect(earlier()).toEqual([["Capital?", "Paris"]]);
  });
});

/** What a trace shows, without the highlighting's spans. */
function shape(traceEl: HTMLElement, answerEl: HTMLElement) {
  return {
    steps: [...traceEl.querySelectorAll<HTMLElement>(".step")].map((s) => ({
      summary: s.querySelector("summary")?.textContent,
      code: s.querySelector("pre.code")?.textContent,
      observation: s.querySelector(".observation")?.textContent,
      raw: s.querySelector(".raw")?.textContent,
    })),
    status: traceEl.querySelector(".run-status")?.textContent,
    answer: answerEl.textContent,
  };
}

describe("ProgressBar", () => {
  it("shows determinate and indeterminate progress, completion and failure", () => {
    document.body.innerHTML = `<div id="p" hidden><progress max="1"></progress><span class="l"></span></div>`;
    const root = document.getElementById("p")!;
    const bar = root.querySelector("progress")!;
    const progress = new ProgressBar(root, bar, root.querySelector<HTMLElement>(".l")!);
    progress.update(0.25, "Downloading");
    expect(root.hidden).toBe(false);
    expect(bar.value).toBe(0.25);
    expect(root.dataset["state"]).toBe("busy");
    progress.update(undefined, "Checking");
    expect(bar.hasAttribute("value")).toBe(false);
    progress.done("Ready");
    expect([root.dataset["state"], bar.value, root.textContent]).toEqual(["done", 1, "Ready"]);
    progress.fail("Broken");
    expect(root.dataset["state"]).toBe("failed");
    expect(formatBytes(1337427)).toBe("1.3 MiB");
    expect(formatBytes(512)).toBe("512 B");
  });
});
