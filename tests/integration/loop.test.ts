/** The loop's control flow against real Pyodide: events, budget, cancellation, engine failure. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentEvent } from "../../src/agent/events.ts";
import { runAgent } from "../../src/agent/loop.ts";
import { parseTrajectory } from "../../src/agent/trajectory.ts";
import { createNodeExecutor, type Executor } from "../../src/exec/index.ts";
import { ReplayEngine } from "../../src/llm/replay/replay-engine.ts";

let executor: Executor;
beforeAll(async () => {
  executor = await createNodeExecutor({});
});
afterAll(async () => {
  await executor?.dispose();
});

const step = (code: string) => `Thought: next.\nCode:\n\`\`\`py\n${code}\n\`\`\``;

describe("agent loop", () => {
  it("emits the event stream in order and records a valid trajectory", async () => {
    const events: AgentEvent[] = [];
    const engine = new ReplayEngine([step("a = 2\nprint(a)"), step("final_answer(a * 21)")]);
    const trajectory = await runAgent("q", { engine, executor, onEvent: (e) => events.push(e) });
    expect(events.filter((e) => e.type !== "token").map((e) => e.type)).toEqual([
      "run-start",
      "step-start",
      "action",
      "observation",
      "step-start",
      "action",
      "observation",
      "final-answer",
      "run-end",
    ]);
    expect(events.some((e) => e.type === "token")).toBe(true);
    const json = JSON.stringify(trajectory);
    expect(parseTrajectory(json)).toEqual(JSON.parse(json));
    expect(trajectory.answer).toBe(42);
    expect(trajectory.steps[0]!.timings.executionMs).toBeGreaterThan(0);
    // The conversation ends with the final step's observation.
    expect(trajectory.messages.at(-1)!.content).toBe(
      "Call id: call_2\nObservation:\nExecution logs:\nLast output from code snippet:\n42",
    );
  });

  it("stops when cancelled, keeping what was done", async () => {
    const controller = new AbortController();
    const engine = new ReplayEngine([step("print(1)"), step("print(2)"), step("final_answer(3)")]);
    const trajectory = await runAgent("q", {
      engine,
      executor,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === "observation" && e.step === 1) controller.abort();
      },
    });
    expect(trajectory.status).toBe("aborted");
    expect(trajectory.error).toBe("run cancelled");
    expect(trajectory.steps).toHaveLength(1);
    expect(engine.remaining).toBe(2);
  });

  it("treats Stop during an action as a stop, not an error: no error event, no error fed back", async () => {
    const controller = new AbortController();
    const engine = new ReplayEngine([
      step("print(1)"),
      step("import time\ntime.sleep(30)"),
      step("final_answer(3)"),
    ]);
    const events: AgentEvent[] = [];
    const trajectory = await runAgent("q", {
      engine,
      executor,
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        // Stop pressed as step 2 starts to execute.
        if (e.type === "action" && e.step === 2) controller.abort();
      },
    });
    expect(trajectory.status).toBe("aborted");
    expect(events.some((e) => e.type === "error")).toBe(false);
    expect(events.filter((e) => e.type === "stopped")).toEqual([{ type: "stopped", step: 2 }]);
    expect(events.filter((e) => e.type === "observation").map((e) => e.step)).toEqual([1]);
    expect(trajectory.steps).toHaveLength(1);
    expect(JSON.stringify(trajectory.messages)).not.toContain("retry");
  });

  it("ends with status failed and the engine's message when generation fails", async () => {
    const engine = new ReplayEngine([step("print(1)")]);
    const trajectory = await runAgent("q", { engine, executor });
    expect(trajectory.status).toBe("failed");
    expect(trajectory.error).toMatch(/replay exhausted: call 2 asked for 1 completion/);
    expect(trajectory.steps).toHaveLength(1);
  });

  it("keeps going after a runaway action times out", async () => {
    const engine = new ReplayEngine([step("while True:\n    pass"), step("final_answer('after timeout')")]);
    const trajectory = await runAgent("q", { engine, executor, actionTimeoutMs: 1000 });
    expect(trajectory.steps[0]!.execution!.error!.type).toBe("TimeoutError");
    expect(trajectory.steps[0]!.observation).toMatch(/^Call id: call_1\nError:\n/);
    expect(trajectory.answer).toBe("after timeout");
  });
});

describe("trajectory files", () => {
  it("rejects what is not a trajectory, naming the problem", () => {
    expect(() => parseTrajectory("{not json")).toThrow(/not valid JSON/);
    expect(() => parseTrajectory({ schema: "pocket-agent/trajectory", version: 9 })).toThrow(
      /version 9 is not supported/,
    );
    expect(() => parseTrajectory({ schema: "pocket-agent/trajectory", version: 1, question: 3 })).toThrow(
      /not a pocket-agent trajectory: createdAt/,
    );
  });
});
