/**
 * Vite plugin: the Python sandbox as text. The sandbox frame has an opaque origin and a CSP without any
 * network, so it cannot load scripts from the site: its script goes inline into its srcdoc, and the
 * Python worker, a classic worker started from a blob inside it, must be one self-contained script.
 * `virtual:python-sandbox` exports both, bundled by esbuild (the same way in `vite` and `vite build`, so
 * the production bundle carries them inside the page's JavaScript), plus the CSP hash of the frame script.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin as EsbuildPlugin, type StdinOptions } from "esbuild";
import type { Plugin } from "vite";

export const SANDBOX_MODULE_ID = "virtual:python-sandbox";
const RESOLVED_ID = `\0${SANDBOX_MODULE_ID}`;

export interface PythonSandboxOptions {
  /**
   * The Python worker's script, relative to the Vite root: a file that calls servePythonWorker() from
   * pocket-agent/browser. Default: those three lines, written by the plugin.
   */
  worker?: string;
}

/** The sandbox's own modules sit beside this one: sources (.ts) here, emitted JavaScript in the built library. */
function ownModule(name: string): string {
  const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return fileURLToPath(new URL(`./${name}${extension}`, import.meta.url));
}

/** The worker's script when the app gives none. */
function defaultWorker(): StdinOptions {
  const handler = ownModule("python-worker");
  return {
    contents: `import { servePythonWorker } from ${JSON.stringify(handler)};\nservePythonWorker();\n`,
    resolveDir: dirname(handler),
    sourcefile: "python.worker.js",
    loader: "js",
  };
}

/**
 * A worker script that imports pocket-agent/browser reaches the executor, which imports these very
 * scripts; inside them that import is never used, so it resolves to empty strings.
 */
const noSelfImport: EsbuildPlugin = {
  name: "no-self-import",
  setup(b) {
    b.onResolve({ filter: /^virtual:python-sandbox$/ }, () => ({
      path: "self",
      namespace: "python-sandbox",
    }));
    b.onLoad({ filter: /.*/, namespace: "python-sandbox" }, () => ({
      contents: 'export const frameSource = "", frameScriptHash = "", workerSource = "";',
      loader: "js",
    }));
  },
};

async function bundle(
  entry: string | StdinOptions,
  minify: boolean,
): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    ...(typeof entry === "string" ? { entryPoints: [entry] } : { stdin: entry }),
    plugins: [noSelfImport],
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
  if (!code) throw new Error("python sandbox: esbuild produced nothing for the frame or the worker");
  // Watched files must exist: the dev server fails on the default worker's in-memory script otherwise.
  const files = Object.keys(result.metafile.inputs).map((f) => resolve(f));
  return { code, inputs: files.filter((f) => existsSync(f)) };
}

export function pythonSandbox(options: PythonSandboxOptions = {}): Plugin {
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
        bundle(ownModule("frame-entry"), minify),
        bundle(options.worker ? resolve(root, options.worker) : defaultWorker(), minify),
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
