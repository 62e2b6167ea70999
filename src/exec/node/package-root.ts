/**
 * The folder of pocket-agent's own package.json, found by walking up from a module of it. Files that ship
 * beside the code (public/py-packages) are found from there, so the same lookup works from the sources
 * (src/exec/...) and from the built library (dist/lib/exec/...), which sit at different depths.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function packageRoot(moduleURL: string): string {
  let dir = dirname(fileURLToPath(moduleURL));
  for (;;) {
    if (isPocketAgentPackage(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`pocket-agent: no package.json of pocket-agent above ${moduleURL}`);
    dir = parent;
  }
}

function isPocketAgentPackage(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { name?: unknown }).name === "pocket-agent";
  } catch {
    return false;
  }
}
