/**
 * Byte-for-byte equality for large buffers. `expect(a).toEqual(b)` walks a typed array element by element
 * (7 s for a 4 MB shard here); this compares with Buffer.equals and, when they differ, says where.
 */
import { expect } from "vitest";

export function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what = "bytes"): void {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.equals(b)) return;
  let at = 0;
  while (at < a.length && at < b.length && a[at] === b[at]) at++;
  expect.fail(
    `${what} differ: ${a.length} bytes against ${b.length} expected, first difference at byte ${at} ` +
      `(${a[at] ?? "end"} against ${b[at] ?? "end"})`,
  );
}
