/**
 * Vite plugin: the offline service worker (workbox via vite-plugin-pwa). It precaches the app shell, the
 * Python sandbox, the self-hosted Pyodide files (public/pyodide) and the Python packages
 * (public/py-packages), so after the first visit the page loads and runs Python with no network at all.
 * An engine's own large files are not precached for everyone: llama.cpp's wllama.wasm (10 MB), the
 * bundled micro-student's GGUF (2 MB) and web-llm's worker (6 MB) are cached when the engine first loads
 * them (CacheFirst), so the engine a visitor uses works offline from then on and the others cost nothing.
 * The Python sandbox (frame and worker scripts) travels inside the page's bundle, and the page, not the
 * sandbox, reads Pyodide and the packages, so those reads go through this service worker too. web-llm
 * keeps model weights in the Cache API itself; shards live in OPFS.
 */
import type { Plugin } from "vite";
import { VitePWA } from "vite-plugin-pwa";

/**
 * Built files only one engine needs, left out of the precache: the CPU engine's llama.cpp build and
 * bundled GGUF, and web-llm's worker (web-llm's whole library). Names as Vite emits them into assets/.
 */
const ENGINE_ASSET_GLOBS = ["assets/wllama-*.wasm", "assets/*.gguf", "assets/llm.worker-*.js"];

/** Pyodide's wasm and stdlib are tens of MiB; workbox's 2 MiB default would silently skip them. */
const MAX_PRECACHE_FILE_BYTES = 128 * 1024 * 1024;

export function offlineServiceWorker(): Plugin[] {
  return VitePWA({
    registerType: "autoUpdate",
    injectRegister: false,
    manifest: {
      name: "pocket-agent",
      short_name: "pocket-agent",
      description: "A small code agent that answers questions offline in the browser.",
      theme_color: "#2b6cb0",
      background_color: "#ffffff",
      display: "standalone",
      icons: [{ src: "icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" }],
    },
    workbox: {
      // gz: the Pyodide snapshot (vite-pyodide.ts), which the Python worker restores on every start.
      globPatterns: ["**/*.{html,js,mjs,css,svg,wasm,zip,json,whl,webmanifest,gz}"],
      // Shards are the user's own data (OPFS); sample shards a host serves are cached when first fetched.
      // Engine files are cached when their engine first runs (runtimeCaching below).
      globIgnores: ["**/*.pas", ...ENGINE_ASSET_GLOBS],
      maximumFileSizeToCacheInBytes: MAX_PRECACHE_FILE_BYTES,
      navigateFallback: "index.html",
      cleanupOutdatedCaches: true,
      clientsClaim: true,
      skipWaiting: true,
      runtimeCaching: [
        {
          // The engines' files (ENGINE_ASSET_GLOBS: an engine's first run stores them for offline use),
          // same-origin shards, and self-hosted model libraries (web-llm does not cache same-origin .wasm).
          // workbox copies this function into sw.js as text, so it names nothing outside itself.
          urlPattern: ({ sameOrigin, url }) =>
            sameOrigin && /(\.(pas|wasm|gguf)|\/llm\.worker-[\w-]+\.js)$/.test(url.pathname),
          handler: "CacheFirst",
          options: {
            cacheName: "pocket-agent-local-assets",
            // Never keep a host's HTML page (its answer for a missing file) under a shard or model URL.
            plugins: [
              {
                cacheWillUpdate: async ({ response }) =>
                  response.status === 200 &&
                  !(response.headers.get("content-type") ?? "").includes("text/html")
                    ? response
                    : null,
              },
            ],
          },
        },
      ],
    },
  });
}
