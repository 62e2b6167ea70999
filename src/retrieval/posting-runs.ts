/**
 * The builder's postings, kept in bounded memory: postings collect in memory per term until they pass
 * a byte budget, then leave as a sorted run (terms in output order) appended to a RunStore (a file in
 * Node, memory in tests); finish() merges the runs term by term. Each run starts its gaps from passage
 * 0, so merging a term is concatenating its chunks with each chunk's first gap rewritten against the
 * previous chunk's last passage: the merged list is byte for byte what one in-memory list would be.
 *
 * Run record: varint term id, varint postings, varint last passage id, varint byte length, postings.
 * Runtime-neutral.
 */
import { ByteBuffer } from "./bytes.ts";

/** Where runs go: appended in order, read back by offset. */
export interface RunStore {
  append(bytes: Uint8Array): void;
  /** `length` bytes from `offset`; the view may be reused by the next read. */
  read(offset: number, length: number): Uint8Array;
}

/** A RunStore in memory (tests, small corpora). */
export function memoryRunStore(): RunStore {
  const buffer = new ByteBuffer(64 * 1024);
  return {
    append: (bytes) => buffer.append(bytes),
    read: (offset, length) => buffer.bytes.subarray(offset, offset + length),
  };
}

interface OpenList {
  bytes: ByteBuffer;
  lastDoc: number;
  df: number;
}

/** A rough per-list cost beyond its bytes (object, buffer header, slack), for the memory budget. */
const LIST_OVERHEAD = 96;
const READ_CHUNK = 1 << 20;
/** Terms merged between two progress reports: a report sums every run's position, so not per term. */
const PROGRESS_TERMS = 4096;

export class PostingRuns {
  /** Lists of the run in memory, by term id. */
  private lists: Array<OpenList | undefined> = [];
  /** Term ids with a list in the run in memory. */
  private runTerms: number[] = [];
  private held = 0;
  private stored = 0;
  private readonly runs: Array<{ offset: number; length: number }> = [];

  constructor(
    private readonly store: RunStore,
    /** Bytes of postings (plus per-list overhead) to hold before a run is spilled. */
    private readonly budget: number,
    /** Hears how far merge() is: before the first term, every few thousand terms and after the last. */
    private readonly progress?: (merged: MergeProgress) => void,
  ) {}

  get runCount(): number {
    return this.runs.length;
  }

  /** Adds passage `doc` (ascending across calls) to `term`'s list. */
  add(term: number, doc: number, textTf: number, titleTf: number): void {
    let list = this.lists[term];
    if (!list) {
      list = { bytes: new ByteBuffer(16), lastDoc: 0, df: 0 };
      this.lists[term] = list;
      this.runTerms.push(term);
      this.held += LIST_OVERHEAD;
    }
    const bytes = list.bytes;
    const before = bytes.length;
    bytes.varint(doc - list.lastDoc);
    bytes.varint(textTf * 2 + (titleTf > 0 ? 1 : 0));
    if (titleTf > 0) bytes.varint(titleTf);
    list.lastDoc = doc;
    list.df++;
    this.held += bytes.length - before;
  }

  /** Whether the run in memory has reached the budget (the writer spills between passages). */
  get full(): boolean {
    return this.held >= this.budget;
  }

  /** Writes the run in memory to the store, its terms in the order `compare` gives (the output order). */
  spill(compare: (a: number, b: number) => number): void {
    if (this.runTerms.length === 0) return;
    const terms = this.runTerms.sort(compare);
    const out = new ByteBuffer(READ_CHUNK + 64);
    let length = 0;
    for (const term of terms) {
      const list = this.lists[term]!;
      out.varint(term);
      out.varint(list.df);
      out.varint(list.lastDoc);
      out.varint(list.bytes.length);
      out.append(list.bytes.view());
      this.lists[term] = undefined;
      if (out.length >= READ_CHUNK) {
        this.store.append(out.view());
        length += out.length;
        out.length = 0;
      }
    }
    this.store.append(out.view());
    length += out.length;
    this.runs.push({ offset: this.stored, length });
    this.stored += length;
    this.runTerms = [];
    this.held = 0;
  }

  /**
   * Spills what is left, then calls `visit` once per term of `order` (every term id, in output order,
   * the order the runs were sorted in) with its postings count and its merged list (a view valid
   * during the call only).
   */
  merge(
    order: ArrayLike<number>,
    compare: (a: number, b: number) => number,
    visit: (term: number, df: number, list: Uint8Array) => void,
  ): void {
    this.spill(compare);
    this.lists = [];
    const readers = this.runs.map((run) => new RunReader(this.store, run.offset, run.length));
    const progress = this.progress;
    const report = (terms: number) => {
      if (!progress) return;
      let read = 0;
      for (const reader of readers) read += reader.read;
      progress({ terms, totalTerms: order.length, runBytes: read, totalRunBytes: this.stored });
    };
    report(0);
    const list = new ByteBuffer(64 * 1024);
    for (let i = 0; i < order.length; i++) {
      if (progress && i > 0 && i % PROGRESS_TERMS === 0) report(i);
      const term = order[i]!;
      list.length = 0;
      let df = 0;
      let previousLast = 0;
      for (const reader of readers) {
        if (reader.term !== term) continue;
        const chunk = reader.bytes;
        // The chunk's first gap counts from passage 0: rewrite it from the previous chunk's last.
        let at = 0;
        let first = 0;
        for (let shift = 1; ; shift *= 128) {
          const byte = chunk[at++]!;
          first += (byte & 0x7f) * shift;
          if (byte < 0x80) break;
        }
        list.varint(first - previousLast);
        list.append(chunk.subarray(at));
        previousLast = reader.lastDoc;
        df += reader.df;
        reader.next();
      }
      visit(term, df, list.view());
    }
    report(order.length);
    for (const reader of readers) {
      if (reader.term !== -1) throw new Error(`posting run out of order at term ${reader.term}`);
    }
  }
}

/** How far a merge is (PostingRuns.merge). */
export interface MergeProgress {
  /** Terms merged, of `totalTerms`. */
  terms: number;
  totalTerms: number;
  /** Bytes of the spilled runs read (their records are consumed in order), of `totalRunBytes`. */
  runBytes: number;
  totalRunBytes: number;
}

/** Reads one run's records in order, a chunk of the store at a time. */
class RunReader {
  /** Term of the current record; -1 once the run is read. */
  term = -1;
  df = 0;
  lastDoc = 0;
  bytes: Uint8Array = new Uint8Array(0);
  private buffer: Uint8Array = new Uint8Array(0);
  private bufferStart = 0;
  private position: number;
  private readonly end: number;

  constructor(
    private readonly store: RunStore,
    private readonly offset: number,
    length: number,
  ) {
    this.position = offset;
    this.end = offset + length;
    this.next();
  }

  /** Bytes of the run consumed: the records read so far, the current one included. */
  get read(): number {
    return this.position - this.offset;
  }

  /** Makes bytes [position, position + n) available in the buffer. */
  private ensure(n: number): void {
    if (this.position + n <= this.bufferStart + this.buffer.length) return;
    const length = Math.min(this.end - this.position, Math.max(n, READ_CHUNK));
    this.buffer = this.store.read(this.position, length);
    this.bufferStart = this.position;
  }

  private varint(): number {
    let value = 0;
    let at = this.position - this.bufferStart;
    for (let shift = 1; ; shift *= 128) {
      const byte = this.buffer[at++]!;
      value += (byte & 0x7f) * shift;
      if (byte < 0x80) break;
    }
    this.position = this.bufferStart + at;
    return value;
  }

  next(): void {
    if (this.position >= this.end) {
      this.term = -1;
      return;
    }
    // A record header is four varints, at most 40 bytes.
    this.ensure(Math.min(40, this.end - this.position));
    this.term = this.varint();
    this.df = this.varint();
    this.lastDoc = this.varint();
    const length = this.varint();
    this.ensure(length);
    const at = this.position - this.bufferStart;
    this.bytes = this.buffer.subarray(at, at + length);
    this.position += length;
  }
}
