/**
 * Offline after the first visit: the production build is visited once (the service worker precaches the
 * app, the workers, Pyodide and the Python packages; the picked shard goes to OPFS), then the browser goes
 * offline, the server stops, the page reloads, and a replayed question runs end to end in the page with a
 * real Pyodide worker and the real shard, while no request of the page or its workers leaves the browser.
 *
 * The server is stopped, not only emulated away, because Playwright's offline emulation does not cover the
 * browser's own service-worker update check (sw.js and its workbox import, fetched on navigation): with
 * the host gone that check fails quietly and the cached worker stays, as it does for a user offline.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ask,
  buildAndPreview,
  buildShard,
  observation,
  pickReplay,
  pickShard,
  replayTrajectory,
  type ServedApp,
  writeJson,
} from "./app-harness.ts";
import { launchChromium } from "./harness/browser.ts";

const HOTPOT = "/work/shared/data/wiki/hotpotqa_rpt_dev.jsonl";
const QUESTION =
  'The band who released the debut album "Tinted Windows" had their first performance in what city?';

let app: ServedApp;
let work: string;
let shardPath: string;
let browser: Browser;
const serverHits: string[] = [];
const UPDATE_CHECK = /^\/(sw|workbox-[\w-]+)\.js$/;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pocket-agent-offline-test-"));
  [app, shardPath, browser] = await Promise.all([
    buildAndPreview({ onRequest: (url) => serverHits.push(url) }),
    buildShard(join(work, "shard"), HOTPOT),
    launchChromium(),
  ]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

// Generous: two cores are shared with other work, and the first visit precaches ~45 MB.
describe("after the first visit", { timeout: 180_000 }, () => {
  it("answers a replayed question offline with zero network requests", async () => {
    const context = await browser.newContext({ serviceWorkers: "allow" });
    const page = await context.newPage();

    // First visit: online. The service worker installs (precaching everything) and takes control.
    await page.goto(app.url);
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
      timeout: 60_000,
    });
    const precached = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys())
          urls.push(new URL(request.url).pathname);
      }
      return urls;
    });
    expect(precached).toEqual(
      expect.arrayContaining(["/index.html", "/pyodide/pyodide.asm.wasm", "/pyodide/python_stdlib.zip"]),
    );
    await pickShard(page, shardPath);
    expect(await page.locator("#shard-status").textContent()).toContain("kept in this browser");

    // The first visit fetched the app from the server; the service worker holds it now.
    expect(serverHits).toEqual(expect.arrayContaining(["/", "/sw.js"]));

    // Second visit: offline, and the host is gone. Count every request the page and its workers make.
    await context.setOffline(true);
    await app.stop();
    const reachedNetwork: string[] = [];
    const failed: string[] = [];
    const fromServiceWorker: string[] = [];
    const isHttp = (url: string) => url.startsWith("http:") || url.startsWith("https:");
    context.on("request", (request: Request) => {
      // A request issued by the service worker itself goes to the network (the cache needs none).
      if (request.serviceWorker() && isHttp(request.url())) reachedNetwork.push(`sw: ${request.url()}`);
    });
    context.on("requestfinished", async (request: Request) => {
      if (!isHttp(request.url()) || request.serviceWorker()) return;
      const response = await request.response();
      if (response?.fromServiceWorker()) fromServiceWorker.push(new URL(request.url()).pathname);
      else reachedNetwork.push(request.url());
    });
    context.on("requestfailed", (request: Request) => {
      if (!isHttp(request.url()) || UPDATE_CHECK.test(new URL(request.url()).pathname)) return;
      failed.push(`${request.url()}: ${request.failure()?.errorText}`);
    });

    await page.reload();
    await page.waitForFunction(() =>
      document.getElementById("shard-status")?.textContent?.includes("stored in this browser"),
    );
    const tulsa = replayTrajectory(QUESTION, [
      'Thought: I will look up the band.\nCode:\n```py\nprint(web_search("Tinted Windows band first performance"))\n```',
      'Thought: The documents say Tulsa.\nCode:\n```py\nfinal_answer("Tulsa")\n```',
    ]);
    await pickReplay(page, await writeJson(work, "tulsa.json", tulsa));
    expect(await ask(page, QUESTION)).toBe("answered");

    expect(await page.locator("#answer .answer-text").textContent()).toBe("Tulsa");
    expect(await page.locator("#replay-banner").isVisible()).toBe(true);
    expect((await observation(page, 1)).text).toContain("Retrieved documents:");

    expect(failed).toEqual([]);
    expect(reachedNetwork).toEqual([]);
    // The counting sees the page and its workers: the document and Pyodide's files came from the worker cache.
    expect(fromServiceWorker).toEqual(
      expect.arrayContaining(["/", "/pyodide/pyodide.asm.wasm", "/pyodide/python_stdlib.zip"]),
    );

    // Control: the browser really is offline, so a file the service worker does not hold cannot load.
    const uncached = await page.evaluate(async () => {
      try {
        return `HTTP ${(await fetch("/not-precached.txt")).status}`;
      } catch (error) {
        return `failed: ${(error as Error).message}`;
      }
    });
    expect(uncached).toMatch(/^failed/);
    await context.close();
  });
});
