/**
 * Node adapter of the build's storage seam (shard-build.ts): scratch files and the partial shard
 * beside the target (TARGET.blocks.tmp, .runs.tmp, .postings.tmp, TARGET.tmp), written and read with
 * positioned synchronous calls; commit renames TARGET.tmp into place, and both ends remove the rest.
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import type { ScratchFile, ShardFiles } from "../shard-build.ts";

export function nodeShardFiles(target: string): ShardFiles {
  const scratch = [`${target}.blocks.tmp`, `${target}.runs.tmp`, `${target}.postings.tmp`];
  const partial = `${target}.tmp`;
  const fds: number[] = [];
  const open = (path: string) => {
    const fd = openSync(path, "w+");
    fds.push(fd);
    return fd;
  };
  const closeAll = () => {
    for (const fd of fds.splice(0)) closeSync(fd);
  };
  const removeScratch = async () => {
    for (const path of scratch) await rm(path, { force: true });
  };
  try {
    const [blocks, runs, postings] = scratch.map((path) => fileScratch(open(path))) as [
      ScratchFile,
      ScratchFile,
      ScratchFile,
    ];
    const output = fileScratch(open(partial));
    return {
      blocks,
      runs,
      postings,
      output,
      async commit() {
        closeAll();
        await rename(partial, target);
        await removeScratch();
      },
      async discard() {
        closeAll();
        await rm(partial, { force: true });
        await removeScratch();
      },
    };
  } catch (error) {
    closeAll();
    throw error;
  }
}

/** A file appended at its end and read back with positioned reads. */
function fileScratch(fd: number): ScratchFile {
  let length = 0;
  return {
    get length() {
      return length;
    },
    append(bytes) {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, length + done);
      length += bytes.length;
    },
    read(offset, size) {
      const out = new Uint8Array(size);
      let done = 0;
      while (done < size) {
        const n = readSync(fd, out, done, size - done, offset + done);
        if (n === 0) throw new Error(`scratch file ended at ${offset + done} of ${offset + size}`);
        done += n;
      }
      return out;
    },
  };
}
