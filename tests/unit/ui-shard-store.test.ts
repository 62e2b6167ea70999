/**
 * ShardStore's bookkeeping for shards the build worker writes (adopt, discard, sweep), over a small
 * in-memory stand-in for an OPFS folder.
 */
import { describe, expect, it } from "vitest";
import { ShardStore } from "../../src/ui/shard-store.ts";

interface FakeFile {
  bytes: Uint8Array;
  lastModified: number;
  locked?: boolean;
}

/** The parts of FileSystemDirectoryHandle the store uses, over a Map. */
function fakeFolder(files: Map<string, FakeFile>) {
  const fileHandle = (name: string) => ({
    kind: "file" as const,
    name,
    async getFile() {
      const f = files.get(name);
      if (!f) throw new DOMException("gone", "NotFoundError");
      return new File([f.bytes as Uint8Array<ArrayBuffer>], name, { lastModified: f.lastModified });
    },
    async createWritable() {
      let bytes = new Uint8Array(0);
      return {
        async write(data: Uint8Array) {
          bytes = data.slice();
        },
        async close() {
          files.set(name, { bytes, lastModified: Date.now() });
        },
        async abort() {},
      };
    },
  });
  const folder = {
    kind: "directory" as const,
    async getFileHandle(name: string, options?: { create?: boolean }) {
      if (!files.has(name) && !options?.create) throw new DOMException("no such file", "NotFoundError");
      return fileHandle(name);
    },
    async removeEntry(name: string) {
      const f = files.get(name);
      if (!f) throw new DOMException("no such file", "NotFoundError");
      if (f.locked) throw new DOMException("locked", "NoModificationAllowedError");
      files.delete(name);
    },
    async *entries() {
      for (const name of [...files.keys()]) yield [name, fileHandle(name)] as const;
    },
  };
  const root = { getDirectoryHandle: async () => folder };
  return () => Promise.resolve(root as unknown as FileSystemDirectoryHandle);
}

const bytes = (n: number) => new Uint8Array(n);

describe("the shard store and built shards", () => {
  it("adopts a shard a build wrote, then drops the one it replaces", async () => {
    const files = new Map<string, FakeFile>();
    const store = new ShardStore(fakeFolder(files));
    await store.save(bytes(10), "picked.pas", { passages: 3 } as never);
    const old = (await store.meta())!.file;
    files.set("shard-built.pas", { bytes: bytes(20), lastModified: Date.now() });
    const meta = await store.adopt("shard-built.pas", "shard built from x.xml.bz2", {
      bytes: 20,
      passages: 5,
    });
    expect(meta).toMatchObject({ file: "shard-built.pas", name: "shard built from x.xml.bz2", passages: 5 });
    expect(await store.meta()).toEqual(meta);
    expect(files.has(old)).toBe(false);
    expect((await store.file("shard-built.pas")).size).toBe(20);
    // discard never removes the stored shard.
    await store.discard("shard-built.pas");
    expect(files.has("shard-built.pas")).toBe(true);
  });

  it("sweeps what interrupted builds left, but not the stored shard, a build in progress or a fresh file", async () => {
    const now = Date.now();
    const hourAgo = now - 3_600_000;
    const files = new Map<string, FakeFile>([
      ["shard-1.pas", { bytes: bytes(1), lastModified: hourAgo }],
      ["shard-2.pas", { bytes: bytes(1), lastModified: hourAgo }],
      ["shard-2.pas.runs.tmp", { bytes: bytes(1), lastModified: hourAgo }],
      ["shard-3.pas.blocks.tmp", { bytes: bytes(1), lastModified: hourAgo, locked: true }],
      ["shard-4.pas", { bytes: bytes(1), lastModified: now - 1000 }],
    ]);
    const store = new ShardStore(fakeFolder(files));
    await store.adopt("shard-1.pas", "kept", { bytes: 1, passages: 1 });
    expect((await store.sweep(600_000, now)).sort()).toEqual(["shard-2.pas", "shard-2.pas.runs.tmp"]);
    expect([...files.keys()].sort()).toEqual([
      "shard-1.pas",
      "shard-3.pas.blocks.tmp",
      "shard-4.pas",
      "shard.json",
    ]);
  });
});
