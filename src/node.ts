/**
 * `pocket-agent/node`: the parts that need Node. The Python executor in its sandboxed process, shards
 * read from disk, and llama.cpp running a GGUF file in this process. See docs/embedding.md.
 */
import { resolve } from "node:path";
import {
  createNodeExecutor as createSandboxedExecutor,
  type NodeExecutorOptions,
} from "./exec/node/node-executor.ts";
import type { Executor, ShardSource } from "./ports/executor.ts";
import { openShardFrom } from "./retrieval/open-shard.ts";
import type { OpenShardOptions, Shard, ShardInfo } from "./retrieval/shard-reader.ts";

export type { LlamaCppEngine } from "./llm/llamacpp/llamacpp-engine.ts";
export { type LlamaCppLoadOptions, loadLlamaCppEngine } from "./llm/llamacpp/load.ts";
export type { NodeExecutorOptions, OpenShardOptions, Shard, ShardInfo };

/** A shard opened from disk: searchable here, and usable as `shard` for createAgent and createNodeExecutor. */
export interface LocalShard extends Shard {
  /** Absolute path of the shard (its folder or file), what the sandbox process reads. */
  readonly path: string;
}

/**
 * The Python executor for Node: Pyodide in a child process under Node's permission model (no network, no
 * files but its own, no child processes). Pass it to createAgent as it is (a factory) or call it yourself.
 */
export function createNodeExecutor(options: NodeExecutorOptions = {}): Promise<Executor> {
  // The options cross into the sandbox process by structured clone: an opened shard goes by its path.
  const shard = options.shard && plainShardSource(options.shard);
  return createSandboxedExecutor(shard ? { ...options, shard } : options);
}

/**
 * Opens a shard (a folder holding shard.pas, or the file) and checks its index, so a bad path fails here
 * rather than at the model's first web_search. It reads the whole file into memory; to only hand a shard
 * to the agent, `{ path }` is enough.
 */
export async function openShard(path: string, options?: OpenShardOptions): Promise<LocalShard> {
  const absolute = resolve(path);
  const shard = await openShardFrom({ path: absolute }, options);
  return { ...shard, path: absolute };
}

function plainShardSource(source: ShardSource): ShardSource {
  if ("path" in source) return { path: source.path };
  if ("url" in source) return { url: source.url };
  if ("blob" in source) return { blob: source.blob };
  return { bytes: source.bytes };
}
