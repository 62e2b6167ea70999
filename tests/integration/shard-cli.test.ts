import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";

const WIKI = join(import.meta.dirname, "../../../shared/data/wiki");

/** Runs `pocket-agent shard ARGS...` in process; its stdout, or an error with its stderr line. */
async function shard(...args: string[]): Promise<string> {
  const result = await runCli(["shard", ...args]);
  if (result.code !== 0) throw new Error(result.stderr);
  return result.stdout;
}

let work: string;
let dir: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "shard-cli-"));
  dir = join(work, "shard");
  await shard(
    "build",
    "--out",
    dir,
    join(WIKI, "hotpotqa_rpt_dev.jsonl"),
    join(WIKI, "hipporag_2wiki_corpus.json"),
  );
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("pocket-agent shard", () => {
  it("build reports what it kept", async () => {
    const out = await shard(
      "build",
      "--out",
      join(work, "small"),
      "--max-passages",
      "25",
      join(WIKI, "kag_2wiki_dev_2.json"),
    );
    expect(out).toMatch(/shard\.pas: 20 passages from 20 read, \d+ terms, \d+ bytes/);
  });

  it("search prints the web_search observation with 3 passages by default", async () => {
    const out = await shard("search", "--shard", dir, "Tinted Windows band first performance city");
    expect(out.startsWith("\nRetrieved documents:\n\n===== Document 0, similarity: ")).toBe(true);
    expect(out.match(/===== Document \d, similarity: \d+\.\d\d =====/g)).toHaveLength(3);
    expect(out).toContain('"Tinted Windows (band)"\nTinted Windows is an American rock supergroup');
  });

  it("search --k --json gives ranked results with title, text and score", async () => {
    const out = JSON.parse(await shard("search", "--shard", dir, "--k", "5", "--json", "Lothair II mother"));
    expect(out.query).toBe("Lothair II mother");
    expect(out.results.map((r: { rank: number }) => r.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(out.results[0].title).toBe("Lothair II");
    expect(typeof out.results[0].text).toBe("string");
    expect(out.results[0].score).toBeGreaterThanOrEqual(out.results[4].score);
  });

  it("search --queries answers one JSON line per query", async () => {
    const queries = join(work, "queries.txt");
    await writeFile(queries, "Teutberga queen of Lotharingia\n\nTinted Windows debut album\n");
    const lines = (await shard("search", "--shard", dir, "--k", "2", "--queries", queries))
      .trim()
      .split("\n");
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first.query).toBe("Teutberga queen of Lotharingia");
    expect(first.results).toHaveLength(2);
    expect(first.results[0]).toMatchObject({ rank: 1, title: "Teutberga" });
    expect(Object.keys(first.results[0]).sort()).toEqual(["id", "rank", "score", "text", "title"]);
    expect(second.results[0].title).toBe("Tinted Windows (album)");
  });

  it("info prints the header", async () => {
    const info = JSON.parse(await shard("info", "--shard", dir));
    expect(info.formatVersion).toBe(4);
    expect(info.passages).toBeGreaterThan(8000);
    expect(info.tokenizer.stemmer).toBe("porter");
    expect(info.tokenizer.stopWords.split(" ")).toContain("the");
    expect(info.bm25).toEqual({ k1: 0.9, b: 0.75, titleWeight: 5, titleB: 1, titleMatchBoost: 0.35 });
    expect(info.feedback).toEqual({
      docs: 3,
      terms: 50,
      originalWeight: 0.8,
      temperature: 1,
      maxDocFraction: 0.001,
    });
    expect(info.avgTitleTokens).toBeGreaterThan(1);
  });

  it("fails clearly without a shard or without a query", async () => {
    await expect(shard("info", "--shard", join(work, "missing"))).rejects.toThrow(/no shard at/);
    await expect(shard("search", "--shard", dir)).rejects.toThrow(/give a QUERY or --queries FILE/);
  });
});
