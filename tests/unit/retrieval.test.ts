import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/retrieval/bytes.ts";
import { openShardSearcher } from "../../src/retrieval/open-shard.ts";
import { formatRetrievedDocuments, type Passage } from "../../src/retrieval/search.ts";
import { SectionId, SHARD_FORMAT_VERSION, ShardFormatError } from "../../src/retrieval/shard-format.ts";
import { openShard } from "../../src/retrieval/shard-reader.ts";
import {
  buildShardBytes,
  DEFAULT_SCORING,
  type ShardWriterOptions,
} from "../../src/retrieval/shard-writer.ts";
import { createTokenizer, DEFAULT_TOKENIZER } from "../../src/retrieval/tokenizer.ts";

const PASSAGES: Passage[] = [
  {
    title: "Lothair II",
    text: "Lothair II was the king of Lotharingia. He was married to Teutberga, daughter of Boso the Elder.",
  },
  {
    title: "Teutberga",
    text: "Teutberga died 11 November 875. She was a queen of Lotharingia by marriage to Lothair II.",
  },
  {
    title: "Café Müller",
    text: "Café Müller is a dance piece by Pina Bausch, first performed in Wuppertal in 1978.",
  },
  {
    title: "Running",
    text: "Running is a method of terrestrial locomotion allowing humans to move rapidly on foot.",
  },
  {
    title: "Tulsa",
    text: "Tulsa is the second-largest city in the state of Oklahoma; Cain's Ballroom stands there.",
  },
];

function flip(bytes: Uint8Array, at: number): void {
  bytes[at] = bytes[at]! ^ 0x55;
}

function sectionOf(bytes: Uint8Array, id: SectionId) {
  // Find the section through the header table: preamble 16 bytes, fixed header 96 bytes, 24 bytes a section.
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const count = view.getUint32(16 + 52, true);
  for (let i = 0; i < count; i++) {
    const at = 16 + 96 + i * 24;
    if (view.getUint32(at, true) === id) {
      return {
        offset: Number(view.getBigUint64(at + 8, true)),
        length: Number(view.getBigUint64(at + 16, true)),
      };
    }
  }
  throw new Error(`section ${id} not found`);
}

describe("tokenizer", () => {
  const tokenize = createTokenizer(DEFAULT_TOKENIZER);

  it("normalises (NFKC), lower-cases, folds accents, drops stop words and stems", () => {
    expect(tokenize("The ﬁnal Runners were RUNNING in the Café")).toEqual([
      "final",
      "runner",
      "were",
      "run",
      "cafe",
    ]);
  });

  it("cuts possessives and keeps digits", () => {
    expect(tokenize("Cain's Ballroom, 1978")).toEqual(["cain", "ballroom", "1978"]);
  });

  it("honours its settings: no stemmer, own stop words, no folding", () => {
    const plain = createTokenizer({
      ...DEFAULT_TOKENIZER,
      stemmer: "none",
      stopWords: ["café"],
      foldDiacritics: false,
    });
    expect(plain("The Café runners")).toEqual(["the", "runners"]);
  });
});

describe("shard writer and reader", () => {
  const bytes = buildShardBytes(PASSAGES, { passagesPerBlock: 2 });
  const shard = openShard(bytes);

  it("counts passages, blocks and stores the tokenizer settings", () => {
    expect(shard.info.passages).toBe(5);
    expect(shard.info.blocks).toBe(3);
    expect(shard.info.formatVersion).toBe(SHARD_FORMAT_VERSION);
    expect(shard.info.tokenizer).toEqual(DEFAULT_TOKENIZER);
    expect(shard.info.bytes).toBe(bytes.length);
  });

  it("returns every passage as it went in", () => {
    PASSAGES.forEach((p, i) => {
      expect(shard.passage(i)).toEqual(p);
    });
    expect(() => shard.passage(5)).toThrow(RangeError);
  });

  it("ranks the passage that holds the rare query terms first", () => {
    const hits = shard.search("When did Teutberga die?", 3);
    expect(hits[0]?.title).toBe("Teutberga");
    expect(hits[0]?.id).toBe(1);
    expect(hits.every((h, i) => i === 0 || h.score <= hits[i - 1]!.score)).toBe(true);
    expect(shard.search("cafe muller", 1)[0]?.title).toBe("Café Müller");
    expect(shard.search("runs", 1)[0]?.title).toBe("Running");
  });

  it("returns nothing for unknown words, stop words only, or k = 0", () => {
    expect(shard.search("zyzzyva", 3)).toEqual([]);
    expect(shard.search("the of and", 3)).toEqual([]);
    expect(shard.search("Lotharingia", 0)).toEqual([]);
  });

  it("gives at most k hits and repeated searches give the same scores", () => {
    const first = shard.search("Lotharingia Lothair", 1);
    expect(first).toHaveLength(1);
    expect(shard.search("Lotharingia Lothair", 1)).toEqual(first);
    expect(shard.search("Lotharingia", 10)).toHaveLength(2);
  });

  it("drops exact duplicates (same title and text, whitespace aside) and empty passages", () => {
    const deduped = openShard(
      buildShardBytes([
        PASSAGES[0]!,
        { title: "Lothair II", text: `  ${PASSAGES[0]!.text.replace(/ /g, "  ")} ` },
        { title: "Other title", text: PASSAGES[0]!.text },
        { title: "Empty", text: "   " },
      ]),
    );
    expect(deduped.info.passages).toBe(2);
  });

  it("queries with the tokenizer stored in the shard", () => {
    const raw = openShard(
      buildShardBytes(PASSAGES, { tokenizer: { ...DEFAULT_TOKENIZER, stemmer: "none" } }),
    );
    expect(raw.info.tokenizer.stemmer).toBe("none");
    expect(raw.search("runs", 3)).toEqual([]);
    expect(raw.search("running", 1)[0]?.title).toBe("Running");
  });

  it("reads bytes that sit at an odd offset of a bigger buffer", () => {
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(openShard(padded.subarray(3)).search("Tulsa", 1)[0]?.title).toBe("Tulsa");
  });

  it("formats hits in the reference observation layout", () => {
    const text = formatRetrievedDocuments(shard.search("Teutberga queen", 2));
    expect(text).toMatch(
      /^\nRetrieved documents:\n\n===== Document 0, similarity: \d+\.\d\d =====\n"Teutberga"\nTeutberga died/,
    );
    expect(text).toContain("\n\n===== Document 1, similarity: ");
  });

  it("shares one deflate dictionary among the passage blocks, made from the first passages held back", () => {
    // Passages before and after the sample that makes the dictionary, with and without a dictionary.
    const many = Array.from({ length: 40 }, (_, i) => ({
      title: `${PASSAGES[i % 5]!.title} ${i}`,
      text: `${PASSAGES[(i * 3) % 5]!.text} Passage number ${i}.`,
    }));
    const withDictionary = buildShardBytes(many, { passagesPerBlock: 4, dictionarySample: 7 });
    const without = buildShardBytes(many, { passagesPerBlock: 4, dictionaryBytes: 0 });
    expect(sectionOf(withDictionary, SectionId.PassageDictionary).length).toBeGreaterThan(100);
    expect(sectionOf(without, SectionId.PassageDictionary).length).toBe(0);
    const a = openShard(withDictionary);
    const b = openShard(without);
    many.forEach((p, i) => {
      expect(a.passage(i)).toEqual(p);
      expect(b.passage(i)).toEqual(p);
    });
    expect(a.info.sections.passages!).toBeLessThan(b.info.sections.passages!);
    expect(a.search("Teutberga Lotharingia", 5)).toEqual(b.search("Teutberga Lotharingia", 5));
    // The same passages give the same bytes.
    expect(buildShardBytes(many, { passagesPerBlock: 4, dictionarySample: 7 })).toEqual(withDictionary);
  });

  it("opens through openShardSearcher from bytes", async () => {
    const searcher = await openShardSearcher({ bytes });
    expect(searcher.search("Wuppertal", 1)[0]?.title).toBe("Café Müller");
  });
});

describe("BM25F scoring", () => {
  // Two passages with the same terms, the same term frequencies and the same lengths: "Ossory" is in
  // the title of one and only in the text of the other.
  const twins: Passage[] = [
    { title: "Kingdom chronicle", text: "A chronicle of the kingdom of Ossory with annals of its kings." },
    { title: "Ossory chronicle", text: "A chronicle of the kingdom of kingdom with annals of its kings." },
  ];
  const plain = { titleMatchBoost: 0, feedbackDocs: 0 };

  it("a title match outranks a text-only match of the same term statistics", () => {
    const shard = openShard(buildShardBytes(twins, plain));
    // Same text/title lengths, each passage has "ossory" once and "kingdom" once or twice; the title
    // occurrence weighs more, so the passage titled Ossory wins although it comes second.
    const hits = shard.search("Ossory", 2);
    expect(hits.map((h) => h.title)).toEqual(["Ossory chronicle", "Kingdom chronicle"]);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    // With the title weighted as text and no length normalisation of titles, they tie: ties go to the lower id.
    const flat = openShard(buildShardBytes(twins, { ...plain, titleWeight: 1, titleB: 0, b: 0 }));
    const tied = flat.search("Ossory", 2);
    expect(tied[0]!.score).toBe(tied[1]!.score);
    expect(tied.map((h) => h.id)).toEqual([0, 1]);
  });

  it("a passage whose whole title is in the query gets the title-match boost", () => {
    const passages: Passage[] = [
      { title: "Ossory chronicle", text: "Annals of Ossory." },
      { title: "Ossory", text: "Annals of a chronicle." },
    ];
    const without = openShard(buildShardBytes(passages, plain)).search("Ossory annals", 2);
    const withBoost = openShard(buildShardBytes(passages, { ...plain, titleMatchBoost: 0.5 })).search(
      "Ossory annals",
      2,
    );
    const score = (hits: typeof without, title: string) => hits.find((h) => h.title === title)!.score;
    expect(score(withBoost, "Ossory")).toBeCloseTo(score(without, "Ossory") * 1.5, 4);
    expect(score(withBoost, "Ossory chronicle")).toBe(score(without, "Ossory chronicle"));
  });

  it("is deterministic: same bytes, same hits, same scores, ties by passage id", () => {
    const a = buildShardBytes(PASSAGES);
    expect(buildShardBytes(PASSAGES)).toEqual(a);
    const one = openShard(a);
    const two = openShard(a.slice());
    for (const q of ["Lothair queen of Lotharingia", "Teutberga", "dance piece Wuppertal", "city Oklahoma"]) {
      const first = one.search(q, 5);
      expect(one.search(q, 5)).toEqual(first);
      expect(two.search(q, 5)).toEqual(first);
    }
    const same = Array.from({ length: 4 }, () => ({ title: "Same", text: "identical words here" }));
    const dup = openShard(
      buildShardBytes(
        same.map((p, i) => ({ ...p, text: `${p.text} ${"x".repeat(i + 1)}` })),
        plain,
      ),
    );
    // Equal scores on "identical" (the extra word differs, lengths are equal): lower ids first.
    expect(dup.search("identical", 4).map((h) => h.id)).toEqual([0, 1, 2, 3]);
  });

  it("stores the scoring parameters in the shard and reads them back", () => {
    const defaults = openShard(buildShardBytes(PASSAGES)).info;
    expect(defaults.bm25).toEqual({
      k1: DEFAULT_SCORING.k1,
      b: DEFAULT_SCORING.b,
      titleWeight: DEFAULT_SCORING.titleWeight,
      titleB: DEFAULT_SCORING.titleB,
      titleMatchBoost: DEFAULT_SCORING.titleMatchBoost,
    });
    expect(defaults.feedback).toEqual({
      docs: DEFAULT_SCORING.feedbackDocs,
      terms: DEFAULT_SCORING.feedbackTerms,
      originalWeight: DEFAULT_SCORING.feedbackOriginalWeight,
      temperature: DEFAULT_SCORING.feedbackTemperature,
      maxDocFraction: DEFAULT_SCORING.feedbackMaxDocFraction,
    });
    const custom = openShard(
      buildShardBytes(PASSAGES, {
        k1: 1.2,
        b: 0.5,
        titleWeight: 3,
        titleB: 0.25,
        titleMatchBoost: 0.125,
        feedbackDocs: 5,
        feedbackTerms: 20,
        feedbackOriginalWeight: 0.625,
        feedbackTemperature: 2,
        feedbackMaxDocFraction: 0.25,
      }),
    ).info;
    expect(custom.bm25).toEqual({ k1: 1.2, b: 0.5, titleWeight: 3, titleB: 0.25, titleMatchBoost: 0.125 });
    expect(custom.feedback).toEqual({
      docs: 5,
      terms: 20,
      originalWeight: 0.625,
      temperature: 2,
      maxDocFraction: 0.25,
    });
    expect(custom.avgTitleTokens).toBeCloseTo(7 / 5);
    expect(() => buildShardBytes(PASSAGES, { k1: -1 })).toThrow(RangeError);
    expect(() => buildShardBytes(PASSAGES, { feedbackOriginalWeight: 1.5 })).toThrow(RangeError);
  });

  it("feedback (RM3) pulls in a passage that shares the best hit's words but not the query's", () => {
    const passages: Passage[] = [
      { title: "Tinted Windows (band)", text: "Tinted Windows was a supergroup formed in 2008 in Tulsa." },
      {
        title: "Cain's Ballroom",
        text: "Cain's Ballroom in Tulsa hosted the supergroup's first show in 2008.",
      },
      { title: "Running", text: PASSAGES[3]!.text },
    ];
    const search = (options: ShardWriterOptions) =>
      openShard(buildShardBytes(passages, options))
        .search("Tinted Windows band", 3)
        .map((h) => h.title);
    expect(search({ feedbackDocs: 0 })).toEqual(["Tinted Windows (band)"]);
    const feedback = { feedbackDocs: 1, feedbackTerms: 10, feedbackMaxDocFraction: 1 };
    expect(search(feedback)).toEqual(["Tinted Windows (band)", "Cain's Ballroom"]);
    // "tulsa", "supergroup" and "2008" are in 2 of the 3 passages: over a 0.5 cap they cannot join.
    expect(search({ ...feedback, feedbackMaxDocFraction: 0.5 })).toEqual(["Tinted Windows (band)"]);
    // The passage only an added term reaches gets the same score pruned (one walk) as exhaustive.
    const bytes = buildShardBytes(passages, feedback);
    expect(openShard(bytes).search("Tinted Windows band", 3)).toEqual(
      openShard(bytes, { pruning: false }).search("Tinted Windows band", 3),
    );
  });
});

describe("bad shards fail clearly", () => {
  const bytes = buildShardBytes(PASSAGES, { passagesPerBlock: 2 });

  it("rejects a truncated file", () => {
    expect(() => openShard(bytes.subarray(0, bytes.length - 10))).toThrow(
      /truncated shard: \d+ of \d+ bytes/,
    );
    expect(() => openShard(bytes.subarray(0, 40))).toThrow(ShardFormatError);
    expect(() => openShard(bytes.subarray(0, 5))).toThrow(/shorter than/);
  });

  it("rejects something that is not a shard", () => {
    expect(() => openShard(new TextEncoder().encode('{"title": "not a shard", "text": "json"}'))).toThrow(
      /PKSHARD magic/,
    );
  });

  it("rejects another format version", () => {
    const other = bytes.slice();
    new DataView(other.buffer).setUint32(8, 99, true);
    expect(() => openShard(other)).toThrow(/unsupported shard format version 99/);
  });

  it("rejects format 1, 2 and 3 shards (no title field, no score bounds, no dictionary) and names the rebuild command", () => {
    expect(SHARD_FORMAT_VERSION).toBe(4);
    const old = bytes.slice();
    new DataView(old.buffer).setUint32(8, 1, true);
    expect(() => openShard(old)).toThrow(ShardFormatError);
    expect(() => openShard(old)).toThrow(
      /unsupported shard format version 1 \(it has no title field\): this reader reads version 4; rebuild .*`pocket-agent shard build --out DIR INPUT\.\.\.`/,
    );
    new DataView(old.buffer).setUint32(8, 2, true);
    expect(() => openShard(old)).toThrow(
      /unsupported shard format version 2 \(it has no score bounds for pruned search\): this reader reads version 4; rebuild/,
    );
    new DataView(old.buffer).setUint32(8, 3, true);
    expect(() => openShard(old)).toThrow(
      /unsupported shard format version 3 \(its passage blocks have no shared dictionary\): this reader reads version 4; rebuild/,
    );
  });

  it("rejects a corrupt passage dictionary at open", () => {
    const bad = bytes.slice();
    flip(bad, sectionOf(bytes, SectionId.PassageDictionary).offset);
    expect(() => openShard(bad)).toThrow(/checksum mismatch in the passage dictionary section/);
  });

  it("rejects corrupt title lengths at open", () => {
    const bad = bytes.slice();
    flip(bad, sectionOf(bytes, SectionId.TitleLengths).offset);
    expect(() => openShard(bad)).toThrow(/checksum mismatch in the title lengths section/);
  });

  it("rejects a corrupt header", () => {
    const bad = bytes.slice();
    flip(bad, 16 + 4); // passage count
    expect(() => openShard(bad)).toThrow(/header checksum mismatch/);
  });

  it("rejects corrupt passage lengths at open", () => {
    const bad = bytes.slice();
    flip(bad, sectionOf(bytes, SectionId.DocLengths).offset + 1);
    expect(() => openShard(bad)).toThrow(/checksum mismatch in the passage lengths section/);
  });

  for (const [name, id] of [
    ["postings", SectionId.Postings],
    ["terms", SectionId.Terms],
  ] as const) {
    it(`rejects corrupt ${name} when a query first reads them`, () => {
      const bad = bytes.slice();
      flip(bad, sectionOf(bytes, id).offset + 3);
      const shard = openShard(bad);
      const everyTerm = () => {
        for (const p of PASSAGES) shard.search(`${p.title} ${p.text}`, 1);
      };
      expect(everyTerm).toThrow(new RegExp(`checksum mismatch in the ${name} section \\(page 0\\)`));
      expect(() => openShard(bad, { verify: false })).not.toThrow();
    });
  }

  it("rejects a corrupt passage block when it is read, and names it", () => {
    const bad = bytes.slice();
    const passages = sectionOf(bytes, SectionId.Passages);
    flip(bad, passages.offset + passages.length - 2);
    const shard = openShard(bad);
    expect(shard.passage(0).title).toBe("Lothair II");
    expect(() => shard.passage(4)).toThrow(/checksum mismatch in passage block 2/);
    expect(() => shard.search("Tulsa Oklahoma", 1)).toThrow(ShardFormatError);
  });

  it("verifyAll checks every page and block at once (verifyIndex the pages), before any query reaches them", () => {
    expect(() => openShard(bytes).verifyAll()).not.toThrow();
    for (const [id, pattern] of [
      [SectionId.Postings, /checksum mismatch in the postings section/],
      [SectionId.Terms, /checksum mismatch in the terms section/],
      [SectionId.Skips, /checksum mismatch in the skips section/],
      [SectionId.Passages, /checksum mismatch in passage block/],
    ] as const) {
      const section = sectionOf(bytes, id);
      if (section.length === 0) continue;
      const bad = bytes.slice();
      flip(bad, section.offset + section.length - 1);
      const shard = openShard(bad); // opens: these sections are checked lazily
      expect(() => shard.verifyAll()).toThrow(pattern);
      // Also when the shard was opened without checks.
      expect(() => openShard(bad, { verify: false }).verifyAll()).toThrow(pattern);
      // verifyIndex covers the index pages only; passage blocks are checked as they are read.
      if (id === SectionId.Passages) expect(() => openShard(bad).verifyIndex()).not.toThrow();
      else expect(() => openShard(bad).verifyIndex()).toThrow(pattern);
    }
  });

  it("crc32 matches the standard check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });
});

describe("runtime neutrality", () => {
  it("the reader side imports no node:* module statically (it runs in the browser worker too)", async () => {
    const { readFile } = await import("node:fs/promises");
    const dir = new URL("../../src/retrieval/", import.meta.url);
    for (const file of [
      "shard-reader.ts",
      "shard-format.ts",
      "bytes.ts",
      "tokenizer.ts",
      "open-shard.ts",
      "search.ts",
    ]) {
      const source = await readFile(new URL(file, dir), "utf8");
      expect(source, file).not.toMatch(/from\s+["']node:/);
      expect(source, file).not.toMatch(/require\(/);
    }
  });
});
