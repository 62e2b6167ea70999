/**
 * Pyodide memory snapshots for the Node sandbox: the wasm heap of an interpreter that has just started
 * (before the sandbox's prelude, before any action), saved once and restored by later sandboxes. Starting
 * from one takes ~0.4 s instead of ~2 s here, which every new sandbox and every restart after a crash or a
 * swallowed interrupt pays.
 *
 * The first sandbox of a Pyodide install starts the slow way with Pyodide's `_makeSnapshot`, hands its
 * snapshot to the host before it serves anything, and the host writes it atomically to
 * `$POCKET_AGENT_CACHE/pyodide/` (else `$XDG_CACHE_HOME/pocket-agent/pyodide/`, else
 * `~/.cache/pocket-agent/pyodide/`), under a name that changes with the Pyodide version, folder and wasm
 * file. The sandbox may read that one file and write nothing. A snapshot that does not restore is deleted
 * and the sandbox starts the slow way.
 *
 * What a snapshot holds is Pyodide's own start-up state, made by the host's own install, so it carries no
 * trust that `node_modules` does not already carry; model code never runs before it is taken.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { cacheRoot } from "../../util/node/cache-root.ts";

/** Where snapshots are kept: a folder, or false for none (every sandbox starts the slow way). */
export type SnapshotDir = string | false;

export function defaultSnapshotDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), "pyodide");
}

/** The snapshot file for this Pyodide folder: its name changes when the install does. */
export async function snapshotPath(dir: string, indexURL: string): Promise<string> {
  const wasm = await stat(join(indexURL, "pyodide.asm.wasm"));
  const key = createHash("sha256")
    .update(`${indexURL}\0${wasm.size}\0${wasm.mtimeMs}`)
    .digest("hex")
    .slice(0, 16);
  return join(dir, `pyodide-${key}.snapshot`);
}

/** Whether a complete snapshot is there to restore (files appear only whole, by rename). */
export async function snapshotExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

/**
 * Snapshots kept in a folder: one per Pyodide install (31 MB each), so an upgrade or a second project
 * would otherwise leave the old ones behind for good. The most recently used are kept.
 */
export const SNAPSHOTS_KEPT = 3;
const SNAPSHOT_NAME = /^pyodide-[0-9a-f]{16}\.snapshot$/;

/**
 * Writes a snapshot the sandbox made (concurrent writers each rename a whole file over the name), then
 * deletes all but the SNAPSHOTS_KEPT most recently used snapshots of the folder.
 */
export async function saveSnapshot(path: string, bytes: Uint8Array): Promise<void> {
  await writeWhole(path, bytes);
  await pruneSnapshots(dirname(path));
}

/** Marks a snapshot as used now (its mtime), so that pruning keeps it; a read-only cache is fine. */
export async function touchSnapshot(path: string): Promise<void> {
  const now = new Date();
  await utimes(path, now, now).catch(() => {});
}

async function pruneSnapshots(dir: string): Promise<void> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => SNAPSHOT_NAME.test(name));
  const dated = await Promise.all(
    names.map(async (name) => ({
      name,
      used: (await stat(join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0,
    })),
  );
  dated.sort((a, b) => b.used - a.used || a.name.localeCompare(b.name));
  await Promise.all(dated.slice(SNAPSHOTS_KEPT).map(({ name }) => rm(join(dir, name), { force: true })));
}

/**
 * Writes `bytes` under `scratchDir` (same file system), then renames the file to `path`, so `path` is
 * only ever seen whole; each writer has its own scratch name, so concurrent writers do not mix.
 */
export async function writeWhole(path: string, bytes: Uint8Array, scratchDir = dirname(path)): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await mkdir(scratchDir, { recursive: true });
  const partial = join(scratchDir, `${basename(path)}.${process.pid}.${Date.now()}.partial`);
  try {
    await writeFile(partial, bytes);
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
}

export async function dropSnapshot(path: string): Promise<void> {
  await rm(path, { force: true });
}

/**
 * What the snapshot's interpreter calls its program (sys.executable, the environment's `_`). Left unset,
 * Emscripten takes Node's `process.argv[1]`, and the snapshot, which every visitor of the page downloads,
 * would carry the path of the script that built it (say /home/alice/app/node_modules/.bin/vite). This is
 * the name a browser start gets anyway.
 */
const SNAPSHOT_PROGRAM_NAME = "./this.program";

/**
 * A snapshot made in this process (the page's build: vite-pyodide.ts), from the Pyodide folder
 * `indexURL`: Pyodide started and snapshotted at once, nothing else run. The page's worker restores it.
 */
export async function makePyodideSnapshot(indexURL: string): Promise<Uint8Array> {
  const { loadPyodide } = (await import(
    /* @vite-ignore */ pathToFileURL(join(indexURL, "pyodide.mjs")).href
  )) as typeof import("pyodide");
  const quiet = () => {};
  const pyodide = await loadPyodide({
    indexURL: indexURL.endsWith("/") ? indexURL : `${indexURL}/`,
    stdout: quiet,
    stderr: quiet,
    _sysExecutable: SNAPSHOT_PROGRAM_NAME,
    _makeSnapshot: true,
  });
  return pyodide.makeMemorySnapshot();
}
