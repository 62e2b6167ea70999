/**
 * Browser adapter of the build's storage seam (shard-build.ts): the scratch files and the shard in a
 * folder of the origin private file system, written through FileSystemSyncAccessHandle, which only a
 * dedicated worker may open (the page's build worker). The shard is written under its final name;
 * nothing refers to it until the page's ShardStore adopts it, and a failure or cancel removes it.
 */
import type { ScratchFile, ShardFiles } from "../shard-build.ts";

/** The scratch files' names beside shard `name`. */
export function opfsScratchNames(name: string): string[] {
  return [`${name}.blocks.tmp`, `${name}.runs.tmp`, `${name}.postings.tmp`];
}

export async function opfsShardFiles(dir: FileSystemDirectoryHandle, name: string): Promise<ShardFiles> {
  const scratch = opfsScratchNames(name);
  const handles: FileSystemSyncAccessHandle[] = [];
  const open = async (file: string) => {
    const handle = await (await dir.getFileHandle(file, { create: true })).createSyncAccessHandle();
    handles.push(handle);
    handle.truncate(0);
    return handle;
  };
  const closeAll = () => {
    for (const handle of handles.splice(0)) {
      try {
        handle.flush();
      } finally {
        handle.close();
      }
    }
  };
  const remove = async (names: string[]) => {
    for (const file of names) await dir.removeEntry(file).catch(() => {});
  };
  try {
    const [blocks, runs, postings, output] = (await Promise.all([...scratch, name].map(open))).map(
      handleScratch,
    ) as [ScratchFile, ScratchFile, ScratchFile, ScratchFile];
    return {
      blocks,
      runs,
      postings,
      output,
      async commit() {
        closeAll();
        await remove(scratch);
      },
      async discard() {
        try {
          closeAll();
        } finally {
          await remove([...scratch, name]);
        }
      },
    };
  } catch (error) {
    for (const handle of handles.splice(0)) handle.close();
    await remove([...scratch, name]);
    throw error;
  }
}

/** A sync access handle appended at its end and read back by offset. */
function handleScratch(handle: FileSystemSyncAccessHandle): ScratchFile {
  let length = 0;
  return {
    get length() {
      return length;
    },
    append(bytes) {
      let done = 0;
      while (done < bytes.length) {
        const n = handle.write(bytes.subarray(done) as Uint8Array<ArrayBuffer>, { at: length + done });
        if (n === 0) throw new Error("could not write to the browser's storage (is it full?)");
        done += n;
      }
      length += bytes.length;
    },
    read(offset, size) {
      const out = new Uint8Array(size);
      let done = 0;
      while (done < size) {
        const n = handle.read(out.subarray(done), { at: offset + done });
        if (n === 0) throw new Error(`scratch file ended at ${offset + done} of ${offset + size}`);
        done += n;
      }
      return out;
    },
  };
}
