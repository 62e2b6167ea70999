import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShardInputError } from "../../src/retrieval/inputs/layouts.ts";
import { buildShard } from "../../src/retrieval/node/build-shard.ts";
import { openShardFrom, openShardSearcher } from "../../src/retrieval/open-shard.ts";
import { ShardFormatError } from "../../src/retrieval/shard-format.ts";

const WIKI = join(import.meta.dirname, "../../../shared/data/wiki");

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "shard-build-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Expected layout and a title that must be findable, per real data file (read in place). */
const REAL_FILES: Array<{ file: string; layout: string; title?: string; minPassages: number }> = [
  { file: "flashrag_wiki18_sample.jsonl", layout: "wiki18", title: "Evan Morris", minPassages: 900 },
  { file: "hipporag_2wiki_corpus.json", layout: "title-text", title: "Teutberga", minPassages: 5000 },
  {
    file: "hipporag_hotpotqa_train_sample.json",
    layout: "hotpotqa",
    title: "Lilu (mythology)",
    minPassages: 900,
  },
  {
    file: "hipporag_hotpotqa_train_sample_corpus.json",
    layout: "title-sentences dict",
    title: "Demon Dice",
    minPassages: 900,
  },
  {
    file: "hipporag_musique_train_sample.json",
    layout: "musique",
    title: "Journal of Mathematical Physics",
    minPassages: 1500,
  },
  {
    file: "hipporag_musique_train_sample_corpus.json",
    layout: "title-text",
    title: "Person-centered therapy",
    minPassages: 1500,
  },
  {
    file: "hotpotqa_rpt_dev.jsonl",
    layout: "hotpotqa-hf",
    title: "Tinted Windows (band)",
    minPassages: 2500,
  },
  { file: "hotpotqa_rpt_train.jsonl", layout: "hotpotqa-hf", title: "Russian Civil War", minPassages: 2500 },
  { file: "kag_2wiki_dev_2.json", layout: "hotpotqa", title: "Lothair II", minPassages: 15 },
  { file: "kag_musique_dev_100.json", layout: "musique", title: "Keala Settle", minPassages: 1500 },
];

describe("builder reads every file in shared/data/wiki", () => {
  for (const { file, layout, title, minPassages } of REAL_FILES) {
    it(`${file} (${layout})`, async () => {
      const out = join(work, file);
      const stats = await buildShard({ inputs: [join(WIKI, file)], outDir: out });
      expect(stats.files[0]?.layouts.has(layout)).toBe(true);
      expect(stats.added).toBeGreaterThanOrEqual(minPassages);
      const shard = await openShardFrom({ path: out });
      expect(shard.info.passages).toBe(stats.added);
      expect(shard.search(title!, 5).map((h) => h.title)).toContain(title);
      expect(await readdir(out)).toEqual(["shard.pas"]);
    });
  }

  it("flashrag_nq_test_sample.jsonl holds questions only: read, no passages", async () => {
    const stats = await buildShard({
      inputs: [join(WIKI, "flashrag_nq_test_sample.jsonl")],
      outDir: join(work, "nq"),
    });
    expect(stats.files[0]?.layouts).toEqual(new Set(["question-only"]));
    expect(stats.added).toBe(0);
    const shard = await openShardFrom({ path: join(work, "nq") });
    expect(shard.search("nobel prize", 3)).toEqual([]);
  });

  it("deduplicates the same paragraphs across files (2Wiki questions vs the 2Wiki corpus)", async () => {
    const corpus = join(WIKI, "hipporag_2wiki_corpus.json");
    const alone = await buildShard({ inputs: [corpus], outDir: join(work, "2wiki-alone") });
    const both = await buildShard({
      inputs: [corpus, join(WIKI, "kag_2wiki_dev_2.json")],
      outDir: join(work, "2wiki-both"),
    });
    expect(both.added).toBe(alone.added);
    expect(both.duplicates).toBeGreaterThanOrEqual(20);
  });

  it("the wiki-18 passage keeps its text and its quoted-title contents round trip", async () => {
    const first = JSON.parse(
      readFileSync(join(WIKI, "flashrag_wiki18_sample.jsonl"), "utf8").split("\n")[0]!,
    );
    const shard = await openShardFrom({ path: join(work, "flashrag_wiki18_sample.jsonl") });
    expect(`"${shard.passage(0).title}"\n${shard.passage(0).text}`).toBe(
      first.contents.replace(/[ \t]+/g, " ").trim(),
    );
  });
});

const PAGE = (title: string, ns: number, body: string, redirect = "") => `  <page>
    <title>${title}</title>
    <ns>${ns}</ns>
    <id>1</id>${redirect}
    <revision>
      <id>2</id>
      <text bytes="1" xml:space="preserve">${body}</text>
    </revision>
  </page>`;

const LONG = Array.from({ length: 230 }, (_, i) => `word${i}`).join(" ");
const DUMP = `<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">
  <siteinfo><sitename>Wikipedia</sitename></siteinfo>
${PAGE("Ada Lovelace", 0, "'''Augusta Ada King''' was an English [[mathematician]] and writer.{{Infobox person|name=Ada}}\n\n== Work ==\nShe wrote about the [[Analytical Engine|analytical engine]] of Charles Babbage.&lt;ref&gt;A source&lt;/ref&gt;")}
${PAGE("Lovelace", 0, "#REDIRECT [[Ada Lovelace]]", '\n    <redirect title="Ada Lovelace" />')}
${PAGE("Talk:Ada Lovelace", 1, "This talk page must not become a passage about zebrafish.")}
${PAGE("Long article", 0, LONG)}
</mediawiki>
`;

describe("builder reads a Wikipedia XML dump", () => {
  it("turns wikitext into plain-text passages of about 100 words, skipping redirects and other namespaces", async () => {
    const xml = join(work, "sample-pages-articles.xml");
    await writeFile(xml, DUMP);
    const stats = await buildShard({ inputs: [xml], outDir: join(work, "xml") });
    expect(stats.files[0]?.format).toBe("wiki-xml");
    expect(stats.files[0]?.pages).toBe(4);
    expect(stats.files[0]?.skippedPages).toBe(2);
    const shard = await openShardFrom({ path: join(work, "xml") });
    expect(shard.info.passages).toBe(4); // Ada Lovelace + 3 chunks of the 230-word article
    const ada = shard.search("Babbage analytical engine", 1)[0]!;
    expect(ada.title).toBe("Ada Lovelace");
    expect(ada.text).toContain("Augusta Ada King was an English mathematician and writer.");
    expect(ada.text).toContain("She wrote about the analytical engine of Charles Babbage.");
    expect(ada.text).not.toMatch(/\[\[|\{\{|'''|<ref|Infobox/);
    expect(shard.search("zebrafish", 3)).toEqual([]);
    const chunks = [0, 1, 2].map((i) => shard.search(`word${i * 100}`, 1)[0]!.text.split(" ").length);
    expect(chunks).toEqual([100, 100, 30]);
  });

  it("reads the same dump compressed with bzip2", async () => {
    const xml = join(work, "bz-pages-articles.xml");
    await writeFile(xml, DUMP);
    execFileSync("bzip2", ["-k", xml]);
    const stats = await buildShard({ inputs: [`${xml}.bz2`], outDir: join(work, "bz2") });
    expect(stats.files[0]?.compressed).toBe(true);
    expect(stats.added).toBe(4);
    const searcher = await openShardSearcher({ path: join(work, "bz2", "shard.pas") });
    expect(searcher.search("Ada mathematician", 1)[0]?.title).toBe("Ada Lovelace");
  });

  it("fails clearly on a truncated dump and leaves no shard behind", async () => {
    const xml = join(work, "cut.xml");
    await writeFile(xml, DUMP.slice(0, DUMP.length - 200));
    await expect(buildShard({ inputs: [xml], outDir: join(work, "cut") })).rejects.toThrow(
      /cut\.xml: malformed XML/,
    );
    expect(await readdir(join(work, "cut"))).toEqual([]);
  });
});

describe("builder options and bad input", () => {
  const corpus = join(WIKI, "hipporag_2wiki_corpus.json");

  it("--max-passages stops after N distinct passages", async () => {
    const stats = await buildShard({ inputs: [corpus], outDir: join(work, "max"), maxPassages: 50 });
    expect(stats.added).toBe(50);
    expect((await openShardFrom({ path: join(work, "max") })).info.passages).toBe(50);
  });

  it("--titles keeps only the listed titles", async () => {
    const titles = join(work, "titles.txt");
    await writeFile(titles, "Teutberga\nLothair_II\n");
    const stats = await buildShard({ inputs: [corpus], outDir: join(work, "titles"), titlesFile: titles });
    const shard = await openShardFrom({ path: join(work, "titles") });
    const kept = new Set(Array.from({ length: shard.info.passages }, (_, i) => shard.passage(i).title));
    expect(kept).toEqual(new Set(["Teutberga", "Lothair II"]));
    expect(stats.filtered).toBeGreaterThan(6000);
  });

  it("rejects a file of unknown content, naming it", async () => {
    const bad = join(work, "notes.txt");
    await writeFile(bad, "just some notes\n");
    await expect(buildShard({ inputs: [bad], outDir: join(work, "bad") })).rejects.toThrow(ShardInputError);
    await expect(buildShard({ inputs: [bad], outDir: join(work, "bad") })).rejects.toThrow(
      /notes\.txt: not an input/,
    );
  });

  it("rejects a JSONL line that is not JSON, naming the line", async () => {
    const bad = join(work, "broken.jsonl");
    await writeFile(bad, '{"title": "A", "text": "fine"}\n{"title": "B", "text": \n');
    await expect(buildShard({ inputs: [bad], outDir: join(work, "broken") })).rejects.toThrow(
      /broken\.jsonl line 2: not valid JSON/,
    );
  });

  it("rejects JSON records of an unknown layout", async () => {
    const bad = join(work, "odd.json");
    await writeFile(bad, JSON.stringify([{ name: "x", body: "y" }]));
    await expect(buildShard({ inputs: [bad], outDir: join(work, "odd") })).rejects.toThrow(
      /odd\.json item 0: not a passage layout/,
    );
  });

  it("a missing shard directory gives a clear error", async () => {
    await expect(openShardFrom({ path: join(work, "nowhere") })).rejects.toThrow(/no shard at/);
    await expect(openShardFrom({ path: work })).rejects.toThrow(ShardFormatError);
  });
});

describe("openShardSearcher sources", () => {
  it("fetches a shard from a URL (as the browser worker does)", async () => {
    const out = join(work, "served");
    await buildShard({ inputs: [join(WIKI, "kag_2wiki_dev_2.json")], outDir: out });
    const bytes = await readFile(join(out, "shard.pas"));
    const server = createServer((req, res) => {
      if (req.url === "/shard.pas") res.end(bytes);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const searcher = await openShardSearcher({ url: `${base}/shard.pas` });
      expect(searcher.search("Teutberga queen", 1)[0]?.title).toBe("Teutberga");
      await expect(openShardSearcher({ url: `${base}/missing.pas` })).rejects.toThrow(/HTTP 404/);
    } finally {
      server.close();
    }
  });
});
