/**
 * Vite plugin: the Python sandbox as text. The sandbox frame has an opaque origin and a CSP without any
 * network, so it cannot load scripts from the site: its script goes inline into its srcdoc, and the
 * Python worker, a classic worker started from a blob inside it, must be one self-contained script.
 * `virtual:python-sandbox` exports both, bundled by esbuild (the same way in `vite` and `vite build`, so
 * the production bundle carries them inside the page's JavaScript), plus the CSP hash of the frame script.
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { build } from "esbuild";
import type { Plugin } from "vite";

export const SANDBOX_MODULE_ID = "virtual:python-sandbox";
const RESOLVED_ID = `\0${SANDBOX_MODULE_ID}`;

async function bundle(entry: string, minify: boolean): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
    minify,
    metafile: true,
    logLevel: "silent",
    legalComments: "none",
  });
  const code = result.outputFiles[0]?.text;
  if (!code) throw new Error(`python sandbox: esbuild produced nothing for ${entry}`);
  return { code, inputs: Object.keys(result.metafile.inputs).map((f) => resolve(f)) };
}

export function pythonSandbox(): Plugin {
  let root = process.cwd();
  let minify = false;
  return {
    name: "pocket-agent:python-sandbox",
    configResolved(config) {
      root = config.root;
      minify = config.command === "build";
    },
    resolveId: (id) => (id === SANDBOX_MODULE_ID ? RESOLVED_ID : undefined),
    async load(id) {
      if (id !== RESOLVED_ID) return undefined;
      const [frame, worker] = await Promise.all([
        bundle(resolve(root, "src/exec/browser/frame-entry.ts"), minify),
        bundle(resolve(root, "workers/python.worker.ts"), minify),
      ]);
      for (const file of [...frame.inputs, ...worker.inputs]) this.addWatchFile(file);
      // The frame script is inlined into HTML: it must not be able to close its own <script> element.
      if (/<\/script/i.test(frame.code))
        throw new Error("python sandbox: the frame script contains </script");
      const hash = `sha256-${createHash("sha256").update(frame.code).digest("base64")}`;
      return [
        `export const frameSource = ${JSON.stringify(frame.code)};`,
        `export const frameScriptHash = ${JSON.stringify(hash)};`,
        `export const workerSource = ${JSON.stringify(worker.code)};`,
      ].join("\n");
    },
  };
}
