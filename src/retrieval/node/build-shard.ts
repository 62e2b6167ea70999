/**
 * Node adapter for building a shard directory: streams every input's passages into a ShardWriter
 * whose passage blocks, posting runs and merged postings all go to temporary files beside the
 * target (so neither passage text nor the index accumulates in memory), then writes DIR/shard.pas =
 * head + postings + blocks, and renames it into place.
 */
import { closeSync, createReadStream, openSync, readSync, writeSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { RunStore } from "../posting-runs.ts";
import type { Passage } from "../search.ts";
import { SHARD_FILE_NAME } from "../shard-format.ts";
import { type AddResult, ShardWriter, type ShardWriterOptions } from "../shard-writer.ts";
import { type InputReport, readInputPassages } from "./read-input.ts";

export type ShardFileOptions = Omit<ShardWriterOptions, "onBlock" | "onPostings" | "runStore">;

export interface BuildShardOptions extends ShardFileOptions {
  inputs: string[];
  outDir: string;
  /** Stop after this many (distinct) passages. */
  maxPassages?: number;
  /** A file with one article title a line: only passages with these titles are kept. */
  titlesFile?: string;
  onProgress?: (stats: BuildStats, currentFile: string) => void;
}

export interface BuildStats {
  files: InputReport[];
  read: number;
  added: number;
  duplicates: number;
  empty: number;
  /** Passages left out because their title is not in --titles. */
  filtered: number;
  terms: number;
  bytes: number;
  file: string;
  seconds: number;
}

export async function buildShard(options: BuildShardOptions): Promise<BuildStats> {
  const started = performance.now();
  const titles = options.titlesFile ? await readTitles(options.titlesFile) : undefined;
  const stats: BuildStats = {
    files: [],
    read: 0,
    added: 0,
    duplicates: 0,
    empty: 0,
    filtered: 0,
    terms: 0,
    bytes: 0,
    file: join(options.outDir, SHARD_FILE_NAME),
    seconds: 0,
  };
  const max = options.maxPassages ?? Number.POSITIVE_INFINITY;
  let currentFile = "";
  async function* passages(): AsyncGenerator<Passage> {
    for (const file of options.inputs) {
      currentFile = file;
      const report: InputReport = { file, compressed: false, layouts: new Set(), pages: 0, skippedPages: 0 };
      stats.files.push(report);
      for await (const passage of readInputPassages(file, report)) {
        if (stats.added >= max) return;
        stats.read++;
        if (titles && !titles.has(normaliseTitle(passage.title))) {
          stats.filtered++;
          continue;
        }
        yield passage;
      }
    }
  }
  const written = await writeShardFile(passages(), options.outDir, options, (result, writer) => {
    if (result === "added") stats.added++;
    else if (result === "duplicate") stats.duplicates++;
    else stats.empty++;
    if ((stats.read & 1023) === 0) {
      stats.terms = writer.termCount;
      options.onProgress?.(stats, currentFile);
    }
  });
  stats.terms = written.terms;
  stats.bytes = written.bytes;
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}

/**
 * Writes DIR/shard.pas from a stream of passages with bounded memory: passage blocks, posting runs
 * and the merged postings go to temporary files beside it, which are removed afterwards.
 */
export async function writeShardFile(
  passages: AsyncIterable<Passage> | Iterable<Passage>,
  outDir: string,
  options: ShardFileOptions = {},
  onAdd?: (result: AddResult, writer: ShardWriter) => void,
): Promise<{ file: string; bytes: number; terms: number; passages: number; runs: number }> {
  await mkdir(outDir, { recursive: true });
  const target = join(outDir, SHARD_FILE_NAME);
  const temporary = [`${target}.blocks.tmp`, `${target}.runs.tmp`, `${target}.postings.tmp`];
  const [blocksPath, runsPath, postingsPath] = temporary as [string, string, string];
  const partialPath = `${target}.tmp`;
  const fds: number[] = [];
  const open = (path: string, flags: string) => {
    const fd = openSync(path, flags);
    fds.push(fd);
    return fd;
  };
  try {
    const blocksFd = open(blocksPath, "w");
    const postingsFd = open(postingsPath, "w");
    const writer = new ShardWriter({
      ...options,
      onBlock: (block) => writeSync(blocksFd, block),
      onPostings: (bytes) => writeSync(postingsFd, bytes),
      runStore: fileRunStore(open(runsPath, "w+")),
    });
    for await (const passage of passages) {
      const result = writer.add(passage);
      onAdd?.(result, writer);
    }
    const { head, header, postingsLength, passagesOffset } = writer.finish();
    const outFd = open(partialPath, "w");
    writeSync(outFd, head);
    await copyInto(outFd, postingsPath);
    writeSync(outFd, new Uint8Array(passagesOffset - head.length - postingsLength));
    await copyInto(outFd, blocksPath);
    for (const fd of fds.splice(0)) closeSync(fd);
    await rename(partialPath, target);
    return {
      file: target,
      bytes: header.fileLength,
      terms: header.termCount,
      passages: header.passageCount,
      runs: writer.runCount,
    };
  } catch (error) {
    await rm(partialPath, { force: true });
    throw error;
  } finally {
    for (const fd of fds) closeSync(fd);
    for (const path of temporary) await rm(path, { force: true });
  }
}

/** Posting runs in a file: appended at its end, read back with positioned reads. */
function fileRunStore(fd: number): RunStore {
  let length = 0;
  return {
    append(bytes) {
      writeSync(fd, bytes, 0, bytes.length, length);
      length += bytes.length;
    },
    read(offset, size) {
      const out = new Uint8Array(size);
      let done = 0;
      while (done < size) {
        const n = readSync(fd, out, done, size - done, offset + done);
        if (n === 0) throw new Error(`posting runs file ended at ${offset + done} of ${offset + size}`);
        done += n;
      }
      return out;
    },
  };
}

async function copyInto(fd: number, path: string): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
    writeSync(fd, chunk as Buffer);
}

function normaliseTitle(title: string): string {
  return title.replace(/_/g, " ").trim();
}

async function readTitles(file: string): Promise<Set<string>> {
  const text = await readFile(file, "utf8");
  return new Set(text.split(/\r?\n/).map(normaliseTitle).filter(Boolean));
}

export type { Passage };
