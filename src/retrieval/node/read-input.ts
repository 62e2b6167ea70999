/**
 * Node adapter: the passages of one input file, read as a stream by the runtime-neutral reader
 * (inputs/read-passages.ts, which the page's build worker uses too).
 */
import { createReadStream } from "node:fs";
import { ShardInputError } from "../inputs/layouts.ts";
import { type InputReport, newInputReport, readPassages } from "../inputs/read-passages.ts";
import type { Passage } from "../search.ts";

export type { InputReport };

export async function* readInputPassages(file: string, report?: InputReport): AsyncGenerator<Passage> {
  yield* readPassages(fileChunks(file), file, report ?? newInputReport(file));
}

async function* fileChunks(file: string): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).syscall)
      throw new ShardInputError(`${file}: cannot read (${(error as Error).message})`);
    throw error;
  } finally {
    stream.destroy();
  }
}
