/**
 * Node adapter for building a shard directory: streams every input's passages into a ShardWriter
 * whose passage blocks, posting runs and merged postings all go to temporary files beside the
 * target (so neither passage text nor the index accumulates in memory), then writes DIR/shard.pas =
 * head + postings + blocks, and renames it into place.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { IndexProgress } from "../index-progress.ts";
import { newInputReport } from "../inputs/read-passages.ts";
import type { Passage } from "../search.ts";
import { type ShardFileOptions, type WriteShardHooks, writeShard } from "../shard-build.ts";
import { SHARD_FILE_NAME } from "../shard-format.ts";
import { type InputReport, readInputPassages } from "./read-input.ts";
import { nodeShardFiles } from "./shard-files.ts";

export type { ShardFileOptions };

export interface BuildShardOptions extends ShardFileOptions {
  inputs: string[];
  outDir: string;
  /** Stop after this many (distinct) passages. */
  maxPassages?: number;
  /** A file with one article title a line: only passages with these titles are kept. */
  titlesFile?: string;
  onProgress?: (stats: BuildStats, currentFile: string) => void;
  /** How far the write of the index is, once every input is read (WriteShardHooks.onIndexProgress). */
  onIndexProgress?: (progress: IndexProgress, stats: BuildStats) => void;
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
      const report = newInputReport(file);
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
  const { onIndexProgress } = options;
  const written = await writeShardFile(passages(), options.outDir, options, {
    onAdd: (result, writer) => {
      if (result === "added") stats.added++;
      else if (result === "duplicate") stats.duplicates++;
      else stats.empty++;
      if ((stats.read & 1023) === 0) {
        stats.terms = writer.termCount;
        options.onProgress?.(stats, currentFile);
      }
    },
    onFinishing: (writer) => {
      stats.terms = writer.termCount;
    },
    ...(onIndexProgress ? { onIndexProgress: (p: IndexProgress) => onIndexProgress(p, stats) } : {}),
  });
  stats.terms = written.terms;
  stats.bytes = written.bytes;
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}

/**
 * Writes DIR/shard.pas from a stream of passages with bounded memory: passage blocks, posting runs
 * and the merged postings go to temporary files beside it (node/shard-files.ts), removed afterwards.
 */
export async function writeShardFile(
  passages: AsyncIterable<Passage> | Iterable<Passage>,
  outDir: string,
  options: ShardFileOptions = {},
  hooks: WriteShardHooks = {},
): Promise<{ file: string; bytes: number; terms: number; passages: number; runs: number }> {
  await mkdir(outDir, { recursive: true });
  const target = join(outDir, SHARD_FILE_NAME);
  const written = await writeShard(passages, nodeShardFiles(target), options, hooks);
  return { file: target, ...written };
}

function normaliseTitle(title: string): string {
  return title.replace(/_/g, " ").trim();
}

async function readTitles(file: string): Promise<Set<string>> {
  const text = await readFile(file, "utf8");
  return new Set(text.split(/\r?\n/).map(normaliseTitle).filter(Boolean));
}

export type { Passage };
