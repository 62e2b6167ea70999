/**
 * The page's AgentSession (src/ui/agent-session.ts) in Node, without a DOM: fakes stand for the engine
 * provider, the executor factory, the shard download and the progress bars. The engine is a
 * ReplayEngine playing hand-written completions; the executor answers from a table.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_PACK } from "../../src/agent/packs/default-pack.ts";
import { ReplayEngine } from "../../src/llm/replay/replay-engine.ts";
import type { Engine } from "../../src/ports/engine.ts";
import type { Executor, ExecutorOptions } from "../../src/ports/executor.ts";
import { type ActiveShard, AgentSession, type AgentSessionDeps } from "../../src/ui/agent-session.ts";
import type { RunSettings } from "../../src/ui/settings.ts";

const ANSWER = 'Thought: done.\nCode:\n```py\nfinal_answer("42")\n```';

function settings(overrides: Partial<RunSettings> = {}): RunSettings {
  return {
    engine: { kind: "replay" },
    shard: { kind: "none" },
    maxSteps: 3,
    n: 1,
    actionTimeoutMs: 5000,
    ...overrides,
  };
}

/** An executor whose final_answer call ends the run with "42". */
function fakeExecutor(log: string[], options: ExecutorOptions): Executor {
  log.push(`executor started${options.shard ? " with a shard" : ""}`);
  return {
    reset: async () => {},
    run: async () => ({ output: "42", logs: "", isFinalAnswer: true, finalAnswer: "42", durationMs: 1 }),
    runCandidate: async () => {
      throw new Error("not used");
    },
    commitCandidate: async () => {},
    discardCandidates: async () => {},
    dispose: async () => {
      log.push("executor disposed");
    },
  };
}

function bar(name: string, log: string[]) {
  return {
    update: (_fraction: number | undefined, text: string) => log.push(`${name}: ${text}`),
    done: (text: string) => log.push(`${name} done: ${text}`),
    fail: (text: string) => log.push(`${name} failed: ${text}`),
  };
}

function session(overrides: Partial<AgentSessionDeps> = {}) {
  const log: string[] = [];
  const deps: AgentSessionDeps = {
    engines: { get: async () => new ReplayEngine([ANSWER], "test") as Engine },
    createExecutor: async (options) => fakeExecutor(log, options),
    fetchShard: async () => new Uint8Array([1, 2, 3]),
    checkShard: async () => ({ passages: 7 }),
    packFor: () => DEFAULT_PACK,
    progress: { model: bar("model", log), shard: bar("shard", log), python: bar("python", log) },
    ...overrides,
  };
  return { session: new AgentSession(deps), log };
}

/** A session whose every engine answers ANSWER and records the messages of each request it gets. */
function recordingSession() {
  const requests: string[][] = [];
  const { session: s } = session({
    engines: {
      get: async () => {
        const engine = new ReplayEngine([ANSWER], "test");
        const generate = engine.generate.bind(engine);
        engine.generate = (request) => {
          requests.push(request.messages.map((m) => m.content));
          return generate(request);
        };
        return engine;
      },
    },
  });
  return { session: s, requests };
}

describe("AgentSession", () => {
  it("runs a question and keeps the executor for the next one with the same settings", async () => {
    const { session: s, log } = session();
    const first = await s.run("q?", settings(), { signal: new AbortController().signal });
    expect(first.answer).toBe("42");
    await s.run("q again?", settings(), { signal: new AbortController().signal });
    expect(log.filter((l) => l.startsWith("executor started"))).toHaveLength(1);
    expect(log).toContain("python done: Python is ready; no shard, web_search is off.");
  });

  it("runs a follow-up in the earlier run's conversation, and a replay of it in the recorded one", async () => {
    const { session: s, requests } = recordingSession();
    const signal = new AbortController().signal;
    const first = await s.run("q?", settings(), { signal });
    const second = await s.run("and then?", settings(), { signal, followUpOf: first });
    expect(second.thread?.turns).toEqual([{ question: "q?", answer: "42", status: "answered" }]);
    expect(requests[1]![1]).toBe("New task:\nq?");
    expect(requests[1]!.at(-1)).toMatch(/Last output from code snippet:\n42New task:\nand then\?$/);
    const replayed = await s.run("and then?", settings(), {
      signal,
      replay: { trajectory: second, name: "second.json" },
    });
    expect(replayed.thread).toEqual(second.thread);
    expect(requests[2]).toEqual(requests[1]);
  });

  it("runs a follow-up with another engine in its own conversation while a replay file is still loaded", async () => {
    const { session: s, requests } = recordingSession();
    const signal = new AbortController().signal;
    const openai = settings({
      engine: { kind: "openai", baseUrl: "http://127.0.0.1:1/v1", model: "m", apiKey: "" },
    });
    const loaded = await s.run("q?", settings(), { signal });
    const first = await s.run("q?", openai, { signal });
    const replay = { trajectory: loaded, name: "loaded.json" };
    const second = await s.run("and then?", openai, { signal, replay, followUpOf: first });
    expect(second.thread?.turns).toEqual([{ question: "q?", answer: "42", status: "answered" }]);
    expect(requests[2]![1]).toBe("New task:\nq?");
  });

  it("starts Python on warm-up, so the first question reuses it", async () => {
    const { session: s, log } = session();
    await s.warmUp(settings());
    expect(log).toContain("executor started");
    await s.run("q?", settings(), { signal: new AbortController().signal });
    expect(log.filter((l) => l.startsWith("executor started"))).toHaveLength(1);
  });

  it("restarts Python when the shard changes, and disposes the old executor", async () => {
    const { session: s, log } = session();
    await s.run("q?", settings(), { signal: new AbortController().signal });
    const shard: ActiveShard = { key: "file:a", label: "a.pas", blob: new Blob(["x"]), passages: 3 };
    s.storedShard = shard;
    await s.run("q?", settings({ shard: { kind: "stored" } }), { signal: new AbortController().signal });
    expect(log).toContain("executor started with a shard");
    expect(log).toContain("executor disposed");
  });

  it("downloads a shard by URL once, and reports an unusable one on the shard bar", async () => {
    let downloads = 0;
    const { session: s, log } = session({
      fetchShard: async () => {
        downloads++;
        return new Uint8Array([1]);
      },
    });
    const byUrl = settings({ shard: { kind: "url", url: "https://example.org/s.pas" } });
    await s.run("q?", byUrl, { signal: new AbortController().signal });
    await s.run("q?", byUrl, { signal: new AbortController().signal });
    expect(downloads).toBe(1);
    expect(log).toContain("shard done: https://example.org/s.pas: 7 passages.");

    const broken = session({
      checkShard: async () => {
        throw new Error("not a shard");
      },
    });
    await expect(broken.session.run("q?", byUrl, { signal: new AbortController().signal })).rejects.toThrow(
      "not a shard",
    );
    expect(broken.log).toContain("shard failed: The shard is not usable.");
  });

  it("fails on an engine that does not load without waiting for Python to start", async () => {
    let releasePython: () => void = () => {};
    const pythonGate = new Promise<void>((resolve) => {
      releasePython = resolve;
    });
    const { session: s, log } = session({
      engines: {
        get: async () => {
          throw new Error("cannot reach http://127.0.0.1:9/v1");
        },
      },
      createExecutor: async (options) => {
        await pythonGate;
        return fakeExecutor(log, options);
      },
    });
    const run = s.run("q?", settings({ engine: { kind: "wllama", modelId: "micro" } }), {
      signal: new AbortController().signal,
    });
    // Python is still starting: the run must already have failed on the engine.
    const outcome = await Promise.race([
      run.then(
        () => "answered",
        (error: Error) => error.message,
      ),
      new Promise((resolve) => setTimeout(() => resolve("still waiting"), 200)),
    ]);
    releasePython();
    expect(outcome).toBe("cannot reach http://127.0.0.1:9/v1");
    expect(log).toContain("model failed: The model did not load.");
  });
});
