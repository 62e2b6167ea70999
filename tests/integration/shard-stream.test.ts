/**
 * The Node builder's streaming path: posting runs spilled to a file and merged back, postings and
 * passage blocks through temporary files. The shard file must equal the one built in memory, and
 * no temporary file may be left behind.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeShardFile } from "../../src/retrieval/node/build-shard.ts";
import { readInputPassages } from "../../src/retrieval/node/read-input.ts";
import type { Passage } from "../../src/retrieval/search.ts";
import { SHARD_FILE_NAME } from "../../src/retrieval/shard-format.ts";
import { buildShardBytes } from "../../src/retrieval/shard-writer.ts";
import { expectSameBytes } from "../support/bytes.ts";
import { SHARED } from "../support/shared.ts";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "shard-stream-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("streaming shard build", () => {
  it("spills posting runs to disk and writes the same shard as an in-memory build", async () => {
    const passages: Passage[] = [];
    for await (const p of readInputPassages(join(SHARED, "data/wiki/hipporag_2wiki_corpus.json")))
      passages.push(p);
    const written = await writeShardFile(passages, join(work, "out"), { runBytes: 64 * 1024 });
    expect(written.runs).toBeGreaterThan(10);
    const bytes = await readFile(join(work, "out", SHARD_FILE_NAME));
    expectSameBytes(bytes, buildShardBytes(passages), "the streamed shard");
    expect(await readdir(join(work, "out"))).toEqual([SHARD_FILE_NAME]);
  });
});
