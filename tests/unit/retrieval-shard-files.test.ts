/**
 * The build's storage seam (src/retrieval/shard-build.ts): the same input gives the same shard bytes
 * through the Node fs adapter, the in-memory adapter and the in-memory builder, with posting runs
 * spilled; a failed build leaves nothing behind. And the runtime-neutral reader the page's worker uses:
 * bzip2 in odd-sized chunks reads like the plain file, a damaged or cut bzip2 file fails clearly.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IndexProgress } from "../../src/retrieval/index-progress.ts";
import { ShardInputError } from "../../src/retrieval/inputs/layouts.ts";
import { newInputReport, readPassages } from "../../src/retrieval/inputs/read-passages.ts";
import { nodeShardFiles } from "../../src/retrieval/node/shard-files.ts";
import type { Passage } from "../../src/retrieval/search.ts";
import { memoryShardFiles, writeShard } from "../../src/retrieval/shard-build.ts";
import { openShard } from "../../src/retrieval/shard-reader.ts";
import { buildShardBytes } from "../../src/retrieval/shard-writer.ts";
import { SHARED } from "../support/shared.ts";

let work: string;
let jsonl: Uint8Array;
let passages: Passage[];
let single: Uint8Array | undefined;

/** The shard of `passages` built in memory in one go: what every other way must write. */
function inMemoryShard(): Uint8Array {
  single ??= buildShardBytes(passages);
  return single;
}

/** Bytes as a stream of chunks of `size` bytes, as File.stream() or a file stream delivers them. */
async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function collect(source: AsyncIterable<Passage>): Promise<Passage[]> {
  const out: Passage[] = [];
  for await (const p of source) out.push(p);
  return out;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "shard-files-"));
  // 300 HotpotQA questions' contexts: ~3,000 passages, a few hundred kB.
  const lines = (await readFile(join(SHARED, "data/wiki/hotpotqa_rpt_dev.jsonl"), "utf8")).split("\n");
  jsonl = new TextEncoder().encode(lines.slice(0, 300).join("\n"));
  passages = await collect(readPassages(chunked(jsonl, 1 << 16), "dev.jsonl"));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("the build's storage seam", () => {
  it("writes the same shard through the fs adapter, the memory adapter and the in-memory builder", async () => {
    expect(passages.length).toBeGreaterThan(2000);
    const options = { runBytes: 256 * 1024 };
    const memory = memoryShardFiles();
    const inMemory = await writeShard(passages, memory, options);
    const target = join(work, "shard.pas");
    const onDisk = await writeShard(passages, nodeShardFiles(target), options);
    expect(inMemory.runs).toBeGreaterThan(2);
    expect(onDisk).toEqual(inMemory);
    const bytes = memory.bytes()!;
    expect(bytes.length).toBe(inMemory.bytes);
    // Buffer.equals: a deep toEqual over a megabyte of typed array takes seconds.
    expect((await readFile(target)).equals(bytes)).toBe(true);
    expect(Buffer.from(bytes).equals(inMemoryShard())).toBe(true);
    expect(await readdir(work)).toEqual(["shard.pas"]);
    const shard = openShard(bytes);
    expect(shard.info.passages).toBe(inMemory.passages);
    expect(shard.search(passages[0]!.title, 1)[0]?.title).toBe(passages[0]!.title);
  });

  it("reports the index write's progress, monotonic to 1, over a merge of several runs, and writes the same bytes", async () => {
    const reports: IndexProgress[] = [];
    let finishing = -1;
    const memory = memoryShardFiles();
    const written = await writeShard(
      passages,
      memory,
      { runBytes: 64 * 1024 },
      {
        onFinishing: () => {
          finishing = reports.length;
        },
        onIndexProgress: (p) => reports.push({ ...p }),
      },
    );
    expect(written.runs).toBeGreaterThan(5);
    expect(finishing).toBe(0);
    // The stages in order, each starting from nothing done.
    const stages = reports.map((p) => p.stage).filter((s, i, all) => s !== all[i - 1]);
    expect(stages).toEqual(["sorting", "merging", "copying"]);
    for (const stage of stages) expect(reports.find((p) => p.stage === stage)?.done).toBe(0);
    for (let i = 1; i < reports.length; i++) {
      expect(reports[i]!.fraction).toBeGreaterThanOrEqual(reports[i - 1]!.fraction);
      if (reports[i]!.stage === reports[i - 1]!.stage)
        expect(reports[i]!.done).toBeGreaterThanOrEqual(reports[i - 1]!.done);
    }
    expect(reports[0]).toEqual({ stage: "sorting", done: 0, total: written.terms, fraction: 0 });
    // The merge goes term by term through every term, in steps, and takes a share of the bar between
    // nothing and all of it; the copy ends at the file's length, and the fraction at exactly 1.
    const merging = reports.filter((p) => p.stage === "merging");
    expect(merging.length).toBeGreaterThan(3);
    expect(merging.every((p) => p.total === written.terms)).toBe(true);
    const merged = merging.at(-1)!;
    expect(merged.done).toBe(written.terms);
    expect(merged.fraction).toBeGreaterThan(0.1);
    expect(merged.fraction).toBeLessThan(0.95);
    expect(merging.some((p) => p.fraction > 0 && p.fraction < merged.fraction)).toBe(true);
    const copying = reports.filter((p) => p.stage === "copying");
    expect(copying[0]!.fraction).toBe(merged.fraction);
    expect(reports.at(-1)).toEqual({
      stage: "copying",
      done: written.bytes,
      total: written.bytes,
      fraction: 1,
    });
    // Listening changes nothing in the file.
    expect(Buffer.from(memory.bytes()!).equals(inMemoryShard())).toBe(true);
  });

  it("drops everything when the input fails half way", async () => {
    async function* failing(): AsyncGenerator<Passage> {
      yield* passages.slice(0, 500);
      throw new Error("the input broke");
    }
    const dir = await mkdtemp(join(work, "fail-"));
    await expect(
      writeShard(failing(), nodeShardFiles(join(dir, "shard.pas")), { runBytes: 8192 }),
    ).rejects.toThrow("the input broke");
    expect(await readdir(dir)).toEqual([]);
    const memory = memoryShardFiles();
    await expect(writeShard(failing(), memory)).rejects.toThrow("the input broke");
    expect(memory.bytes()).toBeUndefined();
  });
});

describe("the runtime-neutral input reader", () => {
  it("reads bzip2 data in odd-sized chunks as it reads the plain bytes", async () => {
    const bz2 = new Uint8Array(execFileSync("bzip2", ["-c", "-1"], { input: jsonl }));
    const report = newInputReport("dev.jsonl.bz2");
    expect(await collect(readPassages(chunked(bz2, 7777), "dev.jsonl.bz2", report))).toEqual(passages);
    expect(report).toMatchObject({ compressed: true, format: "jsonl" });
    // Two streams back to back (pbzip2, multistream dumps) read as one.
    const half = jsonl.lastIndexOf(10, jsonl.length >> 1) + 1;
    const twice = Buffer.concat([
      execFileSync("bzip2", ["-c"], { input: jsonl.subarray(0, half) }),
      execFileSync("bzip2", ["-c"], { input: jsonl.subarray(half) }),
    ]);
    expect(await collect(readPassages(chunked(twice, 5000), "two.bz2"))).toEqual(passages);
  });

  it("refuses damaged, cut and unknown inputs with the file's name and why", async () => {
    const bz2 = new Uint8Array(execFileSync("bzip2", ["-c"], { input: jsonl }));
    const damaged = bz2.slice();
    for (let i = 2000; i < 2100; i++) damaged[i] = damaged[i]! ^ 0x55;
    const read = (bytes: Uint8Array, name: string) => collect(readPassages(chunked(bytes, 4096), name));
    await expect(read(damaged, "damaged.bz2")).rejects.toThrow(/^damaged\.bz2: bad bzip2 data \(/);
    await expect(read(damaged, "damaged.bz2")).rejects.toBeInstanceOf(ShardInputError);
    await expect(read(bz2.subarray(0, bz2.length - 500), "cut.bz2")).rejects.toThrow(
      /^cut\.bz2: bad bzip2 data \(the data ends/,
    );
    await expect(read(new TextEncoder().encode("hello, world\n"), "notes.txt")).rejects.toThrow(
      /^notes\.txt: not an input the builder knows/,
    );
  });
});
