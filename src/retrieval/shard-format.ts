/**
 * The binary shard layout (see docs/shard-format.md): a fixed preamble, a binary header with counts,
 * BM25 and tokenizer settings and a section table with CRC-32s, then the sections. Little-endian.
 * Runtime-neutral: used by the writer (builder) and by the reader (Node, browser, workers).
 */
import { crc32 } from "./bytes.ts";
import type { StemmerName, TokenizerSettings } from "./tokenizer.ts";

/** "PKSHARD" + 0x1a: the 0x1a stops `type`/`cat` on some systems, as in PNG. */
export const SHARD_MAGIC = new Uint8Array([0x50, 0x4b, 0x53, 0x48, 0x41, 0x52, 0x44, 0x1a]);
/**
 * Version 4: the passage blocks share a deflate dictionary (section 15).
 * Version 3: per-term score bounds and skip entries with block maxima, for dynamic pruning (MaxScore).
 * Version 2 had title and text as separate fields (BM25F) but no bounds; version 1 one field.
 */
export const SHARD_FORMAT_VERSION = 4;
/** What older versions lack, for the error that asks to rebuild them. */
const OLDER_VERSIONS: Record<number, string> = {
  1: "it has no title field",
  2: "it has no score bounds for pruned search",
  3: "its passage blocks have no shared dictionary",
};
/** The file name inside a shard directory. */
export const SHARD_FILE_NAME = "shard.pas";
export const PREAMBLE_BYTES = 16;

export class ShardFormatError extends Error {
  override name = "ShardFormatError";
}

export enum SectionId {
  StopWords = 1,
  Terms = 2,
  TermOffsets = 3,
  PostingOffsets = 4,
  Postings = 5,
  DocLengths = 6,
  BlockOffsets = 7,
  BlockCrcs = 8,
  Passages = 9,
  PageCrcs = 10,
  TitleLengths = 11,
  TermMaxima = 12,
  SkipOffsets = 13,
  Skips = 14,
  PassageDictionary = 15,
}

/** Terms and postings are checked lazily, in pages of this many bytes, when a query first touches them. */
export const CHECK_PAGE_BYTES = 64 * 1024;

/** Sections whose table CRC is 0 because they are checked piecewise (pages or blocks) on first use. */
export const LAZILY_CHECKED: ReadonlySet<SectionId> = new Set([
  SectionId.Terms,
  SectionId.Postings,
  SectionId.Passages,
  SectionId.Skips,
]);

export function pageCount(length: number): number {
  return Math.ceil(length / CHECK_PAGE_BYTES);
}

export const SECTION_NAMES: Record<SectionId, string> = {
  [SectionId.StopWords]: "stop words",
  [SectionId.Terms]: "terms",
  [SectionId.TermOffsets]: "term offsets",
  [SectionId.PostingOffsets]: "posting offsets",
  [SectionId.Postings]: "postings",
  [SectionId.DocLengths]: "passage lengths",
  [SectionId.BlockOffsets]: "block offsets",
  [SectionId.BlockCrcs]: "block checksums",
  [SectionId.Passages]: "passages",
  [SectionId.PageCrcs]: "page checksums",
  [SectionId.TitleLengths]: "title lengths",
  [SectionId.TermMaxima]: "term maxima",
  [SectionId.SkipOffsets]: "skip offsets",
  [SectionId.Skips]: "skips",
  [SectionId.PassageDictionary]: "passage dictionary",
};

export interface SectionEntry {
  id: SectionId;
  /** Absolute byte offset in the file; 8-aligned so typed arrays can view it in place. */
  offset: number;
  length: number;
  /** CRC-32 of the section bytes; 0 for the LAZILY_CHECKED sections (page or block CRCs instead). */
  crc: number;
}

export interface ShardHeader {
  version: number;
  passageCount: number;
  termCount: number;
  blockCount: number;
  passagesPerBlock: number;
  /** Total indexed text tokens (the title not counted) / passageCount. */
  avgDocLength: number;
  /** Total indexed title tokens / passageCount. */
  avgTitleLength: number;
  /** BM25F: k1 for the combined field frequency, b for the text field. */
  k1: number;
  b: number;
  /** BM25F: weight of a title occurrence against a text one, and the title field's b. */
  titleWeight: number;
  titleB: number;
  /** A passage whose every title token is in the query has its score multiplied by 1 + this. */
  titleMatchBoost: number;
  /**
   * Pseudo-relevance feedback (RM3): the query is expanded with the `feedbackTerms` heaviest terms of
   * the first pass's `feedbackDocs` best passages (0 turns it off), the original terms keeping
   * `feedbackOriginalWeight` of the weight; passages weigh exp((score - best) / feedbackTemperature).
   * Candidate terms found in more than `feedbackMaxDocFraction` of the passages are passed over.
   */
  feedbackDocs: number;
  feedbackTerms: number;
  feedbackOriginalWeight: number;
  feedbackTemperature: number;
  /** Only terms in at most this fraction of the passages may join the query (rare names, not filler). */
  feedbackMaxDocFraction: number;
  tokenizer: TokenizerSettings;
  /** Whole-file length, to tell a truncated file from a corrupt one. */
  fileLength: number;
  sections: SectionEntry[];
}

const STEMMER_IDS: Record<StemmerName, number> = { none: 0, porter: 1 };
const FIXED_HEADER_BYTES = 96;
const SECTION_ENTRY_BYTES = 24;

export function headerByteLength(sectionCount: number): number {
  return FIXED_HEADER_BYTES + sectionCount * SECTION_ENTRY_BYTES;
}

/** Preamble + header bytes. The stop words live in their own section; the header carries their count only. */
export function encodeHeader(header: ShardHeader): Uint8Array {
  const headerLength = headerByteLength(header.sections.length);
  const out = new Uint8Array(PREAMBLE_BYTES + headerLength);
  out.set(SHARD_MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, header.version, true);
  view.setUint32(12, headerLength, true);
  const h = PREAMBLE_BYTES;
  // h+0: header CRC, written last
  view.setUint32(h + 4, header.passageCount, true);
  view.setUint32(h + 8, header.termCount, true);
  view.setUint32(h + 12, header.blockCount, true);
  view.setUint32(h + 16, header.passagesPerBlock, true);
  view.setFloat64(h + 20, header.avgDocLength, true);
  view.setFloat32(h + 28, header.k1, true);
  view.setFloat32(h + 32, header.b, true);
  const t = header.tokenizer;
  view.setUint8(h + 36, (t.nfkc ? 1 : 0) | (t.lowercase ? 2 : 0) | (t.foldDiacritics ? 4 : 0));
  view.setUint8(h + 37, STEMMER_IDS[t.stemmer]);
  view.setUint8(h + 38, t.minLength);
  view.setUint8(h + 39, t.maxLength);
  view.setUint32(h + 40, t.stopWords.length, true);
  view.setBigUint64(h + 44, BigInt(header.fileLength), true);
  view.setUint32(h + 52, header.sections.length, true);
  view.setFloat64(h + 56, header.avgTitleLength, true);
  view.setFloat32(h + 64, header.titleWeight, true);
  view.setFloat32(h + 68, header.titleB, true);
  view.setFloat32(h + 72, header.titleMatchBoost, true);
  view.setUint32(h + 76, header.feedbackDocs, true);
  view.setUint32(h + 80, header.feedbackTerms, true);
  view.setFloat32(h + 84, header.feedbackOriginalWeight, true);
  view.setFloat32(h + 88, header.feedbackTemperature, true);
  view.setFloat32(h + 92, header.feedbackMaxDocFraction, true);
  header.sections.forEach((s, i) => {
    const at = h + FIXED_HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    view.setUint32(at, s.id, true);
    view.setUint32(at + 4, s.crc, true);
    view.setBigUint64(at + 8, BigInt(s.offset), true);
    view.setBigUint64(at + 16, BigInt(s.length), true);
  });
  view.setUint32(h, crc32(out.subarray(h + 4, h + headerLength)), true);
  return out;
}

/**
 * Reads and checks the preamble and header. The stop word list is filled in by the caller from its
 * section (the header only carries the count), so `tokenizer.stopWords` is empty here.
 */
export function decodeHeader(bytes: Uint8Array): ShardHeader {
  if (bytes.length < PREAMBLE_BYTES) {
    throw new ShardFormatError(
      `not a shard: ${bytes.length} bytes is shorter than the ${PREAMBLE_BYTES}-byte preamble`,
    );
  }
  for (let i = 0; i < SHARD_MAGIC.length; i++) {
    if (bytes[i] !== SHARD_MAGIC[i]) {
      throw new ShardFormatError("not a shard: the file does not start with the PKSHARD magic bytes");
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== SHARD_FORMAT_VERSION) {
    const why = OLDER_VERSIONS[version] ? ` (${OLDER_VERSIONS[version]})` : "";
    throw new ShardFormatError(
      `unsupported shard format version ${version}${why}: this reader reads version ${SHARD_FORMAT_VERSION}; rebuild the shard from its sources with \`pocket-agent shard build --out DIR INPUT...\``,
    );
  }
  const headerLength = view.getUint32(12, true);
  if (headerLength < FIXED_HEADER_BYTES || bytes.length < PREAMBLE_BYTES + headerLength) {
    throw new ShardFormatError(
      `truncated shard: ${bytes.length} bytes, the header alone needs ${PREAMBLE_BYTES + headerLength}`,
    );
  }
  const h = PREAMBLE_BYTES;
  const storedCrc = view.getUint32(h, true);
  if (crc32(bytes.subarray(h + 4, h + headerLength)) !== storedCrc) {
    throw new ShardFormatError("corrupt shard: header checksum mismatch");
  }
  const fileLength = Number(view.getBigUint64(h + 44, true));
  if (bytes.length < fileLength) {
    throw new ShardFormatError(`truncated shard: ${bytes.length} of ${fileLength} bytes present`);
  }
  const flags = view.getUint8(h + 36);
  const stemmerId = view.getUint8(h + 37);
  const stemmer = (Object.keys(STEMMER_IDS) as StemmerName[]).find((name) => STEMMER_IDS[name] === stemmerId);
  if (!stemmer) throw new ShardFormatError(`corrupt shard: unknown stemmer id ${stemmerId}`);
  const sectionCount = view.getUint32(h + 52, true);
  if (headerByteLength(sectionCount) !== headerLength) {
    throw new ShardFormatError("corrupt shard: section table does not match the header length");
  }
  const sections: SectionEntry[] = [];
  for (let i = 0; i < sectionCount; i++) {
    const at = h + FIXED_HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    const entry: SectionEntry = {
      id: view.getUint32(at, true) as SectionId,
      crc: view.getUint32(at + 4, true),
      offset: Number(view.getBigUint64(at + 8, true)),
      length: Number(view.getBigUint64(at + 16, true)),
    };
    if (entry.offset + entry.length > fileLength) {
      throw new ShardFormatError(`corrupt shard: section ${entry.id} lies past the end of the file`);
    }
    sections.push(entry);
  }
  return {
    version,
    passageCount: view.getUint32(h + 4, true),
    termCount: view.getUint32(h + 8, true),
    blockCount: view.getUint32(h + 12, true),
    passagesPerBlock: view.getUint32(h + 16, true),
    avgDocLength: view.getFloat64(h + 20, true),
    avgTitleLength: view.getFloat64(h + 56, true),
    k1: view.getFloat32(h + 28, true),
    b: view.getFloat32(h + 32, true),
    titleWeight: view.getFloat32(h + 64, true),
    titleB: view.getFloat32(h + 68, true),
    titleMatchBoost: view.getFloat32(h + 72, true),
    feedbackDocs: view.getUint32(h + 76, true),
    feedbackTerms: view.getUint32(h + 80, true),
    feedbackOriginalWeight: view.getFloat32(h + 84, true),
    feedbackTemperature: view.getFloat32(h + 88, true),
    feedbackMaxDocFraction: view.getFloat32(h + 92, true),
    tokenizer: {
      nfkc: (flags & 1) !== 0,
      lowercase: (flags & 2) !== 0,
      foldDiacritics: (flags & 4) !== 0,
      stemmer,
      minLength: view.getUint8(h + 38),
      maxLength: view.getUint8(h + 39),
      stopWords: new Array<string>(view.getUint32(h + 40, true)).fill(""),
    },
    fileLength,
    sections,
  };
}
