/**
 * The library's front door: an agent object over the one loop (loop.ts), for apps that embed pocket-agent.
 * It adds only what a long-lived object needs and a single runAgent() call does not: the executor is
 * created once (lazily, from a factory) and reused across questions, questions are answered one at a
 * time (an executor holds one episode), and dispose() ends what the agent started.
 */

import type { Engine } from "../ports/engine.ts";
import type { Executor, ExecutorOptions, ShardSource } from "../ports/executor.ts";
import type { AgentEventListener } from "./events.ts";
import { threadAfter } from "./follow-up.ts";
import { runAgent } from "./loop.ts";
import { DEFAULT_PACK } from "./packs/default-pack.ts";
import { type PromptPack, toolNamesFor } from "./prompt-pack.ts";
import type { Trajectory } from "./trajectory.ts";

/** Makes an executor, e.g. createNodeExecutor (pocket-agent/node) or createBrowserExecutor (pocket-agent/browser). */
export type ExecutorFactory = (options: ExecutorOptions) => Promise<Executor>;

export interface CreateAgentOptions {
  engine: Engine;
  /**
   * Where the model's Python runs. A factory is called once, on the first question, with the shard; the
   * agent then owns that executor and dispose() ends it. A ready Executor stays yours (you dispose it),
   * and must have been created with the same shard.
   */
  executor: Executor | ExecutorFactory;
  /** The Wikipedia shard behind `web_search`; without one the tool is left out of the prompt, as in the CLI. */
  shard?: ShardSource;
  /** Prompt pack (default: the built-in pack); load a YAML one with loadPromptPack. */
  pack?: PromptPack;
  /** Candidate actions per step: 1 (default) samples one; more votes among them (SAG). */
  n?: number;
  /** Step budget (default 5, as in the reference evaluation). */
  maxSteps?: number;
}

export interface AskOptions {
  /** Stops the run: ask() then resolves with a trajectory whose status is "aborted". */
  signal?: AbortSignal;
  /** Every step as it happens (the CLI's trace and the page render from these). */
  onEvent?: AgentEventListener;
  /**
   * A trajectory this question follows up (an earlier ask()'s result): the run sees that conversation,
   * its questions, steps and answers, and the Python variables it left (follow-up.ts).
   */
  followUpOf?: Trajectory;
}

export interface Agent {
  /**
   * Answers one question. Resolves with the trajectory: `answer` and `status` ("answered", "fallback" when
   * the step budget ran out, "failed" or "aborted" with `error`). Rejects only when the executor cannot be
   * created. Questions asked together are answered one after another.
   */
  ask(question: string, options?: AskOptions): Promise<Trajectory>;
  /** Ends the executor the agent created from a factory; the engine and a given executor stay the caller's. */
  dispose(): Promise<void>;
}

export function createAgent(options: CreateAgentOptions): Agent {
  const { engine, shard } = options;
  const pack = options.pack ?? DEFAULT_PACK;
  const factory = typeof options.executor === "function" ? options.executor : undefined;
  let executor: Promise<Executor> | undefined = factory
    ? undefined
    : Promise.resolve(options.executor as Executor);
  const toolNames = toolNamesFor(pack, Boolean(shard));
  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;

  const executorNow = (): Promise<Executor> => {
    if (!executor) {
      executor = factory!(shard ? { shard } : {});
      // A failed start is not kept: the next question tries again and reports its own error.
      executor.catch(() => {
        executor = undefined;
      });
    }
    return executor;
  };

  const answer = async (question: string, ask: AskOptions): Promise<Trajectory> =>
    runAgent(question, {
      engine,
      executor: await executorNow(),
      pack,
      maxSteps: options.maxSteps,
      sampling: { n: options.n ?? 1 },
      toolNames,
      signal: ask.signal,
      onEvent: ask.onEvent,
      ...(ask.followUpOf ? { thread: threadAfter(ask.followUpOf) } : {}),
    });

  return {
    ask(question, ask = {}) {
      if (disposed) return Promise.reject(new Error("createAgent: this agent was disposed"));
      const run = queue.then(() => answer(question, ask));
      queue = run.catch(() => undefined);
      return run;
    },
    async dispose() {
      disposed = true;
      // Questions asked before are answered first: their runs still need the executor.
      await queue;
      if (factory && executor) await (await executor.catch(() => undefined))?.dispose();
      executor = undefined;
    },
  };
}
