import { defineConfig } from "vite";
import { selfHostPyodide } from "./src/exec/browser/vite-pyodide.ts";
import { pythonSandbox } from "./src/exec/browser/vite-sandbox.ts";
import { offlineServiceWorker } from "./src/ui/vite-pwa.ts";

// Cross-origin isolation gives the page SharedArrayBuffer, which the Python worker uses to interrupt
// runaway code without killing the worker. A static host must send the same two headers (see README).
const isolationHeaders = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  // The Python worker is this app's own three-line file, as an app that embeds the library may host it.
  plugins: [selfHostPyodide(), pythonSandbox({ worker: "workers/python.worker.ts" }), offlineServiceWorker()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: "es" },
  optimizeDeps: { exclude: ["pyodide", "@mlc-ai/web-llm"] },
  build: { target: "es2022" },
});
