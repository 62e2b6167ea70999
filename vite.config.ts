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
  plugins: [selfHostPyodide(), pythonSandbox(), offlineServiceWorker()],
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: "es" },
  optimizeDeps: { exclude: ["pyodide", "@mlc-ai/web-llm"] },
  build: { target: "es2022" },
});
