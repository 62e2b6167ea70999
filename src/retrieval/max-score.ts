/**
 * Top-k BM25F, exhaustive or with dynamic pruning: MaxScore in its term-at-a-time form (Turtle &
 * Flood 1995), over lists that can be skipped through (postings.ts).
 *
 * Terms are summed in one canonical order, descending score bound (ties by query position), each
 * contribution added to a float32 accumulator. Exhaustive scoring reads every posting of every term.
 * Pruned scoring reads the lists in the same order, and after each one compares:
 *  - θ, the k-th largest accumulator (a lower bound of k final scores: contributions are >= 0, and
 *    float32 rounding of a sum with a non-negative term never goes down), with
 *  - the sum of the bounds of the lists still unread (times the title-match factor, plus slack for
 *    float rounding).
 * Once that sum is below θ, a passage no list read so far holds cannot reach the top k (ties go to
 * the lower id, but "below" is strict, so such a passage scores strictly less than k others). From
 * then on only the passages already held are candidates; each remaining list is read only at them
 * (jumping blocks through its skip entries) and candidates whose score plus the remaining bounds is
 * below θ are dropped after each list. Usually the unread lists are the common words, the longest.
 *
 * A candidate that survives has had every list's contribution added in the canonical order, so its
 * score is bit-identical to the exhaustive one, and the top k (ties by lower id) are the same.
 * Runtime-neutral.
 */
import { END_OF_LIST as END, type PostingCursor } from "./postings.ts";

export interface QueryTerm {
  cursor: PostingCursor;
  /** Query weight × idf × (k1 + 1), times RM3's original weight where it applies. */
  weight: number;
  /** How many typed query tokens are this term (for the whole-title match); 0 for feedback terms. */
  typed: number;
}

export interface ScoringContext {
  k1: number;
  textNorms: Float32Array;
  titleNorms: Float32Array;
  titleLengths: Uint8Array;
  /** Score factor of a passage whose whole title is in the typed query. */
  matchFactor: number;
}

/** Mark of a passage an added (RM3) list has reached, its accumulator already scaled. */
const REACHED = 3;

/** Inserts (doc, score) into `best` (at most k, best first, ties to the lower id) if it belongs there. */
function insertTop(best: Array<[number, number]>, k: number, doc: number, score: number): void {
  if (best.length === k) {
    const worst = best[k - 1]!;
    if (score < worst[1] || (score === worst[1] && doc > worst[0])) return;
  }
  let at = best.length;
  while (at > 0 && (best[at - 1]![1] < score || (best[at - 1]![1] === score && best[at - 1]![0] > doc))) at--;
  best.splice(at, 0, [doc, score]);
  if (best.length > k) best.pop();
}

/** Per-passage scratch space of one shard, reused by every query (cleared after each). */
export class Accumulator {
  private readonly scores: Float32Array;
  /** Title tokens of a passage that typed query tokens matched. */
  private readonly titleHits: Uint8Array;
  /** 1 for a passage in `touched`; 2 for one that is also a current candidate; REACHED (3) for one an RM3 added list reached. */
  private readonly marks: Uint8Array;
  private touched = new Int32Array(1024);
  private touchedCount = 0;

  constructor(passages: number) {
    this.scores = new Float32Array(passages);
    this.titleHits = new Uint8Array(passages);
    this.marks = new Uint8Array(passages);
  }

  /**
   * The k best (passage, score) pairs, best first, ties to the lower id. `prune` false reads every
   * posting (the reference the pruned search is tested against).
   */
  topK(terms: QueryTerm[], k: number, ctx: ScoringContext, prune = true): Array<[number, number]> {
    if (k === 0 || terms.length === 0) return [];
    try {
      return this.run(terms, k, ctx, prune);
    } finally {
      this.clear();
    }
  }

  /**
   * RM3's two passes over the original `terms`: the first pass's `firstK` best give `expand` its
   * passages, which returns the added terms; the second pass's score is the first pass's scaled by
   * `originalScale` (one float32 product) plus the added terms' in their canonical order. The first
   * pass reads every list whole (the second needs every first-pass score an added term may lift).
   *
   * Unpruned (the reference): every touched accumulator is scaled, the added lists are read whole,
   * and the top k is taken over every touched passage. Pruned: the same sums, without a second walk
   * over the first pass's passages (hundreds of thousands at 1M): the first pass's last walk also
   * takes the k best by the score a passage has if no added term reaches it (its scaled score, with
   * the title-match boost); an accumulator is scaled when an added list first reaches it; and the top
   * k is taken among those k and the passages the added lists reach. Exact: a passage in neither
   * scores its scaled score, and each of those k scores at least theirs (added terms only add), so
   * k passages rank before it.
   */
  feedbackTopK(
    terms: QueryTerm[],
    firstK: number,
    expand: (first: Array<[number, number]>) => QueryTerm[],
    k: number,
    originalScale: number,
    ctx: ScoringContext,
    prune = true,
  ): Array<[number, number]> {
    try {
      if (k === 0 || terms.length === 0) return [];
      if (!prune) {
        const first = this.run(terms, firstK, ctx, false);
        if (first.length === 0) return [];
        const added = expand(first);
        for (let i = 0; i < this.touchedCount; i++) this.scores[this.touched[i]!]! *= originalScale;
        return this.run(added, k, ctx, false);
      }
      for (const i of this.canonicalOrder(terms, ctx.k1)) this.readList(terms[i]!, ctx);
      const { first, unreached } = this.firstPassTops(firstK, k, originalScale, ctx);
      if (first.length === 0) return [];
      const added = expand(first);
      const reached = this.readAdded(added, originalScale, ctx);
      const best: Array<[number, number]> = [];
      for (const doc of reached) insertTop(best, k, doc, this.finalScore(doc, ctx));
      for (const [doc, score] of unreached) {
        if (this.marks[doc] !== REACHED) insertTop(best, k, doc, score);
      }
      return best;
    } finally {
      this.clear();
    }
  }

  /** Term indexes in the canonical summing order: descending score bound, ties by query position. */
  private canonicalOrder(terms: QueryTerm[], k1: number): number[] {
    const bounds = terms.map((t) => (t.weight * t.cursor.maxTf) / (t.cursor.maxTf + k1));
    return terms.map((_, i) => i).sort((a, b) => bounds[b]! - bounds[a]! || a - b);
  }

  /** A touched passage's score with the whole-title boost, as the top k sees it. */
  private finalScore(doc: number, ctx: ScoringContext): number {
    const hits = this.titleHits[doc]!;
    return hits > 0 && hits >= ctx.titleLengths[doc]!
      ? Math.fround(this.scores[doc]! * ctx.matchFactor)
      : this.scores[doc]!;
  }

  /**
   * One walk over the first pass's passages: its `firstK` best, and the `k` best by the score each
   * would have in the second pass if no added term reached it (scaled, then boosted).
   */
  private firstPassTops(firstK: number, k: number, scale: number, ctx: ScoringContext) {
    const { titleLengths, matchFactor } = ctx;
    const first: Array<[number, number]> = [];
    const unreached: Array<[number, number]> = [];
    const scores = this.scores;
    const titleHits = this.titleHits;
    let firstWorst = Number.NEGATIVE_INFINITY;
    let unreachedWorst = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < this.touchedCount; i++) {
      const doc = this.touched[i]!;
      const hits = titleHits[doc]!;
      const boosted = hits > 0 && hits >= titleLengths[doc]!;
      const score = scores[doc]!;
      const scaled = Math.fround(score * scale);
      const one = boosted ? Math.fround(score * matchFactor) : score;
      const two = boosted ? Math.fround(scaled * matchFactor) : scaled;
      // Equal scores may still enter (ties go to the lower id, and ids come in any order here).
      if (one >= firstWorst) {
        insertTop(first, firstK, doc, one);
        if (first.length === firstK) firstWorst = first[firstK - 1]![1];
      }
      if (two >= unreachedWorst) {
        insertTop(unreached, k, doc, two);
        if (unreached.length === k) unreachedWorst = unreached[k - 1]![1];
      }
    }
    return { first, unreached };
  }

  /**
   * Adds the added terms' whole lists, in their canonical order, to the accumulators, scaling each
   * accumulator by `scale` when the first of them reaches it; returns the passages they reached.
   */
  private readAdded(added: QueryTerm[], scale: number, ctx: ScoringContext): number[] {
    const { k1, textNorms, titleNorms } = ctx;
    const scores = this.scores;
    const marks = this.marks;
    const reached: number[] = [];
    for (const index of this.canonicalOrder(added, k1)) {
      const t = added[index]!;
      const c = t.cursor;
      for (c.next(); c.doc !== END; c.next()) {
        const doc = c.doc;
        if (marks[doc] !== REACHED) {
          if (marks[doc] === 0) this.touch(doc);
          marks[doc] = REACHED;
          scores[doc] = Math.fround(scores[doc]! * scale);
          reached.push(doc);
        }
        const tf = c.textTf * textNorms[doc]! + c.titleTf * titleNorms[doc]!;
        scores[doc]! += (t.weight * tf) / (tf + k1);
      }
    }
    return reached;
  }

  private touch(doc: number): void {
    if (this.touchedCount === this.touched.length) {
      const grown = new Int32Array(this.touched.length * 2);
      grown.set(this.touched);
      this.touched = grown;
    }
    this.touched[this.touchedCount++] = doc;
  }

  private clear(): void {
    // Past an eighth of the passages, clearing whole arrays beats clearing passage by passage.
    if (this.touchedCount > this.scores.length / 8) {
      this.scores.fill(0);
      this.titleHits.fill(0);
      this.marks.fill(0);
      this.touchedCount = 0;
      return;
    }
    for (let i = 0; i < this.touchedCount; i++) {
      const doc = this.touched[i]!;
      this.scores[doc] = 0;
      this.titleHits[doc] = 0;
      this.marks[doc] = 0;
    }
    this.touchedCount = 0;
  }

  /**
   * Adds `terms` to the accumulators and returns the top k of all touched passages (k >= 1). Unpruned,
   * the accumulators may already hold other terms (RM3's reference second pass).
   */
  private run(terms: QueryTerm[], k: number, ctx: ScoringContext, prune: boolean): Array<[number, number]> {
    const { k1, matchFactor } = ctx;
    const m = terms.length;
    const bounds = terms.map((t) => (t.weight * t.cursor.maxTf) / (t.cursor.maxTf + k1));
    const order = terms.map((_, i) => i).sort((a, b) => bounds[b]! - bounds[a]! || a - b);
    let typedTotal = 0;
    let remaining = 0;
    for (let i = 0; i < m; i++) {
      typedTotal += terms[i]!.typed;
      remaining += bounds[i]!;
    }
    // Float32 rounding of up to m additions and two products, relative to the score: a generous margin.
    const slack = 1 + (m + 4) * 2 ** -22;
    let read = 0;
    /** Sum of the bounds of the lists read: no accumulator holds more (θ cannot be above it). */
    let readBound = 0;
    let theta = Number.NEGATIVE_INFINITY;
    let unread = 0;
    for (const t of terms) unread += t.cursor.df;

    // Phase 1: whole lists, while a passage none of them holds could still reach the top k.
    for (; read < m; read++) {
      // θ can only be above the unread bounds once the read bounds outweigh them; and looking costs a
      // pass over the touched passages, worth it only when the unread postings are many more.
      if (
        prune &&
        this.touchedCount >= k &&
        remaining * matchFactor < readBound &&
        unread > 4 * this.touchedCount
      ) {
        theta = this.kthLargest(this.touched, this.touchedCount, k);
        // Switch only when the candidates are few against the postings left: else reading whole
        // lists is cheaper than sorting the candidates and looking each up.
        if (
          remaining * matchFactor * slack < theta &&
          this.countAbove(theta, remaining, typedTotal, ctx, slack) * 8 < unread
        )
          break;
      }
      this.readList(terms[order[read]!]!, ctx);
      unread -= terms[order[read]!]!.cursor.df;
      remaining -= bounds[order[read]!]!;
      readBound += bounds[order[read]!]! * slack;
    }

    // Phase 2: the remaining lists, read at the candidates only.
    let candidates: Int32Array = this.touched.subarray(0, this.touchedCount);
    if (read < m) {
      candidates = candidates.slice();
      candidates = this.prune(candidates, candidates.length, theta, remaining, typedTotal, ctx, slack);
      candidates.sort();
      for (const doc of candidates) this.marks[doc] = 2;
      let count = candidates.length;
      for (; read < m && count > 0; read++) {
        const t = terms[order[read]!]!;
        this.readAt(t, candidates, count, ctx);
        remaining -= bounds[order[read]!]!;
        theta = this.kthLargest(candidates, count, k);
        const kept = this.prune(candidates, count, theta, remaining, typedTotal, ctx, slack);
        for (let i = kept.length; i < count; i++) this.marks[candidates[i]!] = 1;
        count = kept.length;
        candidates = kept;
      }
      candidates = candidates.subarray(0, count);
    }

    // Final scores (the whole-title boost) and the top k, ties to the lower id.
    const best: Array<[number, number]> = [];
    for (const doc of candidates) insertTop(best, k, doc, this.finalScore(doc, ctx));
    return best;
  }

  /** Adds one term's whole list to the accumulators, touching the passages it holds. */
  private readList(t: QueryTerm, ctx: ScoringContext): void {
    const { k1, textNorms, titleNorms } = ctx;
    const { weight, typed } = t;
    const { postings, end } = t.cursor;
    let at = t.cursor.start;
    const scores = this.scores;
    const titleHits = this.titleHits;
    const marks = this.marks;
    // Varints decoded inline (not through the cursor): this loop is the hot path of every query.
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
      if (marks[doc] === 0) {
        marks[doc] = 1;
        this.touch(doc);
      }
      const tf = Math.floor(code / 2) * textNorms[doc]! + titleTf * titleNorms[doc]!;
      scores[doc]! += (weight * tf) / (tf + k1);
      if (typed > 0 && titleTf > 0)
        titleHits[doc] = Math.min(255, titleHits[doc]! + Math.min(titleTf, typed));
    }
  }

  /**
   * Adds one term's contributions at the candidates (ascending ids) only: by skipping through the list
   * when the candidates are few against it, else by reading it whole and looking at the marks.
   */
  private readAt(t: QueryTerm, candidates: Int32Array, count: number, ctx: ScoringContext): void {
    const { k1, textNorms, titleNorms } = ctx;
    const c = t.cursor;
    const { weight, typed } = t;
    const scores = this.scores;
    const titleHits = this.titleHits;
    const add = (doc: number) => {
      const tf = c.textTf * textNorms[doc]! + c.titleTf * titleNorms[doc]!;
      scores[doc]! += (weight * tf) / (tf + k1);
      if (typed > 0 && c.titleTf > 0)
        titleHits[doc] = Math.min(255, titleHits[doc]! + Math.min(c.titleTf, typed));
    };
    // Skipping costs up to a block (SKIP_INTERVAL postings) per candidate.
    if (count * 16 < c.df) {
      for (let i = 0; i < count && c.doc !== END; i++) {
        const doc = candidates[i]!;
        c.advance(doc);
        if (c.doc === doc) add(doc);
      }
    } else {
      const marks = this.marks;
      for (c.next(); c.doc !== END; c.next()) if (marks[c.doc] === 2) add(c.doc);
    }
  }

  /** The candidates (first `count`) whose score could still reach θ, in the same order. */
  private prune(
    candidates: Int32Array,
    count: number,
    theta: number,
    remaining: number,
    typedTotal: number,
    ctx: ScoringContext,
    slack: number,
  ): Int32Array {
    const { titleLengths, matchFactor } = ctx;
    let kept = 0;
    const out = candidates;
    const drop: number[] = [];
    for (let i = 0; i < count; i++) {
      const doc = candidates[i]!;
      const length = titleLengths[doc]!;
      const factor = length > 0 && length <= typedTotal ? matchFactor * slack : slack;
      if ((this.scores[doc]! + remaining) * factor < theta) drop.push(doc);
      else out[kept++] = doc;
    }
    // The dropped go after the kept, so the caller can unmark them.
    for (let i = 0; i < drop.length; i++) out[kept + i] = drop[i]!;
    return out.subarray(0, kept);
  }

  /** How many touched passages could still reach θ with the remaining bounds. */
  private countAbove(
    theta: number,
    remaining: number,
    typedTotal: number,
    ctx: ScoringContext,
    slack: number,
  ) {
    const { titleLengths, matchFactor } = ctx;
    let count = 0;
    for (let i = 0; i < this.touchedCount; i++) {
      const doc = this.touched[i]!;
      const length = titleLengths[doc]!;
      const factor = length > 0 && length <= typedTotal ? matchFactor * slack : slack;
      if ((this.scores[doc]! + remaining) * factor >= theta) count++;
    }
    return count;
  }

  /** The k-th largest accumulator among `docs` (first `count`); -Infinity when fewer than k. */
  private kthLargest(docs: Int32Array, count: number, k: number): number {
    if (count < k) return Number.NEGATIVE_INFINITY;
    // The k largest so far, ascending; a small sorted buffer beats a heap for the k the agent uses.
    const top = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
    const scores = this.scores;
    for (let i = 0; i < count; i++) {
      const s = scores[docs[i]!]!;
      if (s <= top[0]!) continue;
      let at = 0;
      while (at + 1 < k && top[at + 1]! < s) {
        top[at] = top[at + 1]!;
        at++;
      }
      top[at] = s;
    }
    return top[0]!;
  }
}
