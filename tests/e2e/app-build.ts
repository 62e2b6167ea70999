/**
 * The two things the page's e2e tests need built: the page (a production build, as `npm run build` makes
 * it) and a shard (by the CLI). Node only, no Vitest: the e2e global setup builds both once per run.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { build, type PluginOption } from "vite";
import { REPO_ROOT } from "./harness/vite-server.ts";

const run = promisify(execFile);

/**
 * `vite build` of the page into `dir/dist`, as `npm run build` builds it; returns `dir`. `plugins` and
 * `env` make a test's own variant (e.g. its own catalog entries, a build-time mirror).
 */
export async function buildApp(
  dir: string,
  options: { plugins?: PluginOption[]; env?: Record<string, string> } = {},
): Promise<string> {
  const configFile = resolve(REPO_ROOT, "vite.config.ts");
  // Vitest sets NODE_ENV=test, which would make Vite build a development bundle (import.meta.env.DEV);
  // build what `npm run build` builds.
  const saved = { NODE_ENV: process.env.NODE_ENV, ...pick(process.env, Object.keys(options.env ?? {})) };
  Object.assign(process.env, { NODE_ENV: "production", ...options.env });
  try {
    await build({
      root: REPO_ROOT,
      configFile,
      mode: "production",
      logLevel: "error",
      build: { outDir: join(dir, "dist"), emptyOutDir: true },
      ...(options.plugins ? { plugins: options.plugins } : {}),
    });
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  return dir;
}

function pick(env: NodeJS.ProcessEnv, keys: string[]): Record<string, string | undefined> {
  return Object.fromEntries(keys.map((key) => [key, env[key]]));
}

/** Builds a shard with the CLI (`pocket-agent shard build`) and returns the shard file's path. */
export async function buildShard(outDir: string, input: string): Promise<string> {
  await run(
    process.execPath,
    [join(REPO_ROOT, "bin/pocket-agent.js"), "shard", "build", "--out", outDir, input],
    {
      cwd: REPO_ROOT,
    },
  );
  return join(outDir, "shard.pas");
}

/** Written into a build's folder once it and the test shard are done (or with why they failed). */
const BUILT = "BUILT";

export async function markBuilt(dir: string, error?: unknown): Promise<void> {
  await mkdir(dir, { recursive: true });
  const why =
    error === undefined ? "" : error instanceof Error ? (error.stack ?? error.message) : String(error);
  await writeFile(join(dir, BUILT), error === undefined ? "ok" : `failed: ${why}`);
}

/** Waits for the global setup's build (markBuilt); throws its failure. */
export async function whenBuilt(dir: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mark = await readFile(join(dir, BUILT), "utf8").catch(() => undefined);
    if (mark === "ok") return;
    if (mark !== undefined) throw new Error(`the e2e build ${mark}`);
    if (Date.now() > deadline) throw new Error(`the e2e build was not done within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
