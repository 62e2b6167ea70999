/**
 * Posting lists: how the writer summarises one (score bound and skip entries) and how the pruned
 * search walks one (a cursor that can jump ahead). A list is, after its varint document frequency,
 * per passage in ascending id: varint gap from the previous id (the first from 0), varint (text tf × 2
 * + 1 if the term is in the title), and when that low bit is set a varint title tf.
 *
 * Skip entries cut a list into blocks of SKIP_INTERVAL postings. Entry j holds the last passage id of
 * block j, the byte offset (in the postings section) where block j ends, and the largest BM25F
 * frequency tf' in block j (stored for block-max pruning; this reader does not use it yet). The gaps are not restarted at block starts: a reader that jumps to block
 * j + 1 starts from entry j's last id, so the postings keep format 2's encoding. Lists of at most
 * SKIP_INTERVAL postings have no entries: they are read whole.
 * Runtime-neutral.
 */

export const SKIP_INTERVAL = 128;
/** u32 words per skip entry: last passage id, end offset, block max tf' (f32 bits). */
export const SKIP_WORDS = 3;
/** Past the last passage: a cursor's doc once its list is exhausted (passage ids stay below it). */
export const END_OF_LIST = 0x7fffffff;

export interface FieldFactors {
  text: Float32Array;
  title: Float32Array;
}

export interface ListSummary {
  /** Largest tf' of the list (not yet rounded up). */
  maxTf: number;
  /** SKIP_WORDS numbers per entry, the block maxima not yet rounded up; empty for short lists. */
  skips: number[];
}

/**
 * Decodes one list (its postings after the df varint, at `sectionOffset` in the postings section) and
 * returns its largest tf' and skip entries. tf' is computed exactly as the reader computes it.
 */
export function summarizeList(list: Uint8Array, sectionOffset: number, norms: FieldFactors): ListSummary {
  const skips: number[] = [];
  let at = 0;
  let doc = 0;
  let count = 0;
  let maxTf = 0;
  let blockMax = 0;
  while (at < list.length) {
    let delta = 0;
    for (let shift = 1; ; shift *= 128) {
      const byte = list[at++]!;
      delta += (byte & 0x7f) * shift;
      if (byte < 0x80) break;
    }
    let code = 0;
    for (let shift = 1; ; shift *= 128) {
      const byte = list[at++]!;
      code += (byte & 0x7f) * shift;
      if (byte < 0x80) break;
    }
    let titleTf = 0;
    if (code & 1) {
      for (let shift = 1; ; shift *= 128) {
        const byte = list[at++]!;
        titleTf += (byte & 0x7f) * shift;
        if (byte < 0x80) break;
      }
    }
    doc += delta;
    const tf = Math.floor(code / 2) * norms.text[doc]! + titleTf * norms.title[doc]!;
    if (tf > maxTf) maxTf = tf;
    if (tf > blockMax) blockMax = tf;
    if (++count % SKIP_INTERVAL === 0) {
      skips.push(doc, sectionOffset + at, blockMax);
      blockMax = 0;
    }
  }
  if (count <= SKIP_INTERVAL) return { maxTf, skips: [] };
  if (count % SKIP_INTERVAL !== 0) skips.push(doc, sectionOffset + at, blockMax);
  return { maxTf, skips };
}

/**
 * Walks one posting list forward: `next()` one posting, `advance(target)` to the first posting at or
 * after a passage id, jumping whole blocks through the skip entries.
 */
export class PostingCursor {
  /** Current passage id: -1 before the first `next()`, END_OF_LIST when exhausted. */
  doc = -1;
  textTf = 0;
  titleTf = 0;
  /** Id of the last decoded posting (gaps add to it); 0 before the first. */
  private last = 0;
  /** Skip entry to start looking from (`advance` only moves forward). */
  private block: number;

  /** Where the list's postings start (for a reader that decodes the whole list itself). */
  readonly start: number;
  private at: number;

  constructor(
    readonly postings: Uint8Array,
    start: number,
    readonly end: number,
    /** Postings in the list. */
    readonly df: number,
    /** The list's largest tf' (rounded up): its score bound is weight × maxTf / (maxTf + k1). */
    readonly maxTf: number,
    private readonly skips: Uint32Array,
    private readonly firstSkip: number,
    private readonly endSkip: number,
  ) {
    this.start = start;
    this.at = start;
    this.block = firstSkip;
  }

  next(): void {
    const postings = this.postings;
    let at = this.at;
    if (at >= this.end) {
      this.doc = END_OF_LIST;
      return;
    }
    let delta = 0;
    for (let shift = 1; ; shift *= 128) {
      const byte = postings[at++]!;
      delta += (byte & 0x7f) * shift;
      if (byte < 0x80) break;
    }
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
    this.at = at;
    this.last += delta;
    this.doc = this.last;
    this.textTf = Math.floor(code / 2);
    this.titleTf = titleTf;
  }

  /** Moves to the first posting whose passage id is >= target (or to END_OF_LIST). */
  advance(target: number): void {
    if (this.doc >= target) return;
    if (this.endSkip > this.firstSkip) {
      const skips = this.skips;
      let b = this.block;
      while (b < this.endSkip && skips[b * SKIP_WORDS]! < target) b++;
      if (b === this.endSkip) {
        this.doc = END_OF_LIST;
        this.at = this.end;
        return;
      }
      this.block = b;
      // Jump to the start of block b unless the cursor is already inside it.
      if (b > this.firstSkip) {
        const blockStart = skips[(b - 1) * SKIP_WORDS + 1]!;
        if (blockStart > this.at) {
          this.at = blockStart;
          this.last = skips[(b - 1) * SKIP_WORDS]!;
        }
      }
    }
    do this.next();
    while (this.doc < target);
  }
}
