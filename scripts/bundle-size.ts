/**
 * What the page costs to load, measured from a production build (`npm run size` builds and runs this;
 * `node bin/run-ts.js scripts/bundle-size.ts DIST` reads a build you have):
 *
 * - first load: what a first visit fetches before any engine or Python starts: index.html, what it links
 *   (the entry script and the chunks it imports statically, CSS, manifest, icon), the workbox-window
 *   chunk the page imports at once to register its service worker, and the service worker's own scripts
 *   (sw.js and workbox's runtime). Gzip sizes (level 9, as Vite reports them), since a host sends text
 *   compressed;
 * - Python: what starts in the background right after (Pyodide and the offline packages);
 * - precache: what the service worker stores on the first visit for offline use (bytes on disk, as the
 *   precache manifest in sw.js lists them).
 *
 * Sizes are deterministic for a given build, so tests/e2e/app.test.ts asserts the first-load budget.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

/** The first-load budget (issue 13): gzip kB (1000 bytes, as Vite reports sizes) of everything fetched before any engine. */
export const FIRST_LOAD_BUDGET_BYTES = 150_000;

export interface FileSize {
  file: string;
  bytes: number;
  gzip: number;
}

export interface BuildSizes {
  firstLoad: { files: FileSize[]; bytes: number; gzip: number };
  /** Left out when measureBuild is told so (compressing Pyodide's 29 MB takes a second or two). */
  python?: { files: number; bytes: number; gzip: number };
  precache: { files: number; bytes: number };
}

export function measureBuild(dist: string, options: { python?: boolean } = {}): BuildSizes {
  const size = (file: string): FileSize => {
    const bytes = readFileSync(join(dist, file));
    return { file, bytes: bytes.byteLength, gzip: gzipSync(bytes, { level: 9 }).byteLength };
  };
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const first = new Set<string>(["index.html"]);
  for (const match of html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"/g)) {
    const url = match[1]!;
    if (/^[a-z]+:/i.test(url)) continue;
    first.add(url.replace(/^\.?\//, ""));
  }
  // The chunks the entry imports statically, transitively (a dynamic import() loads on demand).
  const queue = [...first].filter((file) => file.endsWith(".js"));
  while (queue.length) {
    const file = queue.pop()!;
    const code = readFileSync(join(dist, file), "utf8");
    const folder = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
    for (const match of code.matchAll(
      /(?:^|[;}\s])(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["'](\.\/[^"']+\.js)["']/g,
    )) {
      const target = folder + match[1]!.slice(2);
      if (!first.has(target)) {
        first.add(target);
        queue.push(target);
      }
    }
  }
  const assets = readdirSync(join(dist, "assets"));
  // Registering the service worker imports workbox-window at once; the browser then fetches sw.js and
  // workbox's runtime.
  for (const file of assets.filter((f) => f.startsWith("workbox-window"))) first.add(`assets/${file}`);
  const root = readdirSync(dist);
  for (const file of root.filter((f) => f === "sw.js" || /^workbox-[\w-]+\.js$/.test(f))) first.add(file);
  const firstFiles = [...first].filter((file) => existsSync(join(dist, file))).map(size);

  const pythonFiles = (options.python === false ? [] : ["pyodide", "py-packages"])
    .filter((folder) => existsSync(join(dist, folder)))
    .flatMap((folder) => walk(join(dist, folder)).map((path) => path.slice(dist.length + 1)))
    .map(size);

  const sw = readFileSync(join(dist, "sw.js"), "utf8");
  const precached = [...sw.matchAll(/\{url:"([^"]+)",revision:/g)].map((m) => m[1]!);
  return {
    firstLoad: {
      files: firstFiles,
      bytes: sum(firstFiles.map((f) => f.bytes)),
      gzip: sum(firstFiles.map((f) => f.gzip)),
    },
    ...(options.python === false
      ? {}
      : {
          python: {
            files: pythonFiles.length,
            bytes: sum(pythonFiles.map((f) => f.bytes)),
            gzip: sum(pythonFiles.map((f) => f.gzip)),
          },
        }),
    precache: {
      files: precached.length,
      bytes: sum(precached.map((url) => statSync(join(dist, decodeURI(url))).size)),
    },
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function formatSizes(sizes: BuildSizes): string {
  const lines = [
    `first load (before any engine or Python): ${kb(sizes.firstLoad.gzip)} gzip (${kb(sizes.firstLoad.bytes)} raw), budget ${kb(FIRST_LOAD_BUDGET_BYTES)}`,
    ...sizes.firstLoad.files
      .sort((a, b) => b.gzip - a.gzip)
      .map((f) => `  ${kb(f.gzip).padStart(9)}  ${f.file}`),
    ...(sizes.python
      ? [
          `Python, started in the background after the page shows: ${mb(sizes.python.gzip)} gzip (${mb(sizes.python.bytes)} raw, ${sizes.python.files} files)`,
        ]
      : []),
    `precache (stored on the first visit for offline use): ${mb(sizes.precache.bytes)} in ${sizes.precache.files} files`,
  ];
  return lines.join("\n");
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const dist = resolve(process.argv[2] ?? "dist");
  const sizes = measureBuild(dist);
  console.log(formatSizes(sizes));
  if (sizes.firstLoad.gzip > FIRST_LOAD_BUDGET_BYTES) {
    console.error(`bundle-size: the first load is over its budget of ${kb(FIRST_LOAD_BUDGET_BYTES)} gzip`);
    process.exitCode = 1;
  }
}
