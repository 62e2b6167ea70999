/**
 * The page's use case without the page: the engine, the shard and the Python executor a question runs
 * with (each kept between questions while the settings allow), and the run itself. DOM-free, so it is
 * unit-tested in Node with fakes (tests/unit/ui-agent-session.test.ts); ui/app.ts turns clicks into
 * calls and shows what the session reports.
 */

import type { AgentEvent } from "../agent/events.ts";
import { threadAfter } from "../agent/follow-up.ts";
import { runAgent } from "../agent/loop.ts";
import { type PromptPack, toolNamesFor } from "../agent/prompt-pack.ts";
import type { Trajectory } from "../agent/trajectory.ts";
import type { Engine } from "../ports/engine.ts";
import type { Executor, ExecutorOptions, ShardSource } from "../ports/executor.ts";
import { formatBytes } from "../util/format-bytes.ts";
import type { EngineRequest, ReplaySource } from "./engines.ts";
import { replaySettings } from "./replay-plan.ts";
import type { EngineChoice, RunSettings, ShardChoice } from "./settings.ts";

/** A shard the page has in memory. */
export interface ActiveShard {
  /** Where it came from; the executor is restarted when it changes. */
  key: string;
  label: string;
  /**
   * Its bytes as a Blob (the picked or stored File itself, or the download wrapped once): the executor
   * hands it to its worker by reference, so restarts copy nothing through the page.
   */
  blob: Blob;
  passages: number;
}

/** What a progress bar of the page can show (ui/progress-bar.ts). */
export interface ProgressSink {
  update(fraction: number | undefined, text: string): void;
  done(text: string): void;
  fail(text: string): void;
}

export interface AgentSessionDeps {
  engines: { get(choice: EngineChoice, request: EngineRequest): Promise<Engine> };
  createExecutor(options: ExecutorOptions): Promise<Executor>;
  /** Downloads a shard by URL, reporting bytes. */
  fetchShard(url: string, onBytes: (loaded: number, total?: number) => void): Promise<Uint8Array>;
  /** Checks a shard's blocks and says how many passages it has; throws a clear error when unusable. */
  checkShard(
    bytes: Uint8Array,
    name: string,
    onBlock: (checked: number, total: number) => void,
  ): Promise<{ passages: number }>;
  /** The prompt pack for an engine choice (a local model may bring its own). */
  packFor(choice: EngineChoice): PromptPack;
  progress: { model: ProgressSink; shard: ProgressSink; python: ProgressSink };
}

export interface RunRequest {
  replay?: ReplaySource;
  /** An earlier run this question follows up: the agent sees that conversation (agent/follow-up.ts). */
  followUpOf?: Trajectory;
  signal: AbortSignal;
  onEvent?: (event: AgentEvent) => void;
}

export class AgentSession {
  /** The shard picked from a file or kept in this browser; `settings.shard.kind === "stored"` uses it. */
  storedShard: ActiveShard | undefined;
  private urlShard: ActiveShard | undefined;
  private executor: { key: string; timeoutMs: number; executor: Promise<Executor> } | undefined;

  constructor(private readonly deps: AgentSessionDeps) {}

  /**
   * Starts Python for these settings before any question, so the first one does not wait for it. A
   * shard named by URL is not downloaded for this: that waits for a question.
   */
  async warmUp(settings: Pick<RunSettings, "shard" | "actionTimeoutMs">): Promise<void> {
    if (settings.shard.kind === "url") return;
    const shard = settings.shard.kind === "stored" ? this.storedShard : undefined;
    await this.executorFor(shard, settings.actionTimeoutMs);
  }

  /**
   * Runs the agent on `question`. The engine and Python start side by side, so a model that does not
   * load, or a server that does not answer, fails without waiting for Python first.
   */
  async run(question: string, form: RunSettings, request: RunRequest): Promise<Trajectory> {
    // A replay runs the recorded question with the recorded n and step budget, or refuses (replay-plan.ts).
    const settings =
      form.engine.kind === "replay" && request.replay ? replaySettings(question, form, request.replay) : form;
    const { progress } = this.deps;
    const local = isLocal(settings.engine);
    const engine = this.deps.engines
      .get(settings.engine, {
        replay: request.replay,
        onModelProgress: (p) => progress.model.update(p.fraction, p.text || "Loading the model…"),
        signal: request.signal,
      })
      .then(
        (loaded) => {
          if (local) progress.model.done(`${loaded.info.label} is loaded.`);
          return loaded;
        },
        (error: unknown) => {
          if (local) progress.model.fail("The model did not load.");
          throw error;
        },
      );
    const shardAndExecutor = this.shardFor(settings.shard).then(async (shard) => ({
      shard,
      executor: await this.executorFor(shard, settings.actionTimeoutMs),
    }));
    // Both are awaited, so neither rejection goes unhandled; the first failure is the one reported.
    const [ready, python] = await Promise.all([engine, shardAndExecutor]);
    request.signal.throwIfAborted();
    const pack = this.deps.packFor(settings.engine);
    // A replayed follow-up runs in the conversation it was recorded in. A replay file picked earlier
    // stays loaded when another engine is chosen; only the replay engine runs it.
    const thread =
      settings.engine.kind === "replay" && request.replay
        ? request.replay.trajectory.thread
        : request.followUpOf && threadAfter(request.followUpOf);
    return runAgent(question, {
      engine: ready,
      executor: python.executor,
      pack,
      maxSteps: settings.maxSteps,
      sampling: {
        n: settings.n,
        ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
      },
      toolNames: toolNamesFor(pack, python.shard !== undefined),
      actionTimeoutMs: settings.actionTimeoutMs,
      signal: request.signal,
      ...(request.onEvent ? { onEvent: request.onEvent } : {}),
      ...(thread ? { thread } : {}),
    });
  }

  private async shardFor(choice: ShardChoice): Promise<ActiveShard | undefined> {
    if (choice.kind === "none") return undefined;
    if (choice.kind === "stored") return this.storedShard;
    if (this.urlShard?.key === `url:${choice.url}`) return this.urlShard;
    const bar = this.deps.progress.shard;
    const bytes = await this.deps
      .fetchShard(choice.url, (loaded, total) =>
        bar.update(total ? loaded / total : undefined, `Downloading ${choice.url}: ${formatBytes(loaded)}`),
      )
      .catch((error: unknown) => {
        bar.fail("The shard did not download.");
        throw error;
      });
    let info: { passages: number };
    try {
      info = await this.deps.checkShard(bytes, choice.url, (checked, total) =>
        bar.update(checked / total, `Checking ${choice.url}: block ${checked} of ${total}`),
      );
    } catch (error) {
      bar.fail("The shard is not usable.");
      throw error;
    }
    this.urlShard = {
      key: `url:${choice.url}`,
      label: choice.url,
      blob: new Blob([bytes as Uint8Array<ArrayBuffer>]),
      passages: info.passages,
    };
    bar.done(`${choice.url}: ${info.passages} passages.`);
    return this.urlShard;
  }

  private async executorFor(shard: ActiveShard | undefined, timeoutMs: number): Promise<Executor> {
    const key = shard?.key ?? "none";
    if (this.executor && this.executor.key === key && this.executor.timeoutMs === timeoutMs) {
      return this.executor.executor;
    }
    const previous = this.executor;
    this.executor = undefined;
    if (previous) void previous.executor.then((e) => e.dispose()).catch(() => {});
    const bar = this.deps.progress.python;
    const source: ShardSource | undefined = shard ? { blob: shard.blob } : undefined;
    bar.update(undefined, "Starting Python (Pyodide)…");
    const executor = this.deps.createExecutor({ timeoutMs, ...(source ? { shard: source } : {}) });
    const entry = { key, timeoutMs, executor };
    this.executor = entry;
    try {
      const ready = await executor;
      bar.done(
        `Python is ready${shard ? `; web_search uses ${shard.label}` : "; no shard, web_search is off"}.`,
      );
      return ready;
    } catch (error) {
      if (this.executor === entry) this.executor = undefined;
      bar.fail("Python did not start.");
      throw error;
    }
  }
}

/** Engines whose model loads in this tab (with the model progress bar). */
export function isLocal(choice: EngineChoice): boolean {
  return choice.kind === "webllm" || choice.kind === "wllama";
}
