// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from "vitest";
import { runAgent } from "../../src/agent/loop.ts";
import type { CandidateResult, ExecutionResult, Executor } from "../../src/exec/executor.ts";
import type { EngineInfo } from "../../src/llm/engine.ts";
import { ReplayEngine } from "../../src/llm/replay/replay-engine.ts";
import { formatBytes, ProgressBar } from "../../src/ui/progress-bar.ts";
import { TraceView } from "../../src/ui/trace-view.ts";

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
    expect(groups).toEqual([
      ['2 votes for "Paris\\n" (#0, #2)', "winner"],
      ['1 vote for "Lyon\\n" (#1)', ""],
    ]);
    const candidates = [...sag.querySelectorAll<HTMLElement>(".candidate")];
    expect(candidates.map((c) => c.querySelector("summary")?.textContent)).toEqual([
      '#0 (chosen): output "Paris\\n"',
      '#1: output "Lyon\\n"',
      '#2: output "Paris\\n"',
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
