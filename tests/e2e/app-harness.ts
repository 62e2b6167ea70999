/**
 * For the page's e2e tests: a production build served by `vite preview` (the service worker only exists
 * in a build), a real shard built by the CLI, replay trajectories made from recorded completions, and
 * helpers that drive the page the way a person does (settings, file pickers, Ask).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { Page } from "playwright-core";
import { type PluginOption, preview } from "vite";
import { TRAJECTORY_SCHEMA, TRAJECTORY_VERSION, type Trajectory } from "../../src/agent/trajectory.ts";
import { buildApp, whenBuilt } from "./app-build.ts";
import { REPO_ROOT } from "./harness/vite-server.ts";

const run = promisify(execFile);

/**
 * Browser-context options for tests of what the service worker does not touch (history, the phone
 * layout, building a shard): no service worker registers, as in a browser that refuses them, so a fresh
 * context does not precache the app's ~37 MB (3-8 CPU-seconds a context here, measured with the cgroup's
 * cpuacct). The offline tests, and tests whose fetches the worker's runtime cache serves (model
 * downloads, shards at a URL), keep Playwright's default, which lets it register.
 */
export const NO_SERVICE_WORKER = { serviceWorkers: "block" } as const;

export interface ServedApp {
  /** Origin with trailing slash. */
  url: string;
  dir: string;
  /** Stops serving (the host is gone) but keeps the build. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The page served by `vite preview` on a free loopback port, from a folder of its own: a hard-linked copy
 * of the build in `from` (tests pass the one the e2e global setup made: `inject("appBuild")`), or else a
 * build of its own (with `plugins`/`env` if given). `onRequest` sees every request that reaches the
 * server (the ground truth for "no network").
 */
export async function buildAndPreview(
  options: {
    /** A folder the e2e global setup builds `dist/` into (waited for: whenBuilt), to serve instead of building. */
    from?: string;
    onRequest?: (url: string) => void;
    /** Extra build plugins (e.g. a test's own catalog entries). */
    plugins?: PluginOption[];
    /** Build-time variables, as `VITE_X=... npm run build` sets them. */
    env?: Record<string, string>;
  } = {},
): Promise<ServedApp> {
  const dir = await mkdtemp(join(tmpdir(), "pocket-agent-app-"));
  if (options.from) {
    await whenBuilt(options.from);
    await run("cp", ["-al", join(options.from, "dist"), join(dir, "dist")]);
  } else await buildApp(dir, options);
  const outDir = join(dir, "dist");
  const configFile = resolve(REPO_ROOT, "vite.config.ts");
  const server = await preview({
    root: REPO_ROOT,
    configFile,
    logLevel: "error",
    build: { outDir },
    preview: { host: "127.0.0.1", port: 0, strictPort: false, open: false },
    plugins: [
      {
        name: "count-requests",
        configurePreviewServer(server) {
          server.middlewares.use((req, _res, next) => {
            options.onRequest?.(req.url ?? "");
            next();
          });
        },
      },
    ],
  });
  const address = server.httpServer.address();
  if (!address || typeof address === "string") throw new Error("vite preview: no TCP address");
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= server.close();
    return stopped;
  };
  return {
    url: `http://127.0.0.1:${address.port}/`,
    dir,
    stop,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A valid trajectory whose steps carry these completions, so a replay plays them back in order. A replay
 * runs with the recorded n and step budget: by default one completion per step, one step per completion.
 */
export function replayTrajectory(
  question: string,
  completions: string[],
  recorded: { n?: number; maxSteps?: number } = {},
): Trajectory {
  return {
    schema: TRAJECTORY_SCHEMA,
    version: TRAJECTORY_VERSION,
    createdAt: new Date(0).toISOString(),
    question,
    task: question,
    engine: { kind: "recorded", label: "completions written for a test", isReplay: true },
    settings: {
      role: "student",
      promptPack: "default",
      maxSteps: recorded.maxSteps ?? completions.length,
      n: recorded.n ?? 1,
    },
    messages: [],
    steps: completions.map((completion, i) => ({
      step: i + 1,
      completion,
      assistant: completion,
      thought: "",
      code: null,
      repairs: [],
      observation: "",
      timings: { generationMs: 0, executionMs: 0 },
    })),
    status: "answered",
    answer: null,
    usage: { promptTokens: 0, completionTokens: 0 },
    durationMs: 0,
  };
}

export async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(value));
  return path;
}

/** Opens the settings panel and fills the named fields (inputs and radio groups). */
export async function setSettings(page: Page, values: Record<string, string>): Promise<void> {
  await page.evaluate(() => {
    (document.getElementById("settings") as HTMLDetailsElement).open = true;
  });
  for (const [name, value] of Object.entries(values)) {
    const radio = page.locator(`#settings-form input[type=radio][name="${name}"][value="${value}"]`);
    if ((await radio.count()) > 0) await radio.check();
    else await page.locator(`#settings-form [name="${name}"]`).fill(value);
  }
}

/** Picks a shard file; resolves when the page has either taken it or shown why not. */
export async function pickShard(page: Page, path: string): Promise<void> {
  await setSettings(page, {});
  await page.evaluate(() => {
    const bar = document.getElementById("shard-progress");
    if (bar) delete bar.dataset["state"];
  });
  await page.setInputFiles("#shard-file", path);
  await page.waitForFunction(() => {
    const state = document.getElementById("shard-progress")?.dataset["state"];
    return state === "done" || state === "failed";
  });
}

/** Picks a trajectory file for the replay engine (which also selects it). */
export async function pickReplay(page: Page, path: string): Promise<void> {
  await setSettings(page, { engine: "replay" });
  // The status of a file picked before would pass the wait below.
  await page.evaluate(() => {
    const status = document.getElementById("replay-status");
    if (status) status.textContent = "";
  });
  await page.setInputFiles("#replay-file", path);
  await page.waitForFunction(() =>
    document.getElementById("replay-status")?.textContent?.includes("recorded step"),
  );
}

/**
 * Asks and waits for the run's end: its status line in the trace, or an error shown before any run
 * began (then ""). The previous run's status line is removed first, since the page now does work (the
 * history record) before it clears the trace and the error box, and neither may be taken for this run's.
 */
export async function ask(page: Page, question: string, timeout = 120_000): Promise<string> {
  await page.fill("#question", question);
  await forgetLastRun(page);
  await page.click("#ask");
  // The status line appears with the run's last event; the page shows its error and leaves the busy
  // state a moment later, so both are waited for.
  await page.waitForFunction(
    () =>
      document.body.dataset["busy"] === "false" &&
      (document.querySelector("#trace .run-status") !== null || !document.getElementById("error")?.hidden),
    undefined,
    { timeout },
  );
  return (
    (await page
      .locator("#trace .run-status")
      .getAttribute("data-status")
      .catch(() => null)) ?? ""
  );
}

/**
 * Removes what the page shows of its last run that a wait for the next run could mistake for that run's:
 * its status line, its step cards and its error. (Tests share a page, and the page clears them only once
 * the next run has begun.)
 */
export async function forgetLastRun(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (const old of document.querySelectorAll("#trace .run-status, #trace .step")) old.remove();
    const error = document.getElementById("error");
    if (error) error.hidden = true;
  });
}

export async function observation(page: Page, step: number) {
  const el = page.locator(`#trace .step[data-step="${step}"] .observation`);
  return { kind: await el.getAttribute("data-kind"), text: (await el.locator("pre").textContent()) ?? "" };
}
