/**
 * A streaming shard build over storage it is handed: the seam between the builder and file I/O. The
 * ShardWriter's passage blocks, spilled posting runs and merged postings go to three scratch files,
 * then the shard file is written head + postings + zero padding + blocks, and the storage puts it in
 * place (or, on any failure or cancel, drops everything). Adapters: node/shard-files.ts (fs, for the
 * CLI), browser/opfs-shard-files.ts (OPFS sync access handles, in the page's build worker), and
 * memoryShardFiles here (tests). Every call is synchronous, as the writer's are, so one build runs the
 * same way on each. Runtime-neutral.
 */
import { ByteBuffer } from "./bytes.ts";
import type { IndexProgress } from "./index-progress.ts";
import type { MergeProgress, RunStore } from "./posting-runs.ts";
import type { Passage } from "./search.ts";
import { type AddResult, ShardWriter, type ShardWriterOptions } from "./shard-writer.ts";

/** A temporary file: appended to in order, read back by offset (the posting runs store is one). */
export interface ScratchFile extends RunStore {
  readonly length: number;
}

/** Where one build writes: three scratch files and the shard file itself. */
export interface ShardFiles {
  readonly blocks: ScratchFile;
  readonly runs: ScratchFile;
  readonly postings: ScratchFile;
  /** The shard file, written from its first byte to its last. */
  readonly output: { append(bytes: Uint8Array): void };
  /** The output is complete: close everything, drop the scratch files, put the shard in place. */
  commit(): Promise<void>;
  /** A failure or a cancel: close and drop everything, the partial output too. */
  discard(): Promise<void>;
}

export type ShardFileOptions = Omit<ShardWriterOptions, "onBlock" | "onPostings" | "runStore">;

export interface WrittenShard {
  bytes: number;
  terms: number;
  passages: number;
  /** Posting runs spilled to the runs file. */
  runs: number;
}

export interface WriteShardHooks {
  /** After each passage offered to the writer. */
  onAdd?: (result: AddResult, writer: ShardWriter) => void;
  /** Once the input is read, before the (synchronous) merge and write of the index. */
  onFinishing?: (writer: ShardWriter) => void;
  /**
   * How far the write of the index is, once the input is read: at the start of each stage, every few
   * thousand terms while merging, every megabyte while copying, and at the end (fraction 1). Called in
   * the middle of synchronous work, so it should be cheap: throttle what it shows.
   */
  onIndexProgress?: (progress: IndexProgress) => void;
}

/**
 * What merging a byte of posting runs costs against copying a byte into the shard file, for the shares
 * of the fraction: the merge also decodes every posting (skips, score bounds) and visits every run for
 * every term. Measured 5-25 on the bench corpus through the fs adapter (the copy is cheapest while the
 * files sit in the page cache, which a real dump's do not).
 */
const MERGE_COST = 10;

const COPY_CHUNK = 1 << 20;

/** Streams passages into a shard in `files`, with memory bounded by the writer's run budget. */
export async function writeShard(
  passages: AsyncIterable<Passage> | Iterable<Passage>,
  files: ShardFiles,
  options: ShardFileOptions = {},
  hooks: WriteShardHooks = {},
): Promise<WrittenShard> {
  const onIndex = hooks.onIndexProgress;
  // The share of the fraction the merge takes: set when it starts, from the bytes each stage handles
  // (the postings come out about as long as the runs that go in).
  let mergeShare = 0;
  const onMerge = (m: MergeProgress) => {
    if (m.terms === 0) {
      const merge = m.totalRunBytes * MERGE_COST;
      const total = merge + m.totalRunBytes + files.blocks.length;
      mergeShare = total > 0 ? merge / total : 0;
    }
    const read = m.totalRunBytes > 0 ? m.runBytes / m.totalRunBytes : 1;
    onIndex?.({ stage: "merging", done: m.terms, total: m.totalTerms, fraction: mergeShare * read });
  };
  try {
    const writer = new ShardWriter({
      ...options,
      onBlock: (block) => files.blocks.append(block),
      onPostings: (bytes) => files.postings.append(bytes),
      runStore: files.runs,
      ...(onIndex ? { onMerge } : {}),
    });
    for await (const passage of passages) {
      const result = writer.add(passage);
      hooks.onAdd?.(result, writer);
    }
    hooks.onFinishing?.(writer);
    onIndex?.({ stage: "sorting", done: 0, total: writer.termCount, fraction: 0 });
    const { head, header, postingsLength, passagesOffset } = writer.finish();
    const total = header.fileLength;
    let written = 0;
    const output = {
      append(bytes: Uint8Array) {
        files.output.append(bytes);
        written += bytes.length;
        const fraction = written === total ? 1 : mergeShare + ((1 - mergeShare) * written) / total;
        onIndex?.({ stage: "copying", done: written, total, fraction });
      },
    };
    onIndex?.({ stage: "copying", done: 0, total, fraction: mergeShare });
    output.append(head);
    copy(files.postings, output);
    output.append(new Uint8Array(passagesOffset - head.length - postingsLength));
    copy(files.blocks, output);
    await files.commit();
    return {
      bytes: header.fileLength,
      terms: header.termCount,
      passages: header.passageCount,
      runs: writer.runCount,
    };
  } catch (error) {
    await files.discard();
    throw error;
  }
}

function copy(from: ScratchFile, to: ShardFiles["output"]): void {
  for (let at = 0; at < from.length; at += COPY_CHUNK)
    to.append(from.read(at, Math.min(COPY_CHUNK, from.length - at)));
}

/** A scratch file in memory. */
export function memoryScratchFile(): ScratchFile {
  const buffer = new ByteBuffer(64 * 1024);
  return {
    get length() {
      return buffer.length;
    },
    append: (bytes) => buffer.append(bytes),
    read: (offset, length) => buffer.bytes.subarray(offset, offset + length),
  };
}

/** ShardFiles in memory (tests, small corpora): `bytes()` is the shard once committed. */
export function memoryShardFiles(): ShardFiles & { bytes(): Uint8Array | undefined } {
  const output = new ByteBuffer(64 * 1024);
  let committed: Uint8Array | undefined;
  return {
    blocks: memoryScratchFile(),
    runs: memoryScratchFile(),
    postings: memoryScratchFile(),
    output: { append: (bytes) => output.append(bytes) },
    commit: async () => {
      committed = output.view().slice();
    },
    discard: async () => {
      committed = undefined;
    },
    bytes: () => committed,
  };
}
