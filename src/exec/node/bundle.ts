/**
 * Bundles the sandbox's worker thread (sandbox-worker.ts and what it imports, Pyodide excepted) into one
 * ES module with esbuild, once per host process. The sandbox process runs under Node's permission model,
 * where a TypeScript loader cannot work (tsx compiles through an esbuild child process), so it is given
 * plain JavaScript. Bundling takes ~0.1 s and is shared by every executor and restart of this process.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const bundles = new Map<string, Promise<string>>();

/** The bundled source of a module (a path or file URL), memoized. */
export function bundleModule(entry: string | URL): Promise<string> {
  const path = entry instanceof URL || entry.startsWith("file:") ? fileURLToPath(entry) : entry;
  let pending = bundles.get(path);
  if (!pending) {
    pending = build({
      entryPoints: [path],
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      write: false,
      logLevel: "silent",
      // Pyodide is loaded from its own folder at run time (it finds its files next to itself).
      external: ["pyodide"],
    }).then((result) => result.outputFiles[0]!.text);
    // A failed build is not cached: the next executor tries again and reports its own error.
    pending.catch(() => bundles.delete(path));
    bundles.set(path, pending);
  }
  return pending;
}

/** The sandbox worker thread's bundle: from its source here, from its emitted JavaScript in the built library. */
export function sandboxWorkerBundle(): Promise<string> {
  const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return bundleModule(new URL(`./sandbox-worker${extension}`, import.meta.url));
}
