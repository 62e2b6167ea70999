/**
 * Vite plugin: self-hosts Pyodide. Copies the runtime files from the pyodide npm package into
 * public/pyodide/ (gitignored) when the dev server or a build starts, so `vite`, `vite build` and
 * `vite preview` all serve them from the page's own origin; nothing is fetched from a CDN.
 */
import { copyFile, mkdir, rename, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import type { Plugin } from "vite";

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

export function pyodidePackageDir(): string {
  return dirname(createRequire(import.meta.url).resolve("pyodide/package.json"));
}

export function selfHostPyodide(): Plugin {
  return {
    name: "pocket-agent:self-host-pyodide",
    // Before the dev server indexes public/ (it serves only files it has seen) and before a build copies it.
    async configResolved(config) {
      const publicDir = config.publicDir || resolve(config.root, "public");
      await copyPyodideAssets(join(publicDir, "pyodide"), resolve(config.root, ".cache", "pyodide-copy"));
    },
  };
}
