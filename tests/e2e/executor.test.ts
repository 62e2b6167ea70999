/**
 * The browser executor in real Chromium (system binary via playwright-core), served by Vite on
 * localhost: escape battery with a loopback canary, time limit with and without cross-origin isolation,
 * isolated candidates, and the worker's globals after set-up. The second boundary (the worker in an
 * opaque-origin sandbox frame whose CSP forbids connections) is attacked directly: the executor's test
 * hook runs JavaScript inside the Python worker, as an action that escaped Python could.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecutionResult, RunOptions } from "../../src/ports/executor.ts";
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

  it("starts Python from the snapshot the Vite plugin made", async () => {
    expect(await call(page, "pythonStart")).toBe("restored");
  });

  it("serves a snapshot that names no path of the machine that made it", async () => {
    // Every visitor downloads it: Emscripten's program name would otherwise be the build script's path.
    const gz = await readFile(join(REPO_ROOT, "public/pyodide/pyodide.snapshot.gz"));
    const heap = gunzipSync(gz).toString("latin1");
    expect(heap).toContain("_=./this.program");
    expect(heap.includes(REPO_ROOT)).toBe(false);
    expect(heap.includes(process.argv[1] ?? REPO_ROOT)).toBe(false);
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

  it("the test hook runs JavaScript inside the Python worker (positive control)", async () => {
    expect(await call(page, "evalInWorker", "return 1 + 1")).toBe(2);
    // The same worker: a value left on its global by one call is seen by the next.
    await call(page, "evalInWorker", "self.__marker = 'escaped'; return true");
    expect(await call(page, "evalInWorker", "return self.__marker")).toBe("escaped");
  });

  it("JavaScript escaped from Python reaches no network, no storage of the origin and not the page", async () => {
    const before = hits;
    const report = (await call(page, "evalInWorker", escapedAttack(canaryURL))) as {
      here: Record<string, string>;
      nested: Record<string, string> | string;
    };
    // The worker itself (network primitives already removed) and a nested worker it starts from a blob,
    // which has every primitive afresh: only the opaque origin and the inherited CSP stop that one.
    expect(typeof report.nested).toBe("object");
    for (const [where, results] of Object.entries({ here: report.here, nested: report.nested })) {
      const reached = Object.entries(results as Record<string, string>).filter(
        ([, v]) => !v.startsWith("blocked"),
      );
      expect(reached, `${where}: ${JSON.stringify(results)}`).toEqual([]);
    }
    expect(Object.keys(report.here).length).toBeGreaterThanOrEqual(18);
    expect(Object.keys(report.nested as object).length).toBeGreaterThanOrEqual(18);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(hits).toBe(before);
    expect(hits).toBe(0);
  });

  it("the page cannot be reached from the sandbox, and the sandbox frame is opaque to the page", async () => {
    const frame = await page.evaluate(() => {
      const f = document.querySelector("iframe");
      let readable = true;
      try {
        void f?.contentWindow?.document.body;
      } catch {
        readable = false;
      }
      return { sandbox: f?.getAttribute("sandbox"), allow: f?.getAttribute("allow"), readable };
    });
    expect(frame).toEqual({ sandbox: "allow-scripts", allow: "cross-origin-isolated", readable: false });
    // A BroadcastChannel is per origin: the page's channel hears nothing from the sandbox's.
    await page.evaluate(() => {
      const g = globalThis as unknown as { heard: unknown[] };
      g.heard = [];
      new BroadcastChannel("pocket-agent").onmessage = (e) => g.heard.push(e.data);
    });
    await call(
      page,
      "evalInWorker",
      "new BroadcastChannel('pocket-agent').postMessage('from the sandbox'); return 1",
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await page.evaluate(() => (globalThis as unknown as { heard: unknown[] }).heard)).toEqual([]);
  });

  it("a worker that forges protocol messages is treated as broken, not believed", async () => {
    await run(page, "kept = 5");
    // Escaped code can grab the worker's reply port by patching MessagePort.prototype.postMessage.
    await call(
      page,
      "evalInWorker",
      `const send = MessagePort.prototype.postMessage;
       MessagePort.prototype.postMessage = function (m, t) {
         if (m && m.type === "reply" && m.ok) {
           send.call(this, { type: "reply", id: m.id, ok: true, value: { logs: 1, output: "<img src=x onerror=alert(1)>" } });
           return;
         }
         return send.call(this, m, t);
       };
       return true`,
    );
    const forged = await run(page, "kept");
    expect(forged.error?.type).toBe("WorkerCrash");
    expect(forged.restarted).toBe(true);
    expect(await page.evaluate(() => document.querySelectorAll("img").length)).toBe(0);
    const next = await run(page, "kept * 2");
    expect(next.output).toBe("10");

    // Unsolicited junk on the reply port (markup, a path as a package name): the sandbox is given up.
    // (Sent ahead of the hook's own reply, which is then never believed either.)
    await expect(
      call(
        page,
        "evalInWorker",
        `const send = MessagePort.prototype.postMessage;
       MessagePort.prototype.postMessage = function (m, t) {
         send.call(this, "<img src=x onerror=alert(1)>");
         send.call(this, { type: "need-package", id: 1, name: "../../../etc/passwd" });
         MessagePort.prototype.postMessage = send;
         return send.call(this, m, t);
       };
       return true`,
      ),
    ).rejects.toThrow(/malformed message/);
    const junk = await run(page, "kept");
    expect(junk.error?.type).toBe("WorkerCrash");
    expect(junk.error?.message).toMatch(/malformed message/);
    expect(await page.evaluate(() => document.querySelectorAll("img").length)).toBe(0);
    expect((await run(page, "kept * 3")).output).toBe("15");
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
    // The fresh worker started from the snapshot too.
    expect(await call(page, "pythonStart")).toBe("restored");
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
  it("JavaScript escaped from Python reaches nothing here either", async () => {
    const report = (await call(page, "evalInWorker", escapedAttack(canaryURL))) as Record<
      string,
      Record<string, string> | string
    >;
    for (const [where, results] of Object.entries(report)) {
      expect(typeof results, `${where}: ${String(results)}`).toBe("object");
      const reached = Object.entries(results).filter(([, v]) => !String(v).startsWith("blocked"));
      expect(reached, where).toEqual([]);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(hits).toBe(0);
  });
});

/**
 * JavaScript an escaped action could run in the Python worker: every route to the canary, the origin's
 * storage and the page, tried in the worker and again in a nested worker started from a blob (fresh
 * globals: fetch, XMLHttpRequest... are back there). Each entry is "blocked: <why>" or what got through.
 */
function escapedAttack(url: string): string {
  const attempts = `
    const C = ${JSON.stringify(url)};
    const out = {};
    const wait = (ms) => new Promise((r) => setTimeout(r, ms));
    async function t(name, f) {
      try {
        const v = await Promise.race([f(), wait(3000).then(() => { throw new Error("no answer in 3 s"); })]);
        out[name] = "REACHED: " + String(v);
      } catch (e) {
        out[name] = "blocked: " + (e && e.name) + " " + String(e && e.message).slice(0, 100);
      }
    }
    const G = self;
    await t("fetch", () => G.fetch(C + "?fetch").then((r) => r.status));
    await t("fetch no-cors", () => G.fetch(C + "?nocors", { mode: "no-cors" }).then((r) => r.type));
    await t("Request+fetch", () => G.fetch(new G.Request(C + "?request")).then((r) => r.status));
    await t("XMLHttpRequest", () => new Promise((res, rej) => {
      const x = new G.XMLHttpRequest(); x.open("GET", C + "?xhr");
      x.onload = () => res(x.status); x.onerror = () => rej(new Error("xhr error")); x.send();
    }));
    await t("sync XMLHttpRequest", () => { const x = new G.XMLHttpRequest(); x.open("GET", C + "?sxhr", false); x.send(); return x.status; });
    await t("WebSocket", () => new Promise((res, rej) => {
      const w = new G.WebSocket(C.replace("http", "ws") + "?ws"); w.onopen = () => res("open"); w.onerror = () => rej(new Error("ws error"));
    }));
    await t("EventSource", () => new Promise((res, rej) => {
      const e = new G.EventSource(C + "?es"); e.onopen = () => res("open"); e.onerror = () => { e.close(); rej(new Error("es error")); };
    }));
    await t("importScripts", () => G.importScripts(C + "?importScripts"));
    await t("dynamic import()", () => import(C + "?import"));
    await t("Worker from URL", () => new Promise((res, rej) => {
      const w = new G.Worker(C + "?worker"); w.onerror = () => rej(new Error("worker error")); w.onmessage = () => res("message");
    }));
    await t("FontFace", () => new G.FontFace("x", "url(" + C + "?font)").load());
    await t("sendBeacon", () => { if (!G.navigator.sendBeacon(C + "?beacon", "x")) throw new Error("refused"); return "sent"; });
    await t("WebTransport", () => new G.WebTransport(C.replace("http:", "https:") + "?wt").ready);
    await t("indexedDB", () => new Promise((res, rej) => {
      const r = G.indexedDB.open("pocket-agent-probe"); r.onsuccess = () => res("opened"); r.onerror = () => rej(r.error);
    }));
    await t("indexedDB.databases", () => G.indexedDB.databases().then((d) => JSON.stringify(d)));
    await t("caches", () => G.caches.keys().then((k) => JSON.stringify(k)));
    await t("OPFS", () => G.navigator.storage.getDirectory().then((d) => d.name));
    await t("storage estimate", () => G.navigator.storage.estimate().then((e) => JSON.stringify(e)));
    await t("page document", () => { if (typeof G.document === "undefined") throw new Error("no document"); return "document"; });
    await t("parent window", () => { if (typeof G.parent === "undefined" && typeof G.top === "undefined") throw new Error("no parent"); return "parent"; });
    await t("origin", () => { if (G.origin === "null") throw new Error("opaque origin"); return G.origin; });
    await t("SharedWorker", () => new G.SharedWorker(C + "?shared").port);
  `;
  return `
    const attack = async () => { ${attempts}; return out; };
    const here = await attack();
    let nested;
    try {
      const blob = new Blob(["(async () => {" + ${JSON.stringify(attempts)} + "; postMessage(out); })()"], { type: "text/javascript" });
      const w = new Worker(URL.createObjectURL(blob));
      nested = await new Promise((resolve) => {
        w.onmessage = (e) => resolve(e.data);
        w.onerror = (e) => resolve("nested worker failed: " + e.message);
        setTimeout(() => resolve("nested worker: no answer"), 60000);
      });
      w.terminate();
    } catch (e) {
      nested = "nested worker could not start: " + e;
    }
    return { here, nested };
  `;
}

// One page for both (a Pyodide start without the snapshot is the most expensive thing a page does).
describe("a damaged Pyodide snapshot and a broken package folder", () => {
  it("the snapshot is refused and Python starts the slow way; the folder is reported as broken, not as 'not available'; Python runs", async () => {
    const { page } = await openPage(browser, "about:blank");
    await page.route("**/pyodide/pyodide.snapshot.gz", (route) =>
      route.fulfill({ status: 200, contentType: "application/gzip", body: Buffer.alloc(4096, 7) }),
    );
    // The page's fetch of the manifest gets a file that does not parse.
    await page.route("**/py-packages/manifest.json", (route) =>
      route.fulfill({ status: 200, contentType: "application/json", body: '{"packages": {' }),
    );
    await page.goto(`${vite.url}${PAGE}`);
    await page.waitForFunction(() => document.title === "executor e2e ready", undefined, { timeout: 60_000 });
    try {
      await call(page, "create", { timeoutMs: 5000 });
      expect(await call(page, "pythonStart")).toBe("snapshot refused");
      const r = await run(page, "import sympy");
      expect(r.error?.type).toBe("ModuleNotFoundError");
      expect(r.error?.message).toMatch(
        /No module named 'sympy' \(the package folder is broken: manifest.json does not parse \(.+\); rebuild it with npm run py-packages\)/,
      );
      expect((await run(page, "print(6 * 7)")).logs).toBe("42\n");
    } finally {
      await page.close();
    }
  }, 120_000);
});
