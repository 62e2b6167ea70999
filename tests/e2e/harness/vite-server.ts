/**
 * Starts the project's Vite dev server programmatically on a free loopback port (for e2e tests).
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer, type InlineConfig } from "vite";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface RunningVite {
  /** Origin with trailing slash, e.g. http://127.0.0.1:5174/ */
  url: string;
  close(): Promise<void>;
}

export interface StartViteOptions {
  /** Extra headers, merged over vite.config.ts's (e.g. to switch cross-origin isolation off). */
  headers?: Record<string, string>;
  /** Any other inline config, merged over vite.config.ts. */
  config?: InlineConfig;
}

export async function startVite(options: StartViteOptions = {}): Promise<RunningVite> {
  const server = await createServer({
    root: REPO_ROOT,
    configFile: resolve(REPO_ROOT, "vite.config.ts"),
    logLevel: "error",
    clearScreen: false,
    ...options.config,
    server: {
      host: "127.0.0.1",
      port: 0,
      strictPort: false,
      hmr: false,
      ...(options.headers ? { headers: options.headers } : {}),
      ...options.config?.server,
    },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === "string") {
    await server.close();
    throw new Error("vite: no TCP address");
  }
  return { url: `http://127.0.0.1:${address.port}/`, close: () => server.close() };
}
