/**
 * Reads a shard straight from its bytes (an ArrayBuffer, a fetched file, an OPFS file): typed-array
 * views over the index sections, no JSON, no copy unless the bytes are misaligned. BM25F scoring (title
 * and text fields, plus a boost for a passage whose whole title is in the query) over delta+varint
 * postings: pruned document-at-a-time by default (max-score.ts), or exhaustive term-at-a-time, the
 * reference the pruned search is tested against. Passages are inflated per block on demand.
 * Runtime-neutral (no DOM, no node:*), so the Python worker can use it in Node and in the browser.
 */
import { inflateSync } from "fflate";
import { fieldNorms, idf } from "./bm25f.ts";
import { compareBytes, crc32 } from "./bytes.ts";
import { Accumulator, type QueryTerm, type ScoringContext } from "./max-score.ts";
import { END_OF_LIST, PostingCursor, SKIP_WORDS } from "./postings.ts";
import type { Passage, PassageSearcher, SearchHit } from "./search.ts";
import {
  CHECK_PAGE_BYTES,
  decodeHeader,
  LAZILY_CHECKED,
  pageCount,
  SECTION_NAMES,
  type SectionEntry,
  SectionId,
  ShardFormatError,
  type ShardHeader,
} from "./shard-format.ts";
import { createTokenizer, type TokenizerSettings } from "./tokenizer.ts";

export interface ShardInfo {
  formatVersion: number;
  passages: number;
  terms: number;
  blocks: number;
  passagesPerBlock: number;
  /** Indexed tokens per passage: text (title not counted) and title. */
  avgPassageTokens: number;
  avgTitleTokens: number;
  /** BM25F parameters (see docs/shard-format.md, "Scoring"). */
  bm25: { k1: number; b: number; titleWeight: number; titleB: number; titleMatchBoost: number };
  /** Pseudo-relevance feedback (RM3) settings; docs 0 means none. */
  feedback: {
    docs: number;
    terms: number;
    originalWeight: number;
    temperature: number;
    maxDocFraction: number;
  };
  tokenizer: TokenizerSettings;
  bytes: number;
  /** Bytes per section, by name. */
  sections: Record<string, number>;
}

export interface Shard extends PassageSearcher {
  readonly info: ShardInfo;
  /** The passage at position `id` (0 <= id < info.passages). */
  passage(id: number): Passage;
  /** The query as the shard's tokenizer sees it (for debugging relevance). */
  tokenize(text: string): string[];
  /**
   * Checks the index pages (terms, postings, skips) now, which queries otherwise check as they first
   * touch them: a shard picked by a user is refused before use, not at the first query that reaches
   * its damaged part. Throws ShardFormatError.
   */
  verifyIndex(): void;
  /** verifyIndex, and the checksum of every passage block (reading a passage checks its block too). */
  verifyAll(): void;
}

export interface OpenShardOptions {
  /**
   * Check checksums (default true): the small index sections at open, terms and postings page by page
   * when a query first touches them. Passage blocks are always checked when first read.
   */
  verify?: boolean;
  /** How many inflated passage blocks to keep (default 16). */
  blockCache?: number;
  /**
   * Dynamic pruning (default true): the same hits and scores as scoring every posting, but once the
   * top k are out of reach of the unread (common-word) lists, those are read only at the candidates.
   * false scores exhaustively (tests and benchmarks compare the two).
   */
  pruning?: boolean;
}

export function openShard(input: Uint8Array | ArrayBuffer, options: OpenShardOptions = {}): Shard {
  let bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  // Typed-array views need aligned offsets; sections are 8-aligned relative to the file start.
  if (bytes.byteOffset % 8 !== 0) bytes = bytes.slice();
  const header = decodeHeader(bytes);
  const verify = options.verify ?? true;

  const section = (id: SectionId, elementBytes = 1): SectionEntry => {
    const entry = header.sections.find((s) => s.id === id);
    if (!entry) throw new ShardFormatError(`corrupt shard: the ${SECTION_NAMES[id]} section is missing`);
    if (entry.length % elementBytes !== 0 || entry.offset % 8 !== 0) {
      throw new ShardFormatError(`corrupt shard: the ${SECTION_NAMES[id]} section is misaligned`);
    }
    if (verify && !LAZILY_CHECKED.has(id)) {
      const actual = crc32(bytes.subarray(entry.offset, entry.offset + entry.length));
      if (actual !== entry.crc) {
        throw new ShardFormatError(`corrupt shard: checksum mismatch in the ${SECTION_NAMES[id]} section`);
      }
    }
    return entry;
  };
  const raw = (e: SectionEntry) => bytes.subarray(e.offset, e.offset + e.length);
  const u32 = (e: SectionEntry) => new Uint32Array(bytes.buffer, bytes.byteOffset + e.offset, e.length / 4);
  const expect = (id: SectionId, actual: number, wanted: number) => {
    if (actual !== wanted) {
      throw new ShardFormatError(
        `corrupt shard: the ${SECTION_NAMES[id]} section has ${actual} entries, expected ${wanted}`,
      );
    }
  };

  const { passageCount: n, termCount, blockCount } = header;
  if (n >= END_OF_LIST) throw new ShardFormatError(`corrupt shard: ${n} passages is more than a shard holds`);
  const stopText = new TextDecoder().decode(raw(section(SectionId.StopWords)));
  const stopWords = stopText ? stopText.split("\n") : [];
  expect(SectionId.StopWords, stopWords.length, header.tokenizer.stopWords.length);
  const tokenizer: TokenizerSettings = { ...header.tokenizer, stopWords };

  const terms = raw(section(SectionId.Terms));
  const termOffsets = u32(section(SectionId.TermOffsets, 4));
  expect(SectionId.TermOffsets, termOffsets.length, termCount + 1);
  const postingOffsets = u32(section(SectionId.PostingOffsets, 4));
  expect(SectionId.PostingOffsets, postingOffsets.length, termCount + 1);
  const postings = raw(section(SectionId.Postings));
  const lengthsEntry = section(SectionId.DocLengths, 2);
  const docLengths = new Uint16Array(
    bytes.buffer,
    bytes.byteOffset + lengthsEntry.offset,
    lengthsEntry.length / 2,
  );
  expect(SectionId.DocLengths, docLengths.length, n);
  const titleLengths = raw(section(SectionId.TitleLengths));
  expect(SectionId.TitleLengths, titleLengths.length, n);
  const offsetsEntry = section(SectionId.BlockOffsets, 8);
  const blockOffsets = new Float64Array(
    bytes.buffer,
    bytes.byteOffset + offsetsEntry.offset,
    offsetsEntry.length / 8,
  );
  expect(SectionId.BlockOffsets, blockOffsets.length, blockCount + 1);
  const blockCrcs = u32(section(SectionId.BlockCrcs, 4));
  expect(SectionId.BlockCrcs, blockCrcs.length, blockCount);
  const passagesEntry = section(SectionId.Passages);
  const dictionary = raw(section(SectionId.PassageDictionary));
  const inflateOptions = dictionary.length > 0 ? { dictionary } : undefined;
  const termMaximaEntry = section(SectionId.TermMaxima, 4);
  const termMaxima = new Float32Array(
    bytes.buffer,
    bytes.byteOffset + termMaximaEntry.offset,
    termMaximaEntry.length / 4,
  );
  expect(SectionId.TermMaxima, termMaxima.length, termCount);
  const skipOffsets = u32(section(SectionId.SkipOffsets, 4));
  expect(SectionId.SkipOffsets, skipOffsets.length, termCount + 1);
  const skipsEntry = section(SectionId.Skips, 4 * SKIP_WORDS);
  const skips = u32(skipsEntry);
  expect(SectionId.Skips, skips.length / SKIP_WORDS, skipOffsets[termCount]!);
  const skipBytes = raw(skipsEntry);
  const pageCrcs = u32(section(SectionId.PageCrcs, 4));
  const termPages = pageCount(terms.length);
  const postingPages = pageCount(postings.length);
  expect(SectionId.PageCrcs, pageCrcs.length, termPages + postingPages + pageCount(skipBytes.length));
  const checkTerms = pageChecker(terms, pageCrcs.subarray(0, termPages), verify, "terms");
  const checkPostings = pageChecker(
    postings,
    pageCrcs.subarray(termPages, termPages + postingPages),
    verify,
    "postings",
  );
  const checkSkips = pageChecker(skipBytes, pageCrcs.subarray(termPages + postingPages), verify, "skips");
  if (blockOffsets[blockCount] !== passagesEntry.length) {
    throw new ShardFormatError("corrupt shard: passage block offsets do not add up to the passages section");
  }

  const tokenize = createTokenizer(tokenizer);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const { k1, b, titleWeight, titleB, titleMatchBoost } = header;
  // Per-passage BM25F field factors (length normalisation, title weight), computed once at load.
  const norms = fieldNorms(header, docLengths, titleLengths, n);
  const textNorms = norms.text;
  const titleNorms = norms.title;
  const matchFactor = 1 + titleMatchBoost;
  const pruning = options.pruning ?? true;
  const accumulator = new Accumulator(n);
  const scoring: ScoringContext = { k1, textNorms, titleNorms, titleLengths, matchFactor };

  const findTerm = (term: string): number => {
    const key = encoder.encode(term);
    let lo = 0;
    let hi = termCount - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const start = termOffsets[mid]!;
      const end = termOffsets[mid + 1]!;
      checkTerms(start, end);
      const cmp = compareBytes(terms.subarray(start, end), key);
      if (cmp === 0) return mid;
      if (cmp < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };

  // Inflated blocks keep their bytes; a passage's strings are decoded only when it is asked for.
  interface InflatedBlock {
    data: Uint8Array;
    /** Per passage: title start, title end, text start, text end. */
    bounds: Uint32Array;
  }
  /** The compressed bytes of passage block `index`, once their checksum matches. */
  const checkedBlock = (index: number): Uint8Array => {
    const start = passagesEntry.offset + blockOffsets[index]!;
    const compressed = bytes.subarray(start, passagesEntry.offset + blockOffsets[index + 1]!);
    if (crc32(compressed) !== blockCrcs[index]) {
      throw new ShardFormatError(`corrupt shard: checksum mismatch in passage block ${index}`);
    }
    return compressed;
  };
  const blockCache = new Map<number, InflatedBlock>();
  const cacheSize = options.blockCache ?? 16;
  const readBlock = (index: number): InflatedBlock => {
    const cached = blockCache.get(index);
    if (cached) {
      blockCache.delete(index);
      blockCache.set(index, cached);
      return cached;
    }
    const compressed = checkedBlock(index);
    let data: Uint8Array;
    try {
      data = inflateSync(compressed, inflateOptions);
    } catch (error) {
      throw new ShardFormatError(`corrupt shard: passage block ${index} does not inflate (${String(error)})`);
    }
    const bounds = new Uint32Array(header.passagesPerBlock * 4);
    let at = 0;
    let field = 0;
    while (at < data.length && field < bounds.length) {
      let len = 0;
      for (let shift = 1; ; shift *= 128) {
        const byte = data[at++]!;
        len += (byte & 0x7f) * shift;
        if (byte < 0x80) break;
      }
      bounds[field++] = at;
      at += len;
      bounds[field++] = at;
    }
    if (at !== data.length || (field !== bounds.length && index !== blockCount - 1)) {
      throw new ShardFormatError(`corrupt shard: passage block ${index} does not hold whole passages`);
    }
    const block = { data, bounds: bounds.subarray(0, field) };
    blockCache.set(index, block);
    if (blockCache.size > cacheSize) blockCache.delete(blockCache.keys().next().value!);
    return block;
  };

  const passage = (id: number): Passage => {
    if (!Number.isInteger(id) || id < 0 || id >= n)
      throw new RangeError(`passage ${id} is not in this shard (0..${n - 1})`);
    const { data, bounds } = readBlock(Math.floor(id / header.passagesPerBlock));
    const at = (id % header.passagesPerBlock) * 4;
    if (at + 3 >= bounds.length)
      throw new ShardFormatError(`corrupt shard: passage ${id} is missing from its block`);
    return {
      title: decoder.decode(data.subarray(bounds[at]!, bounds[at + 1]!)),
      text: decoder.decode(data.subarray(bounds[at + 2]!, bounds[at + 3]!)),
    };
  };

  const { feedbackDocs, feedbackTerms, feedbackOriginalWeight, feedbackTemperature, feedbackMaxDocFraction } =
    header;
  const feedbackMaxDf = feedbackMaxDocFraction * n;

  /** Document frequency of an indexed term (its postings' first varint). */
  const docFrequency = (id: number): number => {
    const start = postingOffsets[id]!;
    checkPostings(start, Math.min(postingOffsets[id + 1]!, start + 8));
    let df = 0;
    for (let at = start, shift = 1; ; shift *= 128) {
      const byte = postings[at++]!;
      df += (byte & 0x7f) * shift;
      if (byte < 0x80) break;
    }
    return df;
  };
  /**
   * RM3: the terms of the first pass's best passages, each passage weighing exp((score - best) / T)
   * and each term its share of the passage's tokens; the heaviest `feedbackTerms` (ties by term) of
   * those in at most feedbackMaxDocFraction of the passages join the query with
   * (1 - feedbackOriginalWeight) of its weight. Returns the added weights only.
   */
  const expand = (counts: Map<string, number>, feedback: Array<[number, number]>): Map<string, number> => {
    const relevance = new Map<string, number>();
    const best = feedback[0]![1];
    for (const [id, score] of feedback) {
      const p = passage(id);
      const tokens = tokenize(p.title).concat(tokenize(p.text));
      const weight = Math.exp((score - best) / feedbackTemperature) / (tokens.length || 1);
      for (const token of tokens) relevance.set(token, (relevance.get(token) ?? 0) + weight);
    }
    const terms: Array<[string, number]> = [];
    const ranked = [...relevance].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    for (const entry of ranked) {
      if (terms.length === feedbackTerms) break;
      const id = findTerm(entry[0]);
      if (id >= 0 && docFrequency(id) <= feedbackMaxDf) terms.push(entry);
    }
    const total = terms.reduce((sum, [, w]) => sum + w, 0);
    let queryLength = 0;
    for (const count of counts.values()) queryLength += count;
    const share = ((1 - feedbackOriginalWeight) * queryLength) / (total || 1);
    // A weight of 0 (original weight 1, or a passage far below the best) would add nothing.
    return new Map(terms.map(([term, w]): [string, number] => [term, w * share]).filter(([, w]) => w > 0));
  };

  /** A cursor at the start of term `id`'s postings (its pages and skip entries checked), and its df. */
  const cursorOf = (id: number): { cursor: PostingCursor; df: number } => {
    let at = postingOffsets[id]!;
    const end = postingOffsets[id + 1]!;
    checkPostings(at, end);
    let df = 0;
    for (let shift = 1; ; shift *= 128) {
      const byte = postings[at++]!;
      df += (byte & 0x7f) * shift;
      if (byte < 0x80) break;
    }
    const firstSkip = skipOffsets[id]!;
    const endSkip = skipOffsets[id + 1]!;
    if (endSkip < firstSkip || endSkip * SKIP_WORDS > skips.length)
      throw new ShardFormatError("corrupt shard: skip offsets past the skips section");
    checkSkips(firstSkip * SKIP_WORDS * 4, endSkip * SKIP_WORDS * 4);
    const cursor = new PostingCursor(postings, at, end, df, termMaxima[id]!, skips, firstSkip, endSkip);
    return { cursor, df };
  };

  /** Appends the query terms of `weights` found in the shard, in its order, to `out`. */
  const queryTerms = (
    weights: Map<string, number>,
    typedTerms: Map<string, number> | undefined,
    scale: number,
    out: QueryTerm[],
  ): QueryTerm[] => {
    for (const [term, queryWeight] of weights) {
      const id = findTerm(term);
      if (id < 0) continue;
      const { cursor, df } = cursorOf(id);
      const weight = queryWeight * idf(n, df) * (k1 + 1) * scale;
      out.push({ cursor, weight, typed: typedTerms?.get(term) ?? 0 });
    }
    return out;
  };

  /**
   * BM25F with the whole-title boost; with feedback, RM3: the first pass's best passages give the
   * added terms, and the second pass's score is the first's times `feedbackOriginalWeight` plus the
   * added terms' (max-score.ts).
   */
  const search = (query: string, k: number): SearchHit[] => {
    const want = Math.max(0, Math.floor(k));
    if (want === 0) return [];
    const counts = new Map<string, number>();
    for (const token of tokenize(query)) counts.set(token, (counts.get(token) ?? 0) + 1);
    let top: Array<[number, number]>;
    if (feedbackDocs > 0 && feedbackTerms > 0) {
      top = accumulator.feedbackTopK(
        queryTerms(counts, counts, 1, []),
        feedbackDocs,
        (first) => queryTerms(expand(counts, first), undefined, 1, []),
        want,
        feedbackOriginalWeight,
        scoring,
        pruning,
      );
    } else {
      top = accumulator.topK(queryTerms(counts, counts, 1, []), want, scoring, pruning);
    }
    return top.map(([id, score]) => ({ id, score, ...passage(id) }));
  };

  const sizes: Record<string, number> = {};
  for (const s of header.sections) sizes[SECTION_NAMES[s.id] ?? `section ${s.id}`] = s.length;
  const info: ShardInfo = {
    formatVersion: header.version,
    passages: n,
    terms: termCount,
    blocks: blockCount,
    passagesPerBlock: header.passagesPerBlock,
    avgPassageTokens: header.avgDocLength,
    avgTitleTokens: header.avgTitleLength,
    bm25: {
      k1: round6(k1),
      b: round6(b),
      titleWeight: round6(titleWeight),
      titleB: round6(titleB),
      titleMatchBoost: round6(titleMatchBoost),
    },
    feedback: {
      docs: feedbackDocs,
      terms: feedbackTerms,
      originalWeight: round6(feedbackOriginalWeight),
      temperature: round6(feedbackTemperature),
      maxDocFraction: round6(feedbackMaxDocFraction),
    },
    tokenizer,
    bytes: header.fileLength,
    sections: sizes,
  };
  const verifyIndex = (): void => {
    // With verify off the lazy page checkers skip everything; a full check is asked for here.
    pageChecker(terms, pageCrcs.subarray(0, termPages), true, "terms")(0, terms.length);
    pageChecker(
      postings,
      pageCrcs.subarray(termPages, termPages + postingPages),
      true,
      "postings",
    )(0, postings.length);
    pageChecker(skipBytes, pageCrcs.subarray(termPages + postingPages), true, "skips")(0, skipBytes.length);
  };
  const verifyAll = (): void => {
    verifyIndex();
    for (let index = 0; index < blockCount; index++) checkedBlock(index);
  };

  return { info, search, passage, tokenize, verifyIndex, verifyAll };
}

/**
 * A function that checks the pages of `bytes` covering [start, end) against their CRCs, each page
 * once, and throws ShardFormatError on a mismatch.
 */
function pageChecker(bytes: Uint8Array, crcs: Uint32Array, verify: boolean, name: string) {
  const checked = new Uint8Array(crcs.length).fill(verify ? 0 : 1);
  return (start: number, end: number): void => {
    if (end > bytes.length || start > end)
      throw new ShardFormatError(`corrupt shard: offsets past the ${name} section`);
    if (start === end) return;
    const last = Math.max(start, end - 1);
    for (
      let page = Math.floor(start / CHECK_PAGE_BYTES);
      page <= Math.floor(last / CHECK_PAGE_BYTES);
      page++
    ) {
      if (checked[page]) continue;
      const from = page * CHECK_PAGE_BYTES;
      if (crc32(bytes.subarray(from, from + CHECK_PAGE_BYTES)) !== crcs[page]) {
        throw new ShardFormatError(`corrupt shard: checksum mismatch in the ${name} section (page ${page})`);
      }
      checked[page] = 1;
    }
  };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export type { ShardHeader };
