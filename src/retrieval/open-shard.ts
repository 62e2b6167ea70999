/**
 * Opens a shard from wherever the executor says it is: bytes, a same-origin URL (fetch), or a path
 * on disk (Node only: node:fs is imported lazily so this module stays loadable in a browser worker).
 * A path may name the shard directory or the shard file inside it.
 */
import type { ShardSource } from "../ports/executor.ts";
import type { PassageSearcher } from "./search.ts";
import { SHARD_FILE_NAME, ShardFormatError } from "./shard-format.ts";
import { type OpenShardOptions, openShard, type Shard } from "./shard-reader.ts";

export async function loadShardBytes(source: ShardSource): Promise<Uint8Array> {
  if ("bytes" in source) return source.bytes;
  if ("blob" in source) return new Uint8Array(await source.blob.arrayBuffer());
  if ("url" in source) {
    const response = await fetch(source.url).catch((err: unknown) => {
      throw new Error(
        `cannot fetch shard ${source.url}: ${err instanceof Error ? err.message : String(err)}`,
      );
    });
    if (!response.ok) throw new Error(`cannot fetch shard ${source.url}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  return readShardFile(source.path);
}

/** Node adapter: reads DIR/shard.pas (or the file itself). */
async function readShardFile(path: string): Promise<Uint8Array> {
  // A computed specifier keeps bundlers from pulling node:fs into the browser build.
  const fsModule = "node:fs/promises";
  const fs = (await import(/* @vite-ignore */ fsModule)) as typeof import("node:fs/promises");
  const stat = await fs.stat(path).catch(() => {
    throw new Error(`no shard at ${path}`);
  });
  const file = stat.isDirectory() ? `${path.replace(/[\\/]+$/, "")}/${SHARD_FILE_NAME}` : path;
  const data = await fs.readFile(file).catch(() => {
    throw new ShardFormatError(
      `no shard file ${file}: build one with \`pocket-agent shard build --out DIR\``,
    );
  });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export async function openShardFrom(source: ShardSource, options?: OpenShardOptions): Promise<Shard> {
  return openShard(await loadShardBytes(source), options);
}

/** The `web_search` backend: a PassageSearcher over the shard at `source`. */
export async function openShardSearcher(
  source: ShardSource,
  options?: OpenShardOptions,
): Promise<PassageSearcher> {
  return openShardFrom(source, options);
}
