/**
 * `pocket-agent/vite`: what a Vite app needs to run the agent's Python in the page, as one plugin. It
 * self-hosts Pyodide and the offline Python packages (copied into the app's public folder, so nothing
 * comes from a CDN), bundles the Python sandbox into the page, and sends the two headers that make the
 * page cross-origin isolated (so runaway code is interrupted in place). See docs/embedding.md.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Plugin } from "vite";
import { copyPyodideAssets, selfHostPyodide } from "./exec/browser/vite-pyodide.ts";
import { type PythonSandboxOptions, pythonSandbox } from "./exec/browser/vite-sandbox.ts";
import { packageRoot } from "./exec/node/package-root.ts";
import { PACKAGE_MANIFEST_FILE, readPackageManifest } from "./exec/packages.ts";

export { copyPyodideAssets, type PythonSandboxOptions, pythonSandbox, selfHostPyodide };

export interface PocketAgentPluginOptions extends PythonSandboxOptions {
  /**
   * Send COOP same-origin + COEP require-corp from `vite` and `vite preview` (default true). A static host
   * must send them too. Without them the executor still works, but stops runaway code by restarting.
   */
  crossOriginIsolation?: boolean;
}

/** The headers of cross-origin isolation, for a host's configuration. */
export const CROSS_ORIGIN_ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
} as const;

export function pocketAgent(options: PocketAgentPluginOptions = {}): Plugin[] {
  const headers = options.crossOriginIsolation === false ? {} : { ...CROSS_ORIGIN_ISOLATION_HEADERS };
  const setup: Plugin = {
    name: "pocket-agent:setup",
    config: () => ({
      server: { headers },
      preview: { headers },
      // The dependency optimizer does not run plugins, so it could not resolve the sandbox's virtual
      // module inside pocket-agent, nor load Pyodide from its own folder.
      optimizeDeps: { exclude: ["pocket-agent", "pyodide"] },
    }),
  };
  return [setup, selfHostPyodide(), selfHostPythonPackages(), pythonSandbox(options)];
}

/**
 * Copies this package's offline Python packages (sympy, mpmath: public/py-packages, with manifest.json)
 * into the app's public folder, where createBrowserExecutor looks for them by default.
 */
export function selfHostPythonPackages(): Plugin {
  return {
    name: "pocket-agent:self-host-py-packages",
    async configResolved(config) {
      const from = resolve(packageRoot(import.meta.url), "public", "py-packages");
      const publicDir = config.publicDir || resolve(config.root, "public");
      const to = join(publicDir, "py-packages");
      if (resolve(from) === resolve(to)) return; // pocket-agent's own page
      const manifest = await readPackageManifest((file) => readFile(join(from, file)));
      if (!manifest) {
        config.logger.warn(
          "pocket-agent: this copy has no offline Python packages (public/py-packages); `import sympy` will fail in the page",
        );
        return;
      }
      const files = [PACKAGE_MANIFEST_FILE, ...Object.values(manifest.packages).map((p) => p.file)];
      await copyPyodideAssets(to, resolve(config.root, ".cache", "py-packages-copy"), from, files);
    },
  };
}
