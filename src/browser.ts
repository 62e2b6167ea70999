/**
 * `pocket-agent/browser`: the Python executor for a web page, and the handler its worker runs. The worker
 * lives in a sandbox frame with an opaque origin and no network, so it cannot be loaded from the app's URL:
 * the Vite plugin (pocket-agent/vite) bundles it into the page. See docs/embedding.md.
 */
export {
  type BrowserExecutor,
  type BrowserExecutorOptions,
  canInterrupt,
  createBrowserExecutor,
  PYODIDE_PACKAGE_INDEX,
} from "./exec/browser/browser-executor.ts";
export { servePythonWorker } from "./exec/browser/python-worker.ts";
