// The two pure-JS files of unbzip2-stream (its index.js wraps them in a Node `through` stream, which
// the page cannot use); bunzip2.ts drives them over any async byte source.
declare module "unbzip2-stream/lib/bzip2.js" {
  type Bits = ((n: number | null) => number) & { bytesRead: number };
  const bzip2: {
    header(bits: Bits): number;
    decompress(
      bits: Bits,
      write: (byte: number) => void,
      buffer: Int32Array,
      size: number,
      streamCrc: number | null,
    ): number | null;
  };
  export default bzip2;
}
declare module "unbzip2-stream/lib/bit_iterator.js" {
  export default function bitIterator(
    nextBuffer: () => Uint8Array,
  ): ((n: number | null) => number) & { bytesRead: number };
}
