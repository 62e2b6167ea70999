/** Page entry: wires the app to the browser's workers, storage and the offline service worker. */
import { registerSW } from "virtual:pwa-register";
import { createBrowserExecutor } from "../exec/browser/browser-executor.ts";
import { SUGGESTED_WEBLLM_MODELS } from "../llm/webllm/models.ts";
import { spawnLlmWorker } from "../llm/webllm/spawn-worker.ts";
import { App } from "./app.ts";
import { byId } from "./dom.ts";
import { ShardStore } from "./shard-store.ts";
import "./style.css";

const app = new App({
  createExecutor: (options) => createBrowserExecutor(options),
  spawnLlmWorker,
  shardStore: new ShardStore(),
  storage: globalThis.localStorage,
  modelIds: SUGGESTED_WEBLLM_MODELS,
});
app.start();

const offline = byId("offline-status", HTMLParagraphElement);
if (import.meta.env.DEV) {
  offline.textContent =
    "Development server: offline support exists only in the production build (npm run build && npm run preview).";
} else if ("serviceWorker" in navigator) {
  offline.textContent = "Storing a copy of the app for offline use…";
  registerSW({
    immediate: true,
    onOfflineReady() {
      offline.textContent =
        "Ready to work offline: the app, Python and its packages are stored in this browser (an engine's files, when it first runs).";
      offline.dataset["ready"] = "true";
    },
    onRegisteredSW(_url, registration) {
      if (registration?.active && navigator.serviceWorker.controller) {
        offline.textContent = "Works offline (served from this browser's copy).";
        offline.dataset["ready"] = "true";
      }
    },
    onRegisterError(error: unknown) {
      offline.textContent = `Offline support is off: the service worker did not register (${String(error)}).`;
    },
  });
} else {
  offline.textContent = "Offline support is off: this browser has no service workers.";
}
if (!globalThis.crossOriginIsolated) {
  const isolation = byId("isolation-status", HTMLParagraphElement);
  isolation.hidden = false;
  isolation.textContent =
    "This page is not cross-origin isolated (its host must send the COOP and COEP headers), so a runaway Python action restarts the interpreter instead of being interrupted.";
}
