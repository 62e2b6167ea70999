/**
 * Dynamic pruning (MaxScore with block maxima) must return exactly what exhaustive scoring returns:
 * the same passages, in the same order, with bit-identical scores, ties included. Checked on the
 * real passages and questions of ../shared/data/wiki and on random synthetic shards built to have
 * long lists (skip entries), many ties and whole-title matches.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readInputPassages } from "../../src/retrieval/node/read-input.ts";
import { SKIP_INTERVAL } from "../../src/retrieval/postings.ts";
import type { Passage } from "../../src/retrieval/search.ts";
import { openShard } from "../../src/retrieval/shard-reader.ts";
import { buildShardBytes, type ShardWriterOptions } from "../../src/retrieval/shard-writer.ts";
import { SHARED } from "../support/shared.ts";

const WIKI = join(SHARED, "data/wiki");

function bothWays(bytes: Uint8Array) {
  return { pruned: openShard(bytes), exhaustive: openShard(bytes, { pruning: false }) };
}

describe("pruned search equals exhaustive search", () => {
  it("on the real passages and HotpotQA questions of the shared data, with and without feedback", async () => {
    const passages: Passage[] = [];
    const files = (await readdir(WIKI)).filter((f) => /\.jsonl?$/.test(f)).sort();
    for (const file of files) for await (const p of readInputPassages(join(WIKI, file))) passages.push(p);
    const questions: string[] = [];
    for (const file of ["hotpotqa_rpt_dev.jsonl", "hotpotqa_rpt_train.jsonl"]) {
      for (const line of (await readFile(join(WIKI, file), "utf8")).split("\n")) {
        if (line.trim()) questions.push((JSON.parse(line) as { question: string }).question);
      }
    }
    expect(questions.length).toBeGreaterThan(300);
    for (const options of [{}, { feedbackDocs: 0 }] as ShardWriterOptions[]) {
      const { pruned, exhaustive } = bothWays(buildShardBytes(passages, options));
      expect(pruned.info.passages).toBeGreaterThan(10_000);
      let differences = 0;
      for (const q of questions) {
        // Exhaustive scoring ranks every passage by (score, id), so its top 1 and top 3 are the first of
        // its top 10 (scored once); pruning is checked at each k, since its threshold depends on k.
        const top10 = exhaustive.search(q, 10);
        for (const k of [1, 3, 10]) {
          const a = pruned.search(q, k);
          const b = top10.slice(0, k);
          if (JSON.stringify(a) !== JSON.stringify(b)) {
            differences++;
            expect({ q, k, hits: a }).toEqual({ q, k, hits: b });
          }
        }
      }
      expect(differences).toBe(0);
    }
  }, 120_000);

  // Few words, short passages: lists longer than a skip block, equal scores everywhere.
  const WORDS = ["alder", "birch", "cedar", "dogwood", "elm", "fir", "ginkgo", "hazel", "ivy", "juniper"];
  const word = fc.constantFrom(...WORDS);
  const passage = fc.record({
    title: fc.array(word, { minLength: 0, maxLength: 2 }).map((w) => w.join(" ")),
    text: fc.array(word, { minLength: 1, maxLength: 6 }).map((w) => w.join(" ")),
  });
  const scoring = fc.record({
    k1: fc.constantFrom(0.5, 0.9, 1.2, 2),
    b: fc.constantFrom(0, 0.4, 0.75, 1),
    titleWeight: fc.constantFrom(0, 1, 5),
    titleB: fc.constantFrom(0, 1),
    titleMatchBoost: fc.constantFrom(0, 0.35, 2),
    feedbackDocs: fc.constantFrom(0, 1, 3),
    feedbackTerms: fc.constantFrom(1, 5, 50),
    feedbackOriginalWeight: fc.constantFrom(0.5, 0.8, 1),
    feedbackMaxDocFraction: fc.constantFrom(0.01, 0.3, 1),
  });

  it("on random synthetic shards, ties and whole-title matches included", () => {
    fc.assert(
      fc.property(
        fc.array(passage, { minLength: 1, maxLength: 700, size: "max" }),
        scoring,
        fc.array(fc.array(word, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 25 }),
        (passages, options, queries, k) => {
          // Numbered duplicates survive deduplication and make equal-scoring twins.
          const twins = passages.map((p, i) => (i % 3 === 0 ? p : { ...p, title: `${p.title} ${i % 2}` }));
          const { pruned, exhaustive } = bothWays(buildShardBytes(twins, options));
          for (const q of queries) {
            const text = q.join(" ");
            expect(pruned.search(text, k)).toEqual(exhaustive.search(text, k));
          }
        },
      ),
      { numRuns: 150, seed: 14 },
    );
  }, 120_000);

  it("skips blocks of long lists and still finds the single passage that holds every query word", () => {
    const passages: Passage[] = [];
    for (let i = 0; i < 20 * SKIP_INTERVAL; i++)
      passages.push({ title: `filler ${i}`, text: `common words ${i % 7 === 0 ? "often" : "seldom"}` });
    passages.splice(1500, 0, { title: "Needle", text: "common often rare" });
    const { pruned, exhaustive } = bothWays(buildShardBytes(passages, { feedbackDocs: 0 }));
    const top = pruned.search("rare common often", 5);
    expect(top[0]!.title).toBe("Needle");
    expect(top).toEqual(exhaustive.search("rare common often", 5));
    // Equal scores all the way down: the lowest ids win, in order.
    expect(pruned.search("seldom", 4).map((h) => h.id)).toEqual(
      exhaustive.search("seldom", 4).map((h) => h.id),
    );
  });
});
