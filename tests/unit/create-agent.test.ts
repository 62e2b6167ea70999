/**
 * createAgent (the library's front door) with fakes: a replayed model and an executor that only
 * understands final_answer(...). What it adds over runAgent: executor lifetime, one question at a time,
 * the shard deciding whether web_search is offered.
 */
import { describe, expect, it } from "vitest";
import { createAgent } from "../../src/agent/create-agent.ts";
import { ReplayEngine } from "../../src/llm/replay/replay-engine.ts";
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
});
