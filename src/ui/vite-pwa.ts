/**
 * Vite plugin: the offline service worker (workbox via vite-plugin-pwa). It precaches the app shell, the
 * workers, the self-hosted Pyodide files (public/pyodide) and the Python packages (public/py-packages), so
 * after the first visit the page loads and runs with no network at all. The CPU engine's files (llama.cpp's
 * wllama.wasm and the bundled micro-student's GGUF) are precached too, so that engine answers offline.
 * The Python sandbox (frame and worker scripts) travels inside the page's bundle, and the page, not the
 * sandbox, reads Pyodide and the packages, so those reads go through this service worker too. web-llm
 * keeps model weights in the Cache API itself; shards live in OPFS.
 */
import type { Plugin } from "vite";
import { VitePWA } from "vite-plugin-pwa";

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
      // gguf: the bundled micro-student, so the CPU engine answers offline (its llama.cpp is one of the .wasm).
      globPatterns: ["**/*.{html,js,mjs,css,svg,wasm,zip,json,whl,webmanifest,gguf}"],
      // Shards are the user's own data (OPFS); sample shards a host serves are cached when first fetched.
      globIgnores: ["**/*.pas"],
      maximumFileSizeToCacheInBytes: MAX_PRECACHE_FILE_BYTES,
      navigateFallback: "index.html",
      cleanupOutdatedCaches: true,
      clientsClaim: true,
      skipWaiting: true,
      runtimeCaching: [
        {
          // Same-origin shards and self-hosted model libraries (web-llm does not cache same-origin .wasm).
          urlPattern: ({ sameOrigin, url }) => sameOrigin && /\.(pas|wasm)$/.test(url.pathname),
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
