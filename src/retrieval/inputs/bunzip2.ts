/**
 * Streaming bzip2 decompression over any async source of byte chunks, in Node and in a browser worker:
 * unbzip2-stream's own block decoder (a pure-JS port of micro-bunzip) driven without its Node stream
 * wrapper, which needs Buffer and `through`. A block is decoded once enough input for the largest
 * possible compressed block is buffered (or the input has ended), so memory holds about one compressed
 * and one decompressed block (at most ~1 MB and ~4.5 MB) plus the decoder's 3.6 MB table. Concatenated
 * streams (pbzip2, Wikipedia's multistream dumps) are read one after another. Runtime-neutral.
 */
import bitIterator from "unbzip2-stream/lib/bit_iterator.js";
import bzip2 from "unbzip2-stream/lib/bzip2.js";

export class Bzip2Error extends Error {
  override name = "Bzip2Error";
}

/** Whether bytes start like a bzip2 stream ("BZh" and a block size digit). */
export function isBzip2(head: Uint8Array): boolean {
  return head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68 && (head[3] ?? 0x31) >= 0x31;
}

export async function* bunzip2(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const queue: Uint8Array[] = [];
  let received = 0;
  let ended = false;
  let bits: ReturnType<typeof bitIterator> | undefined;
  let blockSize = 0;
  let streamCrc: number | null = null;
  let table = new Int32Array(0);
  let out = new Uint8Array(1 << 20);
  let filled = 0;
  const write = (byte: number) => {
    if (filled === out.length) {
      const grown = new Uint8Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    out[filled++] = byte;
  };
  const next = () => {
    const chunk = queue.shift();
    if (!chunk) throw new Bzip2Error("the data ends in the middle of a block (a cut file?)");
    return chunk;
  };
  /** Decodes one block (or a stream header / end); returns the block's bytes, if any. */
  const step = (): Uint8Array | undefined => {
    const reader = bits!;
    try {
      if (!blockSize) {
        blockSize = bzip2.header(reader);
        streamCrc = 0;
        if (table.length < 100_000 * blockSize) table = new Int32Array(100_000 * blockSize);
        return undefined;
      }
      filled = 0;
      streamCrc = bzip2.decompress(reader, write, table, 100_000 * blockSize, streamCrc);
    } catch (error) {
      if (error instanceof Bzip2Error) throw error;
      // The decoder throws its own Bzip2Error (not an Error subclass here) and TypeErrors on garbage.
      const message = (error as { message?: string }).message ?? String(error);
      throw new Bzip2Error(message.replace(/^Error in bzip2: /, ""));
    }
    if (streamCrc === null) {
      blockSize = 0; // the stream's end: another may follow
      return undefined;
    }
    return out.slice(0, filled);
  };
  const unread = () => received - (bits?.bytesRead ?? 0);
  const iterator = chunks[Symbol.asyncIterator]();
  for (;;) {
    if (!ended) {
      const result = await iterator.next();
      if (result.done) ended = true;
      else if (result.value.length) {
        queue.push(result.value);
        received += result.value.length;
        bits ??= bitIterator(next);
      }
    }
    if (!bits) {
      if (ended) return;
      continue;
    }
    // A compressed block is at most ~100 kB per size step plus headers: decode only once it is all here.
    while (unread() > 0 && (ended || unread() + 1 >= 25_000 + 100_000 * blockSize)) {
      const block = step();
      if (block?.length) yield block;
    }
    if (ended) {
      if (streamCrc !== null)
        throw new Bzip2Error("the data ends before the end of the stream (a cut file?)");
      return;
    }
  }
}
