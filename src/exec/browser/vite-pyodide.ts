/**
 * Vite plugin: self-hosts Pyodide. Copies the runtime files from the pyodide npm package into
 * public/pyodide/ (gitignored) when the dev server or a build starts, so `vite`, `vite build` and
 * `vite preview` all serve them from the page's own origin; nothing is fetched from a CDN.
 *
 * Beside them it puts a Pyodide memory snapshot (pyodide.snapshot.gz, ~6 MB): Pyodide started once here,
 * in Node, and its memory saved at once, before anything else runs. The page's Python worker restores it
 * instead of starting Python, ~0.3 s instead of ~3 s on every page load and worker restart. It is made
 * again whenever Pyodide's files are copied anew.
 */
import { copyFile, mkdir, rename, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { Plugin } from "vite";
import { makePyodideSnapshot, writeWhole } from "../node/pyodide-snapshot.ts";
import { SNAPSHOT_FILE } from "./frame-protocol.ts";

export const PYODIDE_FILES = [
  "pyodide.mjs",
  "pyodide.asm.mjs",
  "pyodide.asm.wasm",
  "python_stdlib.zip",
  "pyodide-lock.json",
] as const;

/**
 * Copies the files whose size or modification time differ; returns the names copied. Each file is written
 * under `scratchDir` first and renamed into place, so a concurrent server or build copying public/ never
 * sees a half-written or temporary file there (scratchDir must be on the same filesystem).
 */
let copies = 0;

export async function copyPyodideAssets(
  outDir: string,
  scratchDir: string,
  sourceDir = pyodidePackageDir(),
  files: readonly string[] = PYODIDE_FILES,
): Promise<string[]> {
  await Promise.all([mkdir(outDir, { recursive: true }), mkdir(scratchDir, { recursive: true })]);
  const copied: string[] = [];
  for (const file of files) {
    const from = join(sourceDir, file);
    const to = join(outDir, file);
    const [a, b] = await Promise.all([stat(from), stat(to).catch(() => undefined)]);
    if (b && b.size === a.size && b.mtimeMs >= a.mtimeMs) continue;
    // Unique per call: two servers started together in one process (the e2e tests) copy at the same time.
    const partial = join(scratchDir, `${file}.${process.pid}.${Date.now()}.${++copies}.partial`);
    await copyFile(from, partial);
    await rename(partial, to);
    copied.push(file);
  }
  return copied;
}

/** Snapshots being made, per folder: two servers started together in one process make one. */
const snapshotting = new Map<string, Promise<boolean>>();

/**
 * When makePyodideSnapshot last changed what it makes (2026-12-02: no build path inside): an older
 * snapshot is made again, even if it is newer than the wasm. Move it forward with every such change.
 */
const SNAPSHOT_RECIPE_CHANGED_MS = Date.parse("2026-12-02T01:00:00Z");

/**
 * Makes `outDir`'s snapshot unless it is newer than both `outDir`'s Pyodide wasm and the snapshot recipe;
 * returns whether it made one.
 * Written under `scratchDir` and renamed into place, like the copies.
 */
export function ensurePyodideSnapshot(
  outDir: string,
  scratchDir: string,
  sourceDir = pyodidePackageDir(),
): Promise<boolean> {
  let pending = snapshotting.get(outDir);
  if (!pending) {
    pending = makeSnapshotFile(outDir, scratchDir, sourceDir).finally(() => snapshotting.delete(outDir));
    snapshotting.set(outDir, pending);
  }
  return pending;
}

async function makeSnapshotFile(outDir: string, scratchDir: string, sourceDir: string): Promise<boolean> {
  const target = join(outDir, SNAPSHOT_FILE);
  const [wasm, snapshot] = await Promise.all([
    stat(join(outDir, "pyodide.asm.wasm")),
    stat(target).catch(() => undefined),
  ]);
  if (snapshot && snapshot.mtimeMs >= Math.max(wasm.mtimeMs, SNAPSHOT_RECIPE_CHANGED_MS)) return false;
  const packed = await promisify(gzip)(await makePyodideSnapshot(sourceDir), { level: 6 });
  await writeWhole(target, packed, scratchDir);
  return true;
}

export function pyodidePackageDir(): string {
  return dirname(createRequire(import.meta.url).resolve("pyodide/package.json"));
}

export function selfHostPyodide(): Plugin {
  return {
    name: "pocket-agent:self-host-pyodide",
    // Before the dev server indexes public/ (it serves only files it has seen) and before a build copies it.
    async configResolved(config) {
      const publicDir = config.publicDir || resolve(config.root, "public");
      const scratch = resolve(config.root, ".cache", "pyodide-copy");
      await copyPyodideAssets(join(publicDir, "pyodide"), scratch);
      await ensurePyodideSnapshot(join(publicDir, "pyodide"), scratch);
    },
  };
}
