/**
 * The builder's postings go through sorted runs merged at the end (posting-runs.ts): however small
 * the memory budget, and so however many runs, the shard must come out byte for byte the same.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ByteBuffer } from "../../src/retrieval/bytes.ts";
import { type MergeProgress, memoryRunStore, PostingRuns } from "../../src/retrieval/posting-runs.ts";
import type { Passage } from "../../src/retrieval/search.ts";
import { openShard } from "../../src/retrieval/shard-reader.ts";
import { buildShardBytes, ShardWriter } from "../../src/retrieval/shard-writer.ts";
import { SHARED } from "../support/shared.ts";

async function realPassages(): Promise<Passage[]> {
  const text = await readFile(join(SHARED, "data/wiki/flashrag_wiki18_sample.jsonl"), "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const contents = (JSON.parse(line) as { contents: string }).contents;
      const [title, ...rest] = contents.split("\n");
      return { title: title!.replace(/^"|"$/g, ""), text: rest.join(" ") };
    });
}

describe("posting runs", () => {
  it("a shard built through many small runs equals the one built in a single run", async () => {
    const passages = await realPassages();
    expect(passages.length).toBeGreaterThan(900);
    const single = buildShardBytes(passages);
    const writer = new ShardWriter({ runBytes: 16 * 1024 });
    for (const p of passages) writer.add(p);
    writer.finish();
    expect(writer.runCount).toBeGreaterThan(20);
    const many = buildShardBytes(passages, { runBytes: 16 * 1024 });
    expect(many).toEqual(single);
    const shard = openShard(many);
    expect(shard.search(passages[500]!.title, 3).map((h) => h.title)).toContain(passages[500]!.title);
  });

  it("merging rewrites each run's first gap against the previous run's last passage", () => {
    const reports: MergeProgress[] = [];
    const runs = new PostingRuns(memoryRunStore(), 1, (p) => reports.push(p));
    const compare = (a: number, b: number) => a - b;
    // Term 0 in passages 3 and 7, then 8 after a spill; term 1 only in the second run.
    runs.add(0, 3, 1, 0);
    runs.add(0, 7, 2, 1);
    runs.spill(compare);
    runs.add(0, 8, 1, 0);
    runs.add(1, 9, 1, 0);
    const merged: Array<[number, number, number[]]> = [];
    runs.merge([0, 1], compare, (term, df, list) => merged.push([term, df, [...list]]));
    const expected = new ByteBuffer();
    for (const [gap, code, title] of [
      [3, 2, 0],
      [4, 5, 1],
      [1, 2, 0],
    ] as const) {
      expected.varint(gap);
      expected.varint(code);
      if (title) expected.varint(title);
    }
    expect(merged).toEqual([
      [0, 3, [...expected.view()]],
      [1, 1, [9, 2]],
    ]);
    // Progress: before the first term and after the last, when every byte of both runs is read.
    expect(reports.map((p) => p.terms)).toEqual([0, 2]);
    const total = reports[1]!.totalRunBytes;
    expect(reports[1]).toEqual({ terms: 2, totalTerms: 2, runBytes: total, totalRunBytes: total });
    expect(reports[0]!.runBytes).toBeLessThan(total);
  });
});
