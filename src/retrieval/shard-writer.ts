/**
 * Builds a shard: passages go in one at a time, are tokenized once, deduplicated by title + text and
 * packed into deflate blocks that leave through `onBlock` as soon as a block is full (so the passage
 * store never sits in memory). The inverted index (title and text as two fields, for BM25F) collects
 * as delta+varint postings in bounded memory, spilled as sorted runs to a RunStore (posting-runs.ts);
 * finish() merges the runs into the postings section, which leaves through `onPostings`, and returns
 * the rest of the index. Memory is then the budget plus per-term and per-passage arrays, whatever the
 * corpus size. Runtime-neutral: the Node builder streams to files, tests keep everything in memory.
 *
 * File layout written: head (preamble, header, every section but postings and passages), postings,
 * zero padding to 8, passage blocks.
 */
import { deflateSync } from "fflate";
import { boundUp, fieldNorms } from "./bm25f.ts";
import { ByteBuffer, compareBytes, crc32 } from "./bytes.ts";
import {
  buildPassageDictionary,
  DICTIONARY_SAMPLE_PASSAGES,
  MAX_DICTIONARY_BYTES,
} from "./passage-dictionary.ts";
import { type MergeProgress, memoryRunStore, PostingRuns, type RunStore } from "./posting-runs.ts";
import { SKIP_WORDS, summarizeList } from "./postings.ts";
import type { Passage } from "./search.ts";
import {
  CHECK_PAGE_BYTES,
  encodeHeader,
  headerByteLength,
  LAZILY_CHECKED,
  PREAMBLE_BYTES,
  type SectionEntry,
  SectionId,
  SHARD_FORMAT_VERSION,
  type ShardHeader,
} from "./shard-format.ts";
import {
  type Analyzer,
  createAnalyzer,
  DEFAULT_TOKENIZER,
  MEMO_LIMIT,
  type TokenizerSettings,
} from "./tokenizer.ts";

export interface ShardWriterOptions {
  tokenizer?: TokenizerSettings;
  /** BM25F parameters; the defaults are tuned on the HotpotQA dev split (see DEFAULT_SCORING). */
  k1?: number;
  b?: number;
  titleWeight?: number;
  titleB?: number;
  titleMatchBoost?: number;
  /** Pseudo-relevance feedback (RM3) settings stored for the reader; feedbackDocs 0 turns it off. */
  feedbackDocs?: number;
  feedbackTerms?: number;
  feedbackOriginalWeight?: number;
  feedbackTemperature?: number;
  feedbackMaxDocFraction?: number;
  passagesPerBlock?: number;
  /** Deflate level 0-9 (default 6: level 9 saved under 0.01% on Wikipedia passages, for 25% more time). */
  compressionLevel?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
  /**
   * Bytes of the shared deflate dictionary of the passage blocks (default 32 KiB, the most deflate
   * uses; 0 for none), made from the first `dictionarySample` passages (default 4096), which are held
   * back until it exists (passage-dictionary.ts).
   */
  dictionaryBytes?: number;
  dictionarySample?: number;
  /** Called with each finished passage block, in order. */
  onBlock?: (block: Uint8Array) => void;
  /** Called by finish() with the postings section, piece by piece, in order (views valid during the call). */
  onPostings?: (bytes: Uint8Array) => void;
  /** Called by finish() as it merges the posting runs: first, every few thousand terms, last. */
  onMerge?: (progress: MergeProgress) => void;
  /** Where posting runs are spilled (default: memory). */
  runStore?: RunStore;
  /** Postings bytes held in memory before a run is spilled (default 64 MiB). */
  runBytes?: number;
}

export type AddResult = "added" | "duplicate" | "empty";

export interface FinishedShard {
  header: ShardHeader;
  /** Preamble, header and every section except postings and passages, which follow it in the file. */
  head: Uint8Array;
  /** Byte length of the postings section (right after the head). */
  postingsLength: number;
  /** Where the passage blocks start (after the postings and zero padding to 8). */
  passagesOffset: number;
  /** Byte length of all passage blocks together. */
  passagesLength: number;
}

const MAX_U32 = 0xffffffff;

/**
 * BM25F defaults, tuned on the dev half of the HotpotQA questions in ../shared/data/wiki (bench/
 * retrieval.bench.ts): a title occurrence counts 5 text occurrences, both fields fully length-normalised
 * (b 0.75 for text, 1 for titles), k1 0.9, a passage whose whole title is in the query scores 35% more,
 * and RM3 feedback from the 3 best passages adds their 50 heaviest rare terms (in at most 0.1% of the
 * passages) with 20% of the query's weight.
 */
export const DEFAULT_SCORING = {
  k1: 0.9,
  b: 0.75,
  titleWeight: 5,
  titleB: 1,
  titleMatchBoost: 0.35,
  feedbackDocs: 3,
  feedbackTerms: 50,
  feedbackOriginalWeight: 0.8,
  feedbackTemperature: 1,
  feedbackMaxDocFraction: 0.001,
} as const;

export class ShardWriter {
  private readonly settings: TokenizerSettings;
  private readonly analyzer: Analyzer;
  /** Surface word -> term id, or -1 for a dropped word: one map lookup per token in the hot loop. */
  private wordIds = new Map<string, number>();
  private readonly scoring: { -readonly [K in keyof typeof DEFAULT_SCORING]: number };
  private readonly perBlock: number;
  private readonly level: NonNullable<ShardWriterOptions["compressionLevel"]>;
  private readonly onBlock: (block: Uint8Array) => void;
  private readonly encoder = new TextEncoder();

  private readonly termIds = new Map<string, number>();
  private readonly terms: string[] = [];
  private readonly runs: PostingRuns;
  private readonly onPostings: (bytes: Uint8Array) => void;
  /** Text and title term frequencies of the passage being indexed, by term id (reset after each passage). */
  private tf = new Uint32Array(1024);
  private titleTf = new Uint32Array(1024);

  private readonly seen = new Set<number>();
  private docLengths = new Uint16Array(1024);
  private titleLengths = new Uint8Array(1024);
  private totalTokens = 0;
  private totalTitleTokens = 0;
  private count = 0;

  private block = new ByteBuffer(64 * 1024);
  private blockFill = 0;
  private readonly dictionaryBytes: number;
  private readonly dictionarySample: number;
  /** The passage blocks' deflate dictionary, once made (empty: none). */
  private dictionary: Uint8Array | undefined;
  /** Passages stored before the dictionary exists, held back to make it. */
  private held: Passage[] = [];
  private readonly blockOffsets: number[] = [0];
  private readonly blockCrcs: number[] = [];
  private passageBytes = 0;

  constructor(options: ShardWriterOptions = {}) {
    this.settings = options.tokenizer ?? DEFAULT_TOKENIZER;
    this.analyzer = createAnalyzer(this.settings);
    this.scoring = { ...DEFAULT_SCORING };
    for (const key of Object.keys(DEFAULT_SCORING) as Array<keyof typeof DEFAULT_SCORING>) {
      const value = options[key];
      if (value !== undefined) {
        if (!Number.isFinite(value) || value < 0) throw new RangeError(`${key} must be a number >= 0`);
        this.scoring[key] = value;
      }
    }
    if (this.scoring.b > 1 || this.scoring.titleB > 1) throw new RangeError("b and titleB must be <= 1");
    if (this.scoring.feedbackOriginalWeight > 1) throw new RangeError("feedbackOriginalWeight must be <= 1");
    if (this.scoring.feedbackMaxDocFraction > 1) throw new RangeError("feedbackMaxDocFraction must be <= 1");
    if (this.scoring.feedbackTemperature === 0) throw new RangeError("feedbackTemperature must be > 0");
    this.scoring.feedbackDocs = Math.floor(this.scoring.feedbackDocs);
    this.scoring.feedbackTerms = Math.floor(this.scoring.feedbackTerms);
    this.perBlock = options.passagesPerBlock ?? 16;
    this.level = options.compressionLevel ?? 6;
    this.dictionaryBytes = Math.min(
      MAX_DICTIONARY_BYTES,
      Math.floor(options.dictionaryBytes ?? MAX_DICTIONARY_BYTES),
    );
    this.dictionarySample = Math.max(1, Math.floor(options.dictionarySample ?? DICTIONARY_SAMPLE_PASSAGES));
    if (!(this.dictionaryBytes >= 0)) throw new RangeError("dictionaryBytes must be a number >= 0");
    if (this.dictionaryBytes === 0) this.dictionary = new Uint8Array(0);
    this.onBlock = options.onBlock ?? (() => {});
    this.onPostings = options.onPostings ?? (() => {});
    this.runs = new PostingRuns(
      options.runStore ?? memoryRunStore(),
      options.runBytes ?? 64 * 1024 * 1024,
      options.onMerge,
    );
  }

  /** Posting runs spilled so far. */
  get runCount(): number {
    return this.runs.runCount;
  }

  get passageCount(): number {
    return this.count;
  }

  get termCount(): number {
    return this.terms.length;
  }

  /** Adds one passage unless it is empty or an exact duplicate (same title and same whitespace-normalised text). */
  add(passage: Passage): AddResult {
    const title = collapseSpaces(passage.title);
    const text = collapseSpaces(passage.text);
    if (!text) return "empty";
    const key = hash53(`${title}\u0000${text}`);
    if (this.seen.has(key)) return "duplicate";
    this.seen.add(key);

    const doc = this.count++;
    this.index(doc, title, text);
    this.store(title, text);
    if (this.runs.full) this.runs.spill(this.termOrder());
    return "added";
  }

  private termId(word: string): number {
    const term = this.analyzer.term(word);
    if (term === undefined) return -1;
    let id = this.termIds.get(term);
    if (id === undefined) {
      id = this.terms.length;
      this.termIds.set(term, id);
      this.terms.push(term);
      if (id >= this.tf.length) {
        const grown = new Uint32Array(this.tf.length * 2);
        grown.set(this.tf);
        this.tf = grown;
        const grownTitle = new Uint32Array(this.titleTf.length * 2);
        grownTitle.set(this.titleTf);
        this.titleTf = grownTitle;
      }
    }
    return id;
  }

  private index(doc: number, title: string, text: string): void {
    if (doc >= this.docLengths.length) {
      const grown = new Uint16Array(this.docLengths.length * 2);
      grown.set(this.docLengths);
      this.docLengths = grown;
      const grownTitles = new Uint8Array(this.titleLengths.length * 2);
      grownTitles.set(this.titleLengths);
      this.titleLengths = grownTitles;
    }
    const docTerms: number[] = [];
    const scanField = (contents: string, isTitle: boolean): number => {
      let length = 0;
      this.analyzer.scan(contents, (word) => {
        let id = this.wordIds.get(word);
        if (id === undefined) {
          id = this.termId(word);
          if (this.wordIds.size >= MEMO_LIMIT) this.wordIds = new Map();
          this.wordIds.set(word, id);
        }
        if (id < 0) return;
        length++;
        if (this.tf[id] === 0 && this.titleTf[id] === 0) docTerms.push(id);
        // Read the arrays after termId, which may have grown them.
        if (isTitle) this.titleTf[id]! += 1;
        else this.tf[id]! += 1;
      });
      return length;
    };
    const titleLength = scanField(title, true);
    this.titleLengths[doc] = Math.min(titleLength, 0xff);
    this.totalTitleTokens += titleLength;
    const length = scanField(text, false);
    this.docLengths[doc] = Math.min(length, 0xffff);
    this.totalTokens += length;
    for (const id of docTerms) {
      this.runs.add(id, doc, this.tf[id]!, this.titleTf[id]!);
      this.tf[id] = 0;
      this.titleTf[id] = 0;
    }
  }

  private store(title: string, text: string): void {
    if (this.dictionary === undefined) {
      this.held.push({ title, text });
      if (this.held.length >= this.dictionarySample) this.makeDictionary();
      return;
    }
    this.append(title, text);
  }

  /** Makes the dictionary from the passages held back, then blocks them. */
  private makeDictionary(): void {
    if (this.dictionary !== undefined) return;
    this.dictionary = buildPassageDictionary(this.held, this.dictionaryBytes);
    const held = this.held;
    this.held = [];
    for (const p of held) this.append(p.title, p.text);
  }

  private append(title: string, text: string): void {
    const titleBytes = this.encoder.encode(title);
    const textBytes = this.encoder.encode(text);
    this.block.varint(titleBytes.length);
    this.block.append(titleBytes);
    this.block.varint(textBytes.length);
    this.block.append(textBytes);
    if (++this.blockFill === this.perBlock) this.flushBlock();
  }

  private flushBlock(): void {
    if (this.blockFill === 0) return;
    const dictionary = this.dictionary!;
    const compressed = deflateSync(this.block.view(), {
      level: this.level,
      ...(dictionary.length > 0 ? { dictionary } : {}),
    });
    this.blockCrcs.push(crc32(compressed));
    this.passageBytes += compressed.length;
    this.blockOffsets.push(this.passageBytes);
    this.onBlock(compressed);
    this.block = new ByteBuffer(64 * 1024);
    this.blockFill = 0;
  }

  /** Term ids in output order: by their UTF-8 bytes (= code point order). */
  private termOrder(): (a: number, b: number) => number {
    const bytes = new Map<number, Uint8Array>();
    const of = (id: number) => {
      let b = bytes.get(id);
      if (!b) {
        b = this.encoder.encode(this.terms[id]!);
        bytes.set(id, b);
      }
      return b;
    };
    return (a, b) => compareBytes(of(a), of(b));
  }

  /**
   * Flushes the last block, merges the posting runs into the postings section (through `onPostings`)
   * and lays out the rest of the index. The writer cannot be used afterwards.
   */
  finish(): FinishedShard {
    this.makeDictionary();
    this.flushBlock();
    const compare = this.termOrder();
    const order = Uint32Array.from(this.terms, (_, id) => id).sort(compare);

    // The score bounds are computed with the reader's own field factors: the f32 parameters as the
    // header stores them, the capped lengths as the sections store them.
    const avgDocLength = this.count ? this.totalTokens / this.count : 0;
    const avgTitleLength = this.count ? this.totalTitleTokens / this.count : 0;
    const norms = fieldNorms(
      {
        b: Math.fround(this.scoring.b),
        titleB: Math.fround(this.scoring.titleB),
        titleWeight: Math.fround(this.scoring.titleWeight),
        avgDocLength,
        avgTitleLength,
      },
      this.docLengths,
      this.titleLengths,
      this.count,
    );

    const termBlob = new ByteBuffer(1024);
    const termOffsets = new Uint32Array(order.length + 1);
    const postingOffsets = new Uint32Array(order.length + 1);
    const termMaxima = new Float32Array(order.length);
    const skipOffsets = new Uint32Array(order.length + 1);
    const skips = new ByteBuffer(1024);
    const skipWord = new DataView(new ArrayBuffer(4));
    const postingPages = new PageCrcs();
    // Postings leave in pieces of about a megabyte.
    const out = new ByteBuffer(1 << 20);
    let postingsLength = 0;
    const flush = () => {
      postingPages.add(out.view());
      this.onPostings(out.view());
      out.length = 0;
    };
    let i = 0;
    this.runs.merge(order, compare, (term, df, list) => {
      termBlob.append(this.encoder.encode(this.terms[term]!));
      termOffsets[i + 1] = termBlob.length;
      const before = out.length;
      out.varint(df);
      postingsLength += out.length - before;
      const summary = summarizeList(list, postingsLength, norms);
      termMaxima[i] = boundUp(summary.maxTf);
      for (let j = 0; j < summary.skips.length; j += SKIP_WORDS) {
        skipWord.setUint32(0, summary.skips[j]!, true);
        skips.append(new Uint8Array(skipWord.buffer));
        skipWord.setUint32(0, summary.skips[j + 1]!, true);
        skips.append(new Uint8Array(skipWord.buffer));
        skipWord.setFloat32(0, boundUp(summary.skips[j + 2]!), true);
        skips.append(new Uint8Array(skipWord.buffer));
      }
      skipOffsets[i + 1] = skips.length / (4 * SKIP_WORDS);
      out.append(list);
      postingsLength += list.length;
      if (postingsLength > MAX_U32)
        throw new Error("postings exceed 4 GiB: split the corpus into several shards");
      postingOffsets[i + 1] = postingsLength;
      if (out.length >= 1 << 20) flush();
      i++;
    });
    flush();

    const sections: Array<[SectionId, Uint8Array]> = [
      [SectionId.StopWords, this.encoder.encode(this.settings.stopWords.join("\n"))],
      [SectionId.Terms, termBlob.view()],
      [SectionId.TermOffsets, asBytes(termOffsets)],
      [SectionId.PostingOffsets, asBytes(postingOffsets)],
      [SectionId.DocLengths, asBytes(this.docLengths.subarray(0, this.count))],
      [SectionId.TitleLengths, this.titleLengths.subarray(0, this.count)],
      [SectionId.BlockOffsets, asBytes(Float64Array.from(this.blockOffsets))],
      [SectionId.BlockCrcs, asBytes(Uint32Array.from(this.blockCrcs))],
      [SectionId.TermMaxima, asBytes(termMaxima)],
      [SectionId.SkipOffsets, asBytes(skipOffsets)],
      [SectionId.PassageDictionary, this.dictionary!],
      [SectionId.Skips, skips.view()],
      [
        SectionId.PageCrcs,
        asBytes(
          Uint32Array.from([
            ...PageCrcs.of(termBlob.view()),
            ...postingPages.finish(),
            ...PageCrcs.of(skips.view()),
          ]),
        ),
      ],
    ];
    const sectionCount = sections.length + 2;
    let offset = align8(PREAMBLE_BYTES + headerByteLength(sectionCount));
    const entries: SectionEntry[] = sections.map(([id, bytes]) => {
      const entry = { id, offset, length: bytes.length, crc: LAZILY_CHECKED.has(id) ? 0 : crc32(bytes) };
      offset = align8(offset + bytes.length);
      return entry;
    });
    const headLength = offset;
    entries.push({ id: SectionId.Postings, offset, length: postingsLength, crc: 0 });
    const passagesOffset = align8(offset + postingsLength);
    entries.push({ id: SectionId.Passages, offset: passagesOffset, length: this.passageBytes, crc: 0 });

    const header: ShardHeader = {
      version: SHARD_FORMAT_VERSION,
      passageCount: this.count,
      termCount: order.length,
      blockCount: this.blockCrcs.length,
      passagesPerBlock: this.perBlock,
      avgDocLength,
      avgTitleLength,
      ...this.scoring,
      tokenizer: this.settings,
      fileLength: passagesOffset + this.passageBytes,
      sections: entries,
    };
    const head = new Uint8Array(headLength);
    head.set(encodeHeader(header), 0);
    sections.forEach(([, bytes], i) => {
      head.set(bytes, entries[i]!.offset);
    });
    return { header, head, postingsLength, passagesOffset, passagesLength: this.passageBytes };
  }
}

/** Builds a whole shard in memory (tests, benchmarks, small corpora). */
export function buildShardBytes(
  passages: Iterable<Passage>,
  options: Omit<ShardWriterOptions, "onBlock" | "onPostings"> = {},
) {
  const blocks: Uint8Array[] = [];
  const postings: Uint8Array[] = [];
  const writer = new ShardWriter({
    ...options,
    onBlock: (block) => blocks.push(block),
    onPostings: (bytes) => postings.push(bytes.slice()),
  });
  for (const passage of passages) writer.add(passage);
  const { head, header, passagesOffset } = writer.finish();
  const out = new Uint8Array(header.fileLength);
  out.set(head, 0);
  let at = head.length;
  for (const piece of postings) {
    out.set(piece, at);
    at += piece.length;
  }
  at = passagesOffset;
  for (const block of blocks) {
    out.set(block, at);
    at += block.length;
  }
  return out;
}

/** CRC-32s of consecutive CHECK_PAGE_BYTES pages of a stream of bytes, fed in any pieces. */
class PageCrcs {
  private readonly crcs: number[] = [];
  private crc = 0;
  private fill = 0;

  static of(bytes: Uint8Array): number[] {
    const pages = new PageCrcs();
    pages.add(bytes);
    return pages.finish();
  }

  add(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(CHECK_PAGE_BYTES - this.fill, bytes.length - at);
      this.crc = crc32(bytes.subarray(at, at + n), this.crc);
      this.fill += n;
      at += n;
      if (this.fill === CHECK_PAGE_BYTES) {
        this.crcs.push(this.crc);
        this.crc = 0;
        this.fill = 0;
      }
    }
  }

  finish(): number[] {
    if (this.fill > 0) this.crcs.push(this.crc);
    this.fill = 0;
    return this.crcs;
  }
}

const UNTIDY_SPACE = /\s\s|[^\S ]|^\s|\s$/;

/** Whitespace runs to one space, trimmed; most passages are already tidy, so test before copying. */
function collapseSpaces(s: string): string {
  return UNTIDY_SPACE.test(s) ? s.replace(/\s+/g, " ").trim() : s;
}

function asBytes(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** cyrb53: a fast 53-bit string hash, enough to tell a million passages apart (collision odds ~1e-4). */
function hash53(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
