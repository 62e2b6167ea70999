/**
 * Reads a shard straight from its bytes (an ArrayBuffer, a fetched file, an OPFS file): typed-array
 * views over the index sections, no JSON, no copy unless the bytes are misaligned. BM25F scoring (title
 * and text fields, plus a boost for a passage whose whole title is in the query) is term-at-a-time
 * over delta+varint postings; passages are inflated per block on demand.
 * Runtime-neutral (no DOM, no node:*), so the Python worker can use it in Node and in the browser.
 */
import { inflateSync } from "fflate";
import { compareBytes, crc32 } from "./bytes.ts";
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
}

export interface OpenShardOptions {
  /**
   * Check checksums (default true): the small index sections at open, terms and postings page by page
   * when a query first touches them. Passage blocks are always checked when first read.
   */
  verify?: boolean;
  /** How many inflated passage blocks to keep (default 16). */
  blockCache?: number;
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
  const pageCrcs = u32(section(SectionId.PageCrcs, 4));
  expect(SectionId.PageCrcs, pageCrcs.length, pageCount(terms.length) + pageCount(postings.length));
  const checkTerms = pageChecker(terms, pageCrcs.subarray(0, pageCount(terms.length)), verify, "terms");
  const checkPostings = pageChecker(postings, pageCrcs.subarray(pageCount(terms.length)), verify, "postings");
  if (blockOffsets[blockCount] !== passagesEntry.length) {
    throw new ShardFormatError("corrupt shard: passage block offsets do not add up to the passages section");
  }

  const tokenize = createTokenizer(tokenizer);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const { k1, b, titleWeight, titleB, titleMatchBoost } = header;
  const avg = header.avgDocLength || 1;
  const avgTitle = header.avgTitleLength || 1;
  // Per-passage BM25F field factors (length normalisation, title weight), computed once at load.
  const textNorms = new Float32Array(n);
  const titleNorms = new Float32Array(n);
  for (let d = 0; d < n; d++) {
    textNorms[d] = 1 / (1 - b + (b * docLengths[d]!) / avg);
    titleNorms[d] = titleWeight / (1 - titleB + (titleB * titleLengths[d]!) / avgTitle);
  }
  const matchFactor = 1 + titleMatchBoost;
  const scores = new Float32Array(n);
  /** Title tokens of each touched passage that the query holds (for the whole-title match). */
  const titleHits = new Uint8Array(n);
  let touched = new Int32Array(1024);

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
  const blockCache = new Map<number, InflatedBlock>();
  const cacheSize = options.blockCache ?? 16;
  const readBlock = (index: number): InflatedBlock => {
    const cached = blockCache.get(index);
    if (cached) {
      blockCache.delete(index);
      blockCache.set(index, cached);
      return cached;
    }
    const start = passagesEntry.offset + blockOffsets[index]!;
    const compressed = bytes.subarray(start, passagesEntry.offset + blockOffsets[index + 1]!);
    if (crc32(compressed) !== blockCrcs[index]) {
      throw new ShardFormatError(`corrupt shard: checksum mismatch in passage block ${index}`);
    }
    let data: Uint8Array;
    try {
      data = inflateSync(compressed);
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

  let touchedCount = 0;
  /**
   * Adds every posting of the query's terms (term-at-a-time) into `scores`, each term times its weight
   * (a count, or an RM3 weight): the scores are linear in the weights, so feedback adds its terms to
   * the first pass instead of scoring the query again. With `typed` (the terms the user typed, with
   * counts), title tokens matched are counted too, for the whole-title match.
   */
  const accumulate = (weights: Map<string, number>, typedTerms?: Map<string, number>): void => {
    for (const [term, queryWeight] of weights) {
      const id = findTerm(term);
      if (id < 0) continue;
      let at = postingOffsets[id]!;
      const end = postingOffsets[id + 1]!;
      checkPostings(at, end);
      // Varints decoded inline: this loop is the hot path of every query.
      let df = 0;
      for (let shift = 1; ; shift *= 128) {
        const byte = postings[at++]!;
        df += (byte & 0x7f) * shift;
        if (byte < 0x80) break;
      }
      const weight = queryWeight * Math.log(1 + (n - df + 0.5) / (df + 0.5)) * (k1 + 1);
      const typed = typedTerms?.get(term) ?? 0;
      let doc = 0;
      while (at < end) {
        let delta = 0;
        for (let shift = 1; ; shift *= 128) {
          const byte = postings[at++]!;
          delta += (byte & 0x7f) * shift;
          if (byte < 0x80) break;
        }
        // Text frequency times 2, plus 1 when a title frequency follows.
        let code = postings[at++]!;
        if (code >= 0x80) {
          code &= 0x7f;
          for (let shift = 128; ; shift *= 128) {
            const byte = postings[at++]!;
            code += (byte & 0x7f) * shift;
            if (byte < 0x80) break;
          }
        }
        let titleTf = 0;
        if (code & 1) {
          for (let shift = 1; ; shift *= 128) {
            const byte = postings[at++]!;
            titleTf += (byte & 0x7f) * shift;
            if (byte < 0x80) break;
          }
        }
        doc += delta;
        if (scores[doc] === 0) {
          if (touchedCount === touched.length) {
            const grown = new Int32Array(touched.length * 2);
            grown.set(touched);
            touched = grown;
          }
          touched[touchedCount++] = doc;
        }
        const tf = Math.floor(code / 2) * textNorms[doc]! + titleTf * titleNorms[doc]!;
        scores[doc]! += (weight * tf) / (tf + k1);
        if (titleTf > 0 && typed > 0)
          titleHits[doc] = Math.min(255, titleHits[doc]! + Math.min(titleTf, typed));
      }
    }
  };

  /** After the typed terms: titleHits[doc] becomes 1 where every title token was matched, else 0. */
  const markTitleMatches = (): void => {
    for (let i = 0; i < touchedCount; i++) {
      const doc = touched[i]!;
      const inTitle = titleHits[doc]!;
      if (inTitle > 0) titleHits[doc] = inTitle >= titleLengths[doc]! ? 1 : 0;
    }
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
    return new Map(terms.map(([term, w]) => [term, w * share]));
  };

  const search = (query: string, k: number): SearchHit[] => {
    const want = Math.max(0, Math.floor(k));
    if (want === 0) return [];
    const counts = new Map<string, number>();
    for (const token of tokenize(query)) counts.set(token, (counts.get(token) ?? 0) + 1);
    let top: Array<[number, number]>;
    try {
      touchedCount = 0;
      accumulate(counts, counts);
      markTitleMatches();
      if (feedbackDocs > 0 && feedbackTerms > 0 && touchedCount > 0) {
        const first = topK(scores, touched, touchedCount, feedbackDocs, titleHits, matchFactor);
        const added = expand(counts, first);
        // The second pass is the first scaled to the original terms' share, plus the added terms.
        for (let i = 0; i < touchedCount; i++) scores[touched[i]!]! *= feedbackOriginalWeight;
        accumulate(added);
      }
      top = topK(scores, touched, touchedCount, want, titleHits, matchFactor);
    } finally {
      for (let i = 0; i < touchedCount; i++) {
        scores[touched[i]!] = 0;
        titleHits[touched[i]!] = 0;
      }
      touchedCount = 0;
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
  return { info, search, passage, tokenize };
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

/**
 * The k best (doc, score) pairs, best first; ties go to the lower passage id. A passage flagged in
 * `boosted` scores `factor` times its score.
 */
function topK(
  scores: Float32Array,
  docs: Int32Array,
  count: number,
  k: number,
  boosted: Uint8Array,
  factor: number,
): Array<[number, number]> {
  if (k === 0) return [];
  // A sorted insertion buffer beats a heap for the small k the agent uses.
  const best: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    const doc = docs[i]!;
    const score = boosted[doc] ? Math.fround(scores[doc]! * factor) : scores[doc]!;
    if (best.length === k) {
      const worst = best[k - 1]!;
      if (score < worst[1] || (score === worst[1] && doc > worst[0])) continue;
    }
    let at = best.length;
    while (at > 0 && (best[at - 1]![1] < score || (best[at - 1]![1] === score && best[at - 1]![0] > doc)))
      at--;
    best.splice(at, 0, [doc, score]);
    if (best.length > k) best.pop();
  }
  return best;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export type { ShardHeader };
