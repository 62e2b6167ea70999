import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/retrieval/bytes.ts";
import { openShardSearcher } from "../../src/retrieval/open-shard.ts";
import { formatRetrievedDocuments, type Passage } from "../../src/retrieval/search.ts";
import { SectionId, ShardFormatError } from "../../src/retrieval/shard-format.ts";
import { openShard } from "../../src/retrieval/shard-reader.ts";
import { buildShardBytes } from "../../src/retrieval/shard-writer.ts";
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
  // Find the section through the header table: preamble 16 bytes, fixed header 64 bytes, 24 bytes a section.
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const count = view.getUint32(16 + 52, true);
  for (let i = 0; i < count; i++) {
    const at = 16 + 64 + i * 24;
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
    expect(shard.info.formatVersion).toBe(1);
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

  it("opens through openShardSearcher from bytes", async () => {
    const searcher = await openShardSearcher({ bytes });
    expect(searcher.search("Wuppertal", 1)[0]?.title).toBe("Café Müller");
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
