/**
 * The Wikipedia shard the page searches: read from a picked file or a same-origin URL with progress,
 * checked before use (a corrupt file is refused and the shard in use stays), and kept in the origin
 * private file system (OPFS) so the next visit opens it without asking.
 */
import { ShardFormatError } from "../retrieval/shard-format.ts";
import { openShard, type ShardInfo } from "../retrieval/shard-reader.ts";

export type OnBytes = (loaded: number, total: number | undefined) => void;

export interface StoredShardMeta {
  /** File name the user picked, or the URL it came from. */
  name: string;
  bytes: number;
  passages: number;
  savedAt: string;
  /** OPFS file holding the bytes. */
  file: string;
}

export class ShardError extends Error {
  override name = "ShardError";
}

/**
 * Opens the bytes as a shard (the reader checks the header and the small index sections) and then reads
 * every passage block, the bulk of the file, so a damaged one is refused now rather than at its first
 * search hit; progress is reported per block. Term and postings pages stay checked lazily by the reader
 * (a damaged page fails the first web_search that touches it, with the reader's message in the trace).
 * The error says which file and why.
 */
export async function checkShard(
  bytes: Uint8Array,
  source: string,
  onProgress: (checked: number, total: number) => void = () => {},
): Promise<ShardInfo> {
  try {
    const shard = openShard(bytes, { blockCache: 1 });
    // Every index page too: a damaged postings page would otherwise surface at some later query. The
    // passage blocks are checked by the loop below, which reads one passage of each.
    shard.verifyIndex();
    const { blocks, passagesPerBlock, passages } = shard.info;
    let lastYield = performance.now();
    for (let block = 0; block < blocks; block++) {
      const first = block * passagesPerBlock;
      if (first < passages) shard.passage(first);
      if (performance.now() - lastYield > 50) {
        onProgress(block + 1, blocks);
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = performance.now();
      }
    }
    onProgress(blocks, blocks);
    return shard.info;
  } catch (error) {
    const reason =
      error instanceof ShardFormatError
        ? error.message
        : `${(error as Error).name}: ${(error as Error).message}`;
    throw new ShardError(
      `${source} is not a usable shard: ${reason}. Build one with \`pocket-agent shard build\`.`,
    );
  }
}

/** The quick check for a shard already checked when it was stored: what the reader checks at open. */
export function openShardInfo(bytes: Uint8Array, source: string): ShardInfo {
  try {
    return openShard(bytes, { blockCache: 1 }).info;
  } catch (error) {
    const reason =
      error instanceof ShardFormatError
        ? error.message
        : `${(error as Error).name}: ${(error as Error).message}`;
    throw new ShardError(`${source} is not a usable shard: ${reason}.`);
  }
}

export async function readBlob(blob: Blob, onBytes: OnBytes): Promise<Uint8Array> {
  return collect(blob.stream(), blob.size, onBytes);
}

export async function fetchBytes(
  url: string,
  onBytes: OnBytes,
  fetchImpl: typeof fetch = fetch,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetchImpl(url);
  } catch (error) {
    throw new ShardError(`cannot download the shard ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new ShardError(`cannot download the shard ${url}: HTTP ${response.status}`);
  const length = Number(response.headers.get("content-length"));
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  return collect(response.body, Number.isFinite(length) && length > 0 ? length : undefined, onBytes);
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  total: number | undefined,
  onBytes: OnBytes,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = stream.getReader();
  onBytes(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onBytes(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

const META_FILE = "shard.json";
/** The OPFS folder of the stored shard (the build worker writes there too). */
export const SHARD_FOLDER = "shards";

/** The stored shard in OPFS: one data file plus a small JSON naming it, replaced only after a full write. */
export class ShardStore {
  constructor(private readonly root: () => Promise<FileSystemDirectoryHandle> = opfsRoot) {}

  async meta(): Promise<StoredShardMeta | null> {
    const dir = await this.dir();
    if (!dir) return null;
    try {
      const file = await (await dir.getFileHandle(META_FILE)).getFile();
      return JSON.parse(await file.text()) as StoredShardMeta;
    } catch {
      return null;
    }
  }

  /** The stored shard: its bytes (to check it) and its File (which the executor reads by reference). */
  async load(onBytes: OnBytes): Promise<{ meta: StoredShardMeta; bytes: Uint8Array; file: File } | null> {
    const meta = await this.meta();
    const dir = await this.dir();
    if (!meta || !dir) return null;
    let file: File;
    try {
      file = await (await dir.getFileHandle(meta.file)).getFile();
    } catch {
      throw new ShardError(
        `the stored shard ${meta.name} is gone from this browser's storage; pick the file again`,
      );
    }
    return { meta, bytes: await readBlob(file, onBytes), file };
  }

  /** Writes the new shard, then points the metadata at it, then drops the old file. */
  async save(bytes: Uint8Array, name: string, info: ShardInfo): Promise<StoredShardMeta> {
    const file = newShardFileName();
    await writeFile(await this.requireDir(), file, bytes);
    return this.adopt(file, name, { bytes: bytes.byteLength, passages: info.passages });
  }

  /**
   * Makes a shard file already written into the folder (by the build worker) the stored shard: points
   * the metadata at it, then drops the old file.
   */
  async adopt(
    file: string,
    name: string,
    info: { bytes: number; passages: number },
  ): Promise<StoredShardMeta> {
    const dir = await this.requireDir();
    const previous = await this.meta();
    const meta: StoredShardMeta = {
      name,
      bytes: info.bytes,
      passages: info.passages,
      savedAt: new Date().toISOString(),
      file,
    };
    await writeFile(dir, META_FILE, new TextEncoder().encode(JSON.stringify(meta)));
    if (previous && previous.file !== meta.file) await dir.removeEntry(previous.file).catch(() => {});
    return meta;
  }

  /** A file of the folder (the shard a build wrote), to read it. */
  async file(name: string): Promise<File> {
    return (await (await this.requireDir()).getFileHandle(name)).getFile();
  }

  /** Removes a file of the folder that is not the stored shard (a build's output that was refused). */
  async discard(name: string): Promise<void> {
    if ((await this.meta())?.file === name) return;
    await (await this.dir())?.removeEntry(name).catch(() => {});
  }

  /**
   * Removes what builds left behind when the page closed under them (their scratch files and shards
   * never adopted): every file of the folder but the stored shard and its metadata, once untouched for
   * `minAgeMs`. A build still running holds its files locked, and a newer file may be a shard about to
   * be adopted, so both are left alone. Returns the names removed.
   */
  async sweep(minAgeMs = 10 * 60_000, now = Date.now()): Promise<string[]> {
    const dir = await this.dir();
    if (!dir) return [];
    const keep = new Set([META_FILE, (await this.meta())?.file]);
    const removed: string[] = [];
    for await (const [name, handle] of entriesOf(dir)) {
      if (keep.has(name) || handle.kind !== "file") continue;
      try {
        const file = await (handle as FileSystemFileHandle).getFile();
        if (now - file.lastModified < minAgeMs) continue;
        await dir.removeEntry(name);
        removed.push(name);
      } catch {
        // locked by a build in progress, or gone already
      }
    }
    return removed;
  }

  private async requireDir(): Promise<FileSystemDirectoryHandle> {
    const dir = await this.dir();
    if (!dir)
      throw new ShardError(
        "this browser has no origin private file system; the shard will not be kept for the next visit",
      );
    return dir;
  }

  async forget(): Promise<void> {
    const dir = await this.dir();
    const meta = await this.meta();
    if (!dir) return;
    await dir.removeEntry(META_FILE).catch(() => {});
    if (meta) await dir.removeEntry(meta.file).catch(() => {});
  }

  private async dir(): Promise<FileSystemDirectoryHandle | null> {
    try {
      return await (await this.root()).getDirectoryHandle(SHARD_FOLDER, { create: true });
    } catch {
      return null;
    }
  }
}

/** A folder's entries (typed here: TypeScript's DOM library has no async iteration for them yet). */
function entriesOf(dir: FileSystemDirectoryHandle): AsyncIterable<[string, FileSystemHandle]> {
  return (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries();
}

/** A new name for a shard file in the folder. */
export function newShardFileName(): string {
  return `shard-${Date.now()}.pas`;
}

async function writeFile(dir: FileSystemDirectoryHandle, name: string, bytes: Uint8Array): Promise<void> {
  const handle = await dir.getFileHandle(name, { create: true });
  const writable = await handle.createWritable();
  try {
    await writable.write(bytes as Uint8Array<ArrayBuffer>);
    await writable.close();
  } catch (error) {
    await writable.abort().catch(() => {});
    await dir.removeEntry(name).catch(() => {});
    throw new ShardError(
      `could not store the shard in this browser (${(error as Error).message}); it is used for this visit only`,
    );
  }
}

function opfsRoot(): Promise<FileSystemDirectoryHandle> {
  if (typeof navigator === "undefined" || !navigator.storage?.getDirectory) {
    return Promise.reject(new Error("no OPFS"));
  }
  return navigator.storage.getDirectory();
}
