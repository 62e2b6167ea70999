/**
 * The page in Chromium WITHOUT WebGPU (no --enable-unsafe-webgpu: navigator.gpu gives no adapter), from a
 * production build served by `vite preview`: it picks the CPU engine (llama.cpp in WebAssembly) with the
 * bundled micro-student by itself, says why, and answers with that REAL model (models/micro, trained by
 * this project; no replay, no scripted server) — online, with SAG, and offline after the first visit.
 *
 * Offline works as in app.test.ts: the first visit lets the service worker precache the app, and its first
 * run stores llama.cpp's wasm and the model (they are not precached for visitors of other engines); then the browser goes offline and the server stops (Playwright's offline emulation
 * does not cover the service worker's own update check), and the reloaded page answers again while no
 * request of the page or its workers leaves the browser.
 */
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ask, buildAndPreview, type ServedApp, setSettings } from "./app-harness.ts";
import { launchChromium } from "./harness/browser.ts";

const QUESTION = "What is 17*23+1?";

let app: ServedApp;
let browser: Browser;
const serverHits: string[] = [];

beforeAll(async () => {
  [app, browser] = await Promise.all([
    buildAndPreview({ from: inject("appBuild"), onRequest: (url) => serverHits.push(url) }),
    launchChromium(),
  ]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** Waits until the page has checked for WebGPU and picked its engine. */
async function enginePicked(page: Page): Promise<string> {
  await page.waitForFunction(() => document.getElementById("engine-status")?.dataset["webgpu"] !== undefined);
  return (await page.locator("#engine-status").textContent()) ?? "";
}

describe("the page's CPU engine with the real micro-student, in Chromium without WebGPU", {
  timeout: 180_000,
}, () => {
  // The first two tests share a page (a page load starts Pyodide and llama.cpp): SAG runs in the page that
  // answered first, with the model already loaded.
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
  });
  afterAll(async () => {
    await context?.close();
  });

  it("picks the CPU engine by itself, says why, and answers 392 with llama.cpp in WebAssembly (on a phone's width)", async () => {
    await page.goto(app.url);
    expect(await enginePicked(page)).toMatch(
      /^WebGPU unavailable: .+\. Using the CPU engine \(llama\.cpp WebAssembly\) with micro-arith/,
    );
    expect(await page.locator('input[name="engine"][value="wllama"]').isChecked()).toBe(true);
    // What the choice was made from: the browser's capabilities, read on load.
    await page.waitForFunction(() => document.getElementById("capabilities")?.dataset["ready"] === "true");
    expect(await page.locator("#capabilities").textContent()).toMatch(
      /^This browser: WebGPU: no · cross-origin isolated: yes · CPU threads: \d+ · storage for models and shards: .+ free of .+\.$/,
    );
    expect(await page.inputValue('select[name="localModel"]')).toBe("micro");

    expect(await ask(page, QUESTION)).toBe("answered");
    expect(await page.locator('[data-testid="answer"]').textContent()).toBe("392");
    expect(await page.locator("#replay-banner").isVisible()).toBe(false);
    expect(await page.locator("#answer h2").textContent()).toBe("Answer");
    expect(await page.locator("#model-progress").getAttribute("data-state")).toBe("done");
    expect(await page.locator("#model-progress .progress-label").textContent()).toMatch(
      /^micro-arith \(llama\.cpp WebAssembly, CPU, \d+ threads?\) is loaded\.$/,
    );
    // The micro-student's own pack ran (its one-line system prompt), and the model wrote the code.
    expect(await page.locator('#trace .step[data-step="1"] pre.code').textContent()).toContain("17*23+1");
    // Nothing is wider than the phone, the engine settings (model picker) included.
    await setSettings(page, {});
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(errors).toEqual([]);
  });

  it("runs SAG with n = 3 at temperature 0.8: three real candidates from the model and a vote", async () => {
    if (page.url() === "about:blank") {
      await page.goto(app.url);
      await enginePicked(page);
    }
    await setSettings(page, { n: "3", temperature: "0.8" });
    expect(await ask(page, QUESTION)).toBe("answered");
    const summary = await page.locator('#trace .step[data-step="1"] .sag .vote-summary').textContent();
    expect(summary).toMatch(/^Vote \(exact\): 3 of 3 candidates generated, \d executed; winner #\d/);
    expect(await page.locator('[data-testid="answer"]').textContent()).toBe("392");
    expect(errors).toEqual([]);
  });

  // Last: it stops the server.
  it("answers again offline after the first visit, with no request leaving the browser", async () => {
    const context: BrowserContext = await browser.newContext({ serviceWorkers: "allow" });
    try {
      const page = await context.newPage();
      await page.goto(app.url);
      await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
      });
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
        timeout: 60_000,
      });
      const cached = () =>
        page.evaluate(async () => {
          const urls: string[] = [];
          for (const name of await caches.keys()) {
            for (const request of await (await caches.open(name)).keys())
              urls.push(
                `${name.startsWith("workbox-precache") ? "precache" : name} ${new URL(request.url).pathname}`,
              );
          }
          return urls;
        });
      // The engine's files are not precached for everyone: its first run stores them.
      const engineFiles = /^(\S+) \/assets\/(micro-arith-[\w-]+\.gguf|wllama-[\w-]+\.wasm)$/;
      expect((await cached()).filter((url) => engineFiles.test(url))).toEqual([]);
      await enginePicked(page);
      expect(await ask(page, QUESTION)).toBe("answered");
      expect(await page.locator('[data-testid="answer"]').textContent()).toBe("392");
      expect(
        (await cached())
          .filter((url) => engineFiles.test(url))
          .map((url) => url.replace(engineFiles, (_, cache, file) => `${cache} ${file.split(".").at(-1)}`))
          .sort(),
      ).toEqual(["pocket-agent-local-assets gguf", "pocket-agent-local-assets wasm"]);
      expect(serverHits).toEqual(expect.arrayContaining(["/", "/sw.js"]));

      await context.setOffline(true);
      await app.stop();
      const reachedNetwork: string[] = [];
      const failed: string[] = [];
      const isHttp = (url: string) => url.startsWith("http:") || url.startsWith("https:");
      context.on("request", (request: Request) => {
        if (request.serviceWorker() && isHttp(request.url())) reachedNetwork.push(`sw: ${request.url()}`);
      });
      context.on("requestfinished", async (request: Request) => {
        if (!isHttp(request.url()) || request.serviceWorker()) return;
        const response = await request.response();
        if (!response?.fromServiceWorker()) reachedNetwork.push(request.url());
      });
      context.on("requestfailed", (request: Request) => {
        if (!isHttp(request.url()) || /^\/(sw|workbox-[\w-]+)\.js$/.test(new URL(request.url()).pathname))
          return;
        failed.push(`${request.url()}: ${request.failure()?.errorText}`);
      });

      await page.reload();
      expect(await enginePicked(page)).toMatch(/^WebGPU unavailable: .+\. Using the CPU engine/);
      expect(await ask(page, QUESTION)).toBe("answered");
      expect(await page.locator('[data-testid="answer"]').textContent()).toBe("392");
      expect(failed).toEqual([]);
      expect(reachedNetwork).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
