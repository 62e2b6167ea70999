/**
 * Node adapter for building a shard directory: streams every input's passages into a ShardWriter,
 * spills finished passage blocks to a temporary file (so passage text never accumulates in memory),
 * then writes DIR/shard.pas = header + index + the spilled blocks, and renames it into place.
 */
import { closeSync, createReadStream, openSync, writeSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Passage } from "../search.ts";
import { SHARD_FILE_NAME } from "../shard-format.ts";
import { ShardWriter, type ShardWriterOptions } from "../shard-writer.ts";
import { type InputReport, readInputPassages } from "./read-input.ts";

export interface BuildShardOptions extends Omit<ShardWriterOptions, "onBlock"> {
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
  await mkdir(options.outDir, { recursive: true });
  const titles = options.titlesFile ? await readTitles(options.titlesFile) : undefined;
  const target = join(options.outDir, SHARD_FILE_NAME);
  const blocksPath = `${target}.blocks.tmp`;
  const partialPath = `${target}.tmp`;
  const blocksFd = openSync(blocksPath, "w");
  const writer = new ShardWriter({ ...options, onBlock: (block) => writeSync(blocksFd, block) });
  const stats: BuildStats = {
    files: [],
    read: 0,
    added: 0,
    duplicates: 0,
    empty: 0,
    filtered: 0,
    terms: 0,
    bytes: 0,
    file: target,
    seconds: 0,
  };
  const max = options.maxPassages ?? Number.POSITIVE_INFINITY;
  try {
    outer: for (const file of options.inputs) {
      const report: InputReport = { file, compressed: false, layouts: new Set(), pages: 0, skippedPages: 0 };
      stats.files.push(report);
      for await (const passage of readInputPassages(file, report)) {
        if (stats.added >= max) break outer;
        stats.read++;
        if (titles && !titles.has(normaliseTitle(passage.title))) {
          stats.filtered++;
          continue;
        }
        const result = writer.add(passage);
        if (result === "added") stats.added++;
        else if (result === "duplicate") stats.duplicates++;
        else stats.empty++;
        if ((stats.read & 1023) === 0) {
          stats.terms = writer.termCount;
          options.onProgress?.(stats, file);
        }
      }
    }
    const { head, passagesLength } = writer.finish();
    closeSync(blocksFd);
    const outFd = openSync(partialPath, "w");
    try {
      writeSync(outFd, head);
      for await (const chunk of createReadStream(blocksPath, { highWaterMark: 1 << 20 }))
        writeSync(outFd, chunk as Buffer);
    } finally {
      closeSync(outFd);
    }
    await rename(partialPath, target);
    stats.terms = writer.termCount;
    stats.bytes = head.length + passagesLength;
  } catch (error) {
    await rm(partialPath, { force: true });
    throw error;
  } finally {
    try {
      closeSync(blocksFd);
    } catch {
      // already closed after a successful build
    }
    await rm(blocksPath, { force: true });
  }
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}

function normaliseTitle(title: string): string {
  return title.replace(/_/g, " ").trim();
}

async function readTitles(file: string): Promise<Set<string>> {
  const text = await readFile(file, "utf8");
  return new Set(text.split(/\r?\n/).map(normaliseTitle).filter(Boolean));
}

export type { Passage };
