/**
 * createAgent (the library's front door) with fakes: a replayed model and an executor that only
 * understands final_answer(...). What it adds over runAgent: executor lifetime, one question at a time,
 * the shard deciding whether web_search is offered.
 */
import { describe, expect, it } from "vitest";
import { createAgent } from "../../src/agent/create-agent.ts";
import { threadAfter } from "../../src/agent/follow-up.ts";
import { parseTrajectory } from "../../src/agent/trajectory.ts";
import { ReplayEngine } from "../../src/llm/replay/replay-engine.ts";
import type { ChatMessage } from "../../src/ports/engine.ts";
import type { ExecutionResult, Executor, ExecutorOptions } from "../../src/ports/executor.ts";

const ANSWER = "Thought: compute.\n```py\nfinal_answer(392)\n```<end_code>";

function fakeExecutor() {
  const state = { disposed: false, running: 0, peak: 0, runs: 0 };
  const run = async (code: string): Promise<ExecutionResult> => {
    state.runs++;
    state.peak = Math.max(state.peak, ++state.running);
    await new Promise((r) => setTimeout(r, 5));
    state.running--;
    const answer = /final_answer\((.*)\)/.exec(code)?.[1];
    return {
      logs: "",
      output: answer ?? "None",
      isFinalAnswer: answer !== undefined,
      ...(answer !== undefined ? { finalAnswer: JSON.parse(answer) } : {}),
      durationMs: 1,
    };
  };
  const executor: Executor = {
    reset: async () => {},
    run,
    runCandidate: async (code) => ({ ...(await run(code)), candidateId: 0, reused: false }),
    commitCandidate: async () => {},
    discardCandidates: async () => {},
    dispose: async () => {
      state.disposed = true;
    },
  };
  return { executor, state };
}

describe("createAgent", () => {
  it("answers with a ready executor, and leaves that executor to its owner", async () => {
    const { executor, state } = fakeExecutor();
    const agent = createAgent({ engine: new ReplayEngine([ANSWER]), executor });
    const trajectory = await agent.ask("What is 17*23+1?");
    expect(trajectory).toMatchObject({ status: "answered", answer: 392, question: "What is 17*23+1?" });
    await agent.dispose();
    expect(state.disposed).toBe(false);
  });

  it("starts an executor from a factory on the first question, with the shard, once, and ends it on dispose", async () => {
    const { executor, state } = fakeExecutor();
    const calls: ExecutorOptions[] = [];
    const agent = createAgent({
      engine: new ReplayEngine([ANSWER, ANSWER]),
      executor: async (options) => {
        calls.push(options);
        return executor;
      },
      shard: { path: "shard" },
    });
    expect(calls).toHaveLength(0);
    await agent.ask("one");
    await agent.ask("two");
    expect(calls).toEqual([{ shard: { path: "shard" } }]);
    await agent.dispose();
    expect(state.disposed).toBe(true);
    await expect(agent.ask("three")).rejects.toThrow(/disposed/);
  });

  it("answers questions asked together one after another (one executor holds one episode)", async () => {
    const { executor, state } = fakeExecutor();
    const agent = createAgent({ engine: new ReplayEngine([ANSWER, ANSWER, ANSWER]), executor });
    const answers = await Promise.all(["a", "b", "c"].map((q) => agent.ask(q)));
    expect(answers.map((t) => t.question)).toEqual(["a", "b", "c"]);
    expect(state.runs).toBe(3);
    expect(state.peak).toBe(1);
  });

  it("answers the questions asked before dispose(), then ends the executor", async () => {
    const { executor, state } = fakeExecutor();
    const agent = createAgent({ engine: new ReplayEngine([ANSWER, ANSWER]), executor: async () => executor });
    const asked = [agent.ask("a"), agent.ask("b")];
    const disposed = agent.dispose();
    expect((await Promise.all(asked)).map((t) => t.status)).toEqual(["answered", "answered"]);
    await disposed;
    expect(state.disposed).toBe(true);
  });

  it("offers web_search only with a shard, as the CLI does", async () => {
    const systemPrompt = async (shard: boolean) => {
      const engine = new ReplayEngine([ANSWER]);
      const { executor } = fakeExecutor();
      const agent = createAgent({
        engine,
        executor: async () => executor,
        ...(shard ? { shard: { url: "/shard.pas" } } : {}),
      });
      await agent.ask("q");
      return engine.requests[0]!.messages[0]!.content;
    };
    expect(await systemPrompt(true)).toContain("web_search");
    expect(await systemPrompt(false)).not.toContain("web_search");
  });

  it("rejects when the executor cannot start, and tries again on the next question", async () => {
    const { executor } = fakeExecutor();
    let attempts = 0;
    const agent = createAgent({
      engine: new ReplayEngine([ANSWER]),
      executor: async () => {
        if (++attempts === 1) throw new Error("no Pyodide here");
        return executor;
      },
    });
    await expect(agent.ask("q")).rejects.toThrow("no Pyodide here");
    expect((await agent.ask("q")).answer).toBe(392);
  });

  it("passes n (SAG) and the step budget to the loop, and stops on the signal", async () => {
    const { executor } = fakeExecutor();
    const engine = new ReplayEngine([ANSWER, ANSWER, ANSWER]);
    const agent = createAgent({ engine, executor, n: 3, maxSteps: 2 });
    const trajectory = await agent.ask("q");
    expect(trajectory.settings).toMatchObject({ n: 3, maxSteps: 2 });
    expect(trajectory.steps[0]!.vote?.generated).toBe(3);
    const stopped = await agent.ask("q", { signal: AbortSignal.abort() });
    expect(stopped.status).toBe("aborted");
  });

  it("answers a follow-up in the same conversation: earlier tasks, steps and answer, then a new task (smolagents run(reset=False))", async () => {
    const { executor } = fakeExecutor();
    const ran: string[] = [];
    const run = executor.run;
    executor.run = (code, options) => {
      ran.push(code);
      return run(code, options);
    };
    const step1 = "Thought: multiply.\n```py\nx = 17*23\n```<end_code>";
    const step2 = "Thought: add.\n```py\nfinal_answer(392)\n```<end_code>";
    const step3 = "Thought: double.\n```py\nfinal_answer(784)\n```<end_code>";
    const engine = new ReplayEngine([step1, step2, step3]);
    const requests: ChatMessage[][] = [];
    const generate = engine.generate.bind(engine);
    engine.generate = (request) => {
      requests.push(request.messages);
      return generate(request);
    };
    const agent = createAgent({ engine, executor });
    const first = await agent.ask("What is 17*23+1?");
    const second = await agent.ask("And twice that?", { followUpOf: first });
    expect(second).toMatchObject({ status: "answered", answer: 784 });
    const [system, ...rest] = requests[2]!;
    expect(system).toEqual(requests[0]![0]);
    const obs = (step: number, output: string) =>
      `Call id: call_${step}\nObservation:\nExecution logs:\nLast output from code snippet:\n${output}`;
    // Roles alternate once merged: the answer's observation and the new task share one user message.
    expect(rest).toEqual([
      { role: "user", content: `New task:\n${first.task}` },
      { role: "assistant", content: first.steps[0]!.assistant },
      { role: "user", content: obs(1, "None") },
      { role: "assistant", content: first.steps[1]!.assistant },
      { role: "user", content: `${obs(2, "392")}New task:\n${second.task}` },
    ]);
    expect(second.steps[0]!.observation).toBe(obs(1, "784"));
    expect(second.thread?.turns).toEqual([{ question: "What is 17*23+1?", answer: 392, status: "answered" }]);
    // The namespace is rebuilt before the follow-up's first action: the earlier actions run again.
    expect(ran).toEqual([
      "x = 17*23",
      "final_answer(392)",
      "x = 17*23",
      "final_answer(392)",
      "final_answer(784)",
    ]);
    // A follow-up of the follow-up carries both earlier questions.
    const third = threadAfter(second);
    expect(third.turns.map((t) => t.question)).toEqual(["What is 17*23+1?", "And twice that?"]);
    expect(third.messages.filter((m) => m.content.startsWith("New task:"))).toHaveLength(2);
    expect(parseTrajectory(JSON.stringify(second))).toEqual(second);
  });

  it("keeps a budget-exhausted answer in a follow-up as the reference's memory does: the final-answer request and its reply", async () => {
    const { executor } = fakeExecutor();
    const step = "Thought: multiply.\n```py\nx = 17*23\n```<end_code>";
    const engine = new ReplayEngine([step, "392", step, "784"]);
    const requests: ChatMessage[][] = [];
    const generate = engine.generate.bind(engine);
    engine.generate = (request) => {
      requests.push(request.messages);
      return generate(request);
    };
    const agent = createAgent({ engine, executor, maxSteps: 1 });
    const first = await agent.ask("What is 17*23+1?");
    expect(first.status).toBe("fallback");
    await agent.ask("And twice that?", { followUpOf: first });
    const followUp = requests[2]!;
    expect(followUp.map((m) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "user",
      "system",
      "user",
      "assistant",
      "user",
      "assistant",
      "user",
    ]);
    expect(followUp.slice(4, 8)).toEqual(first.fallback!.messages);
    expect(followUp.slice(-2)).toEqual([
      { role: "assistant", content: "392" },
      { role: "user", content: "New task:\nAnd twice that?" },
    ]);
  });
});
