/**
 * The browser executor in real Chromium (system binary via playwright-core), served by Vite on
 * localhost: escape battery with a loopback canary, time limit with and without cross-origin isolation,
 * isolated candidates, and the worker's globals after set-up.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecutionResult, RunOptions } from "../../src/exec/executor.ts";
import { launchChromium, openPage } from "./harness/browser.ts";
import { ESCAPE_ATTEMPTS } from "./harness/escape-battery.ts";
import type { ExecutorHarness } from "./harness/pages/executor-page.ts";
import { REPO_ROOT, type RunningVite, startVite } from "./harness/vite-server.ts";

const PAGE = "tests/e2e/harness/pages/executor.html";
const packagesBuilt = existsSync(join(REPO_ROOT, "public/py-packages/manifest.json"));

let vite: RunningVite;
let plainVite: RunningVite;
let browser: Browser;
let canary: Server;
let hits = 0;
let canaryURL = "";

async function harnessPage(origin: string): Promise<Page> {
  const { page } = await openPage(browser, `${origin}${PAGE}`);
  await page.waitForFunction(() => document.title === "executor e2e ready", undefined, { timeout: 60_000 });
  return page;
}

function call<K extends keyof ExecutorHarness>(page: Page, method: K, ...args: unknown[]) {
  return page.evaluate(
    ([m, a]) => {
      const h = (globalThis as unknown as { executorHarness: Record<string, (...x: unknown[]) => unknown> })
        .executorHarness;
      return h[m as string]!(...(a as unknown[]));
    },
    [method, args] as const,
  );
}

const run = (page: Page, code: string, options?: RunOptions) =>
  call(page, "run", code, options) as Promise<ExecutionResult>;

beforeAll(async () => {
  canary = createServer((_req, res) => {
    hits += 1;
    res.setHeader("Cross-Origin-Resource-Policy", "cross-origin");
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.end("canary");
  });
  await new Promise<void>((resolve) => canary.listen(0, "127.0.0.1", resolve));
  canaryURL = `http://127.0.0.1:${(canary.address() as AddressInfo).port}/canary`;
  [vite, plainVite, browser] = await Promise.all([
    startVite(),
    startVite({
      headers: { "Cross-Origin-Opener-Policy": "unsafe-none", "Cross-Origin-Embedder-Policy": "unsafe-none" },
    }),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([vite?.close(), plainVite?.close()]);
  await new Promise((resolve) => canary?.close(resolve));
});

describe("cross-origin isolated page", () => {
  let page: Page;
  beforeAll(async () => {
    page = await harnessPage(vite.url);
    await call(page, "create", { timeoutMs: 2000 });
  });

  it("is isolated and can interrupt", async () => {
    const state = await page.evaluate(() => {
      const h = (globalThis as unknown as { executorHarness: ExecutorHarness }).executorHarness;
      return { isolated: h.isolated, canInterrupt: h.canInterrupt };
    });
    expect(state).toEqual({ isolated: true, canInterrupt: true });
  });

  it("runs Python with the reference semantics", async () => {
    const r = await run(page, "x = 6\nprint('x is', x)\nx * 7");
    expect(r).toMatchObject({ logs: "x is 6\n", output: "42", isFinalAnswer: false });
    const e = await run(page, "y = 1 / 0");
    expect(e.error?.message).toBe(
      "Code execution failed at line 'y = 1 / 0' due to: ZeroDivisionError: division by zero",
    );
  });

  it("the canary counts a request from the page (positive control)", async () => {
    const before = hits;
    await call(page, "pingFromPage", canaryURL);
    await expect.poll(() => hits, { timeout: 5000 }).toBe(before + 1);
    hits = before;
  });

  it("refuses every escape attempt and nothing reaches the canary", async () => {
    const failures: string[] = [];
    for (const attempt of ESCAPE_ATTEMPTS) {
      const r = await run(page, attempt.code(canaryURL));
      if (!r.error || !attempt.refusal.test(r.error.message)) {
        failures.push(`${attempt.name}: ${r.error?.message ?? `no error, output ${r.output}`}`);
      }
    }
    expect(failures).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hits).toBe(0);
  });

  it("removes the network primitives from the worker after set-up", async () => {
    const names = ["fetch", "XMLHttpRequest", "WebSocket", "EventSource", "importScripts"];
    const seen = await call(page, "probeWorkerGlobals", names);
    expect(seen).toEqual(Object.fromEntries(names.map((n) => [n, "undefined"])));
  });

  it("interrupts `while True: pass` in place within the limit plus 2 s", async () => {
    await run(page, "kept = 41");
    const started = Date.now();
    const r = await run(page, "while True: pass");
    expect(Date.now() - started).toBeLessThan(2000 + 2000);
    expect(r.error?.type).toBe("TimeoutError");
    expect(r.restarted).toBeUndefined();
    expect((await run(page, "kept + 1")).output).toBe("42");
  });

  it.skipIf(!packagesBuilt)(
    "imports sympy from the same-origin package folder",
    async () => {
      const r = await run(page, "import sympy\nx = sympy.Symbol('x')\nsympy.solve(x**2 - 9, x)");
      expect(r.error).toBeUndefined();
      expect(r.output).toBe("[-3, 3]");
      const sympifyEscape = await run(page, "sympy.sympify(\"__import__('os').getcwd()\")");
      expect(sympifyEscape.error?.message).toMatch(/Forbidden name in evaluated string: __import__/);
    },
    120_000,
  );

  it("a memory bomb gives a clear error and the episode goes on", async () => {
    await run(page, "kept = 'here'");
    const r = await run(page, "x = 'a' * 10**12");
    expect(r.error?.type).toBe("OverflowError");
    const hog = await run(page, "hog = []\nwhile True:\n    hog.append(bytearray(10**8))", {
      timeoutMs: 60_000,
    });
    expect(hog.error?.type).toBe("MemoryError");
    expect(hog.restarted).toBe(true);
    expect((await run(page, "kept")).output).toBe("here");
  }, 120_000);

  it("an interpreter crash (C stack overflow) gives a clear error and a fresh worker", async () => {
    await run(page, "kept = 7");
    const r = await run(page, "v = []\nfor i in range(300000):\n    v = [v]\nstr(v)");
    expect(r.error?.type).toBe("InterpreterCrash");
    expect(r.restarted).toBe(true);
    expect((await run(page, "kept * 6")).output).toBe("42");
  }, 120_000);

  it("isolates candidates and commits without re-running", async () => {
    await call(page, "reset");
    await run(page, "items = [1]");
    const a = (await call(page, "runCandidate", "items.append(2)\nprint(items)")) as {
      candidateId: number;
      logs: string;
    };
    const b = (await call(page, "runCandidate", "items.append(3)\nprint(items)")) as { logs: string };
    expect([a.logs, b.logs]).toEqual(["[1, 2]\n", "[1, 3]\n"]);
    await call(page, "commitCandidate", a.candidateId);
    expect((await run(page, "items")).output).toBe("[1, 2]");
  });
});

describe("page without cross-origin isolation", () => {
  let page: Page;
  beforeAll(async () => {
    page = await harnessPage(plainVite.url);
    await call(page, "create", { timeoutMs: 1500 });
  });

  it("has no SharedArrayBuffer, so a runaway action terminates and restarts the worker", async () => {
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(false);
    await run(page, "kept = 41");
    const started = Date.now();
    const r = await run(page, "while True: pass");
    expect(Date.now() - started).toBeLessThan(1500 + 2000);
    expect(r.error?.type).toBe("TimeoutError");
    expect(r.restarted).toBe(true);
    expect(r.notice).toMatch(/restarted because the action ran out of time/);
    const next = await run(page, "kept + 1");
    expect(next.error).toBeUndefined();
    expect(next.output).toBe("42");
  });
});
