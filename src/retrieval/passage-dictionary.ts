/**
 * The shared deflate dictionary of a shard's passage blocks (format 4, section 15). A block of 16
 * passages is too short for deflate to find much to repeat in itself; a preset dictionary (the
 * window deflate may copy from before the block starts) of the corpus's frequent words lets every
 * block refer to them. Measured on held-out real passages (bench/retrieval.bench.ts, `compression`):
 * 238.8 → 206.4 bytes a passage with 16 passages a block; word n-grams, raw sample text and level 9
 * did no better.
 * Runtime-neutral.
 */

/** Deflate's window: a preset dictionary longer than this is of no use. */
export const MAX_DICTIONARY_BYTES = 32 * 1024;
/** The builder makes the dictionary from the corpus's first passages (held back until then). */
export const DICTIONARY_SAMPLE_PASSAGES = 4096;

/**
 * The words (longer than 2 bytes, split at whitespace) that take the most bytes in `passages`
 * (count × length), separated by spaces, at most `size` bytes, the heaviest last (deflate codes
 * nearer distances in fewer bits). Ties by word, so the same passages give the same dictionary.
 */
export function buildPassageDictionary(
  passages: Iterable<{ title: string; text: string }>,
  size = MAX_DICTIONARY_BYTES,
): Uint8Array {
  const encoder = new TextEncoder();
  const weight = new Map<string, number>();
  for (const p of passages) {
    for (const field of [p.title, p.text]) {
      for (const word of field.split(/\s+/)) {
        if (word.length > 2) weight.set(word, (weight.get(word) ?? 0) + word.length);
      }
    }
  }
  const ranked = [...weight].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const picked: Uint8Array[] = [];
  let bytes = 0;
  for (const [word] of ranked) {
    const encoded = encoder.encode(word);
    if (bytes + encoded.length + 1 > size) break;
    picked.push(encoded);
    bytes += encoded.length + 1;
  }
  const out = new Uint8Array(Math.max(0, bytes - 1));
  let at = 0;
  for (let i = picked.length - 1; i >= 0; i--) {
    out.set(picked[i]!, at);
    at += picked[i]!.length;
    if (i > 0) out[at++] = 0x20;
  }
  return out;
}
