/**
 * The BM25F arithmetic shared by the writer (which stores per-term and per-block score bounds) and the
 * reader (which scores with them). Both must compute a passage's field factors the same way, or a
 * stored bound could sit below a real score and pruning would drop a passage it should keep.
 * Runtime-neutral.
 */

export interface FieldNormParams {
  /** b of the text field and of the title field, and the title field's weight (as stored: f32 values). */
  b: number;
  titleB: number;
  titleWeight: number;
  /** Average text and title lengths in indexed tokens (as stored: f64). */
  avgDocLength: number;
  avgTitleLength: number;
}

/**
 * Per passage, the factors that turn raw field frequencies into BM25F's combined frequency:
 * tf' = tfText * text[d] + tfTitle * title[d]. Float32 to halve their memory; the writer's bounds are
 * computed from these same f32 values.
 */
export function fieldNorms(
  params: FieldNormParams,
  docLengths: ArrayLike<number>,
  titleLengths: ArrayLike<number>,
  count: number,
): { text: Float32Array; title: Float32Array } {
  const { b, titleB, titleWeight } = params;
  const avg = params.avgDocLength || 1;
  const avgTitle = params.avgTitleLength || 1;
  const text = new Float32Array(count);
  const title = new Float32Array(count);
  // An empty field has no frequencies to weigh: its factor is 0, not the 1/0 that b = 1 would give
  // (Infinity, and 0 × Infinity = NaN would sink the passage's score).
  for (let d = 0; d < count; d++) {
    text[d] = docLengths[d] ? 1 / (1 - b + (b * docLengths[d]!) / avg) : 0;
    title[d] = titleLengths[d] ? titleWeight / (1 - titleB + (titleB * titleLengths[d]!) / avgTitle) : 0;
  }
  return { text, title };
}

/**
 * A stored bound on tf': rounded up to the next representable f32 and then some, so that float
 * rounding can never make the stored value smaller than a frequency it bounds.
 */
export function boundUp(tf: number): number {
  return Math.fround(tf * (1 + 2 ** -20));
}

/** Lucene/Pyserini idf. */
export function idf(passages: number, df: number): number {
  return Math.log(1 + (passages - df + 0.5) / (df + 0.5));
}
