/**
 * The page in real Chromium, from the production build served by `vite preview` (built once per run):
 * a replayed run end to end (real Pyodide worker, real shard built by the CLI), the trace's cards (code
 * highlighted, passages, raw text, the answer's links), a malformed completion, a runaway action, a corrupt
 * shard, SAG, a replay refusing another question, Stop, an OpenAI-compatible server, a browser without a
 * WebGPU adapter, a model download that 404s; and, last, offline after the first visit. History, phone
 * width and accessibility: app-history.test.ts.
 *
 * Offline: the build is visited once (the service worker precaches the app, the workers, Pyodide and the
 * Python packages; the picked shard goes to OPFS), then the browser goes offline, the server stops, the
 * page reloads, and a replayed question runs end to end while no request of the page or its workers
 * leaves the browser. The server is stopped, not only emulated away, because Playwright's offline
 * emulation does not cover the browser's own service-worker update check (sw.js and its workbox import,
 * fetched on navigation): with the host gone that check fails quietly and the cached worker stays, as it
 * does for a user offline.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FIRST_LOAD_BUDGET_BYTES, formatSizes, measureBuild } from "../../scripts/bundle-size.ts";
import {
  ask,
  buildAndPreview,
  forgetLastRun,
  observation,
  pickReplay,
  pickShard,
  replayTrajectory,
  type ServedApp,
  setSettings,
  writeJson,
} from "./app-harness.ts";
import { launchChromium } from "./harness/browser.ts";

const QUESTION =
  'The band who released the debut album "Tinted Windows" had their first performance in what city?';
const SEARCH_STEP =
  'Thought: I will look up the band.\nCode:\n```py\nprint(web_search("Tinted Windows band first performance"))\n```';
const ANSWER_STEP = 'Thought: The documents say Tulsa.\nCode:\n```py\nfinal_answer("Tulsa")\n```';

let app: ServedApp;
let work: string;
let shardPath: string;
let browser: Browser;
/**
 * One page serves the tests below, one after another (each picks the engine, shard and settings it needs):
 * a page load starts Pyodide, several CPU-seconds in Chromium, and most tests only ask questions. The
 * first visit (what shows before anything loads), reloads and the offline run are tested on purpose.
 */
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const serverHits: string[] = [];
const UPDATE_CHECK = /^\/(sw|workbox-[\w-]+)\.js$/;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pocket-agent-app-test-"));
  shardPath = inject("testShard");
  [app, browser] = await Promise.all([
    buildAndPreview({ from: inject("appBuild"), onRequest: (url) => serverHits.push(url) }),
    launchChromium(),
  ]);
  context = await browser.newContext();
  page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(app.url);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the page with the replay engine", { timeout: 120_000 }, () => {
  it("answers a question from recorded completions, searching the real shard, labelled as a replay", async () => {
    // Nothing is loading yet: no progress bar shows (author CSS once overrode the hidden attribute).
    expect(await page.locator("#model-progress").isVisible()).toBe(false);
    expect(await page.locator("#shard-progress").isVisible()).toBe(false);
    await pickShard(page, shardPath);
    expect(await page.locator("#shard-progress").isVisible()).toBe(true);
    expect(await page.locator("#shard-progress .progress-label").textContent()).toContain("2966 passages");
    await pickReplay(
      page,
      await writeJson(work, "tulsa.json", replayTrajectory(QUESTION, [SEARCH_STEP, ANSWER_STEP])),
    );

    expect(await ask(page, QUESTION)).toBe("answered");

    const banner = page.locator("#replay-banner");
    expect(await banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toContain("REPLAY — recorded completions, not a model");
    expect(await page.locator("#answer h2").textContent()).toBe(
      "Replayed answer (recorded completions, not a model)",
    );
    expect(await page.locator("#answer .answer-text").textContent()).toBe("Tulsa");

    const first = await observation(page, 1);
    expect(first.kind).toBe("ok");
    expect(first.text).toContain("Retrieved documents:");
    expect(first.text).toMatch(/"Tinted Windows \((band|album)\)"/);
    expect(await page.locator('#trace .step[data-step="1"] pre.code').textContent()).toContain("web_search(");
    expect(await page.locator("#python-progress").getAttribute("data-state")).toBe("done");
    expect(pageErrors).toEqual([]);
  });

  it("draws the trace as cards: highlighted code, passages with titles, raw text behind a toggle, answer linked to its sources", async () => {
    await pickShard(page, shardPath);
    await pickReplay(
      page,
      await writeJson(work, "tulsa-cards.json", replayTrajectory(QUESTION, [SEARCH_STEP, ANSWER_STEP])),
    );
    expect(await ask(page, QUESTION)).toBe("answered");

    const step1 = page.locator('#trace details.step[data-step="1"]');
    expect(await step1.getAttribute("open")).not.toBeNull();
    expect(await step1.locator("summary").first().textContent()).toMatch(
      /^Step 1searches “Tinted Windows band first performance”; 3 passages$/,
    );
    const code = step1.locator("pre.code");
    await page.waitForFunction(() =>
      document.querySelector('#trace .step[data-step="1"] pre.code[data-highlighted="python"]'),
    );
    expect(await code.locator(".hljs-string").first().textContent()).toBe(
      '"Tinted Windows band first performance"',
    );
    const titles = await step1.locator("details.passage .passage-title").allTextContents();
    expect(titles).toHaveLength(3);
    expect(titles).toContain("Tinted Windows (band)");
    const passage = step1.locator("details.passage").first();
    expect(await passage.locator(".passage-text").isVisible()).toBe(false);
    await passage.locator("summary").click();
    expect(await passage.locator(".passage-text").isVisible()).toBe(true);

    // Raw protocol text: hidden until its toggle is opened.
    const raw = step1.locator("details.raw pre.raw-text").first();
    expect(await raw.isVisible()).toBe(false);
    await step1.locator("details.raw summary").click();
    expect(await raw.textContent()).toBe(SEARCH_STEP);
    expect(await raw.isVisible()).toBe(true);

    // The answer links to the step that answered and to the passage that names Tulsa; a link opens it.
    expect(await page.locator('[data-testid="answer"]').textContent()).toBe("Tulsa");
    const links = page.locator("#answer .answer-sources a");
    expect(await links.first().textContent()).toBe("step 2");
    expect(await links.nth(1).textContent()).toBe("“Tinted Windows (band)” (step 1)");
    await step1.locator("summary").first().click();
    expect(await step1.getAttribute("open")).toBeNull();
    await links.nth(1).click();
    const target = page.locator(`#${(await links.nth(1).getAttribute("href"))!.slice(1)}`);
    expect(await target.locator(".passage-text").isVisible()).toBe(true);
    expect(await target.locator(".passage-text").textContent()).toContain("Tulsa");
  });

  it("keeps the picked shard in the browser for the next visit", async () => {
    await pickShard(page, shardPath);
    await page.reload();
    await page.waitForFunction(() =>
      document.getElementById("shard-status")?.textContent?.includes("stored in this browser"),
    );
    expect(await page.locator("#shard-status").textContent()).toContain("shard.pas (2966 passages");
  });

  it("shows a parse-error observation for a malformed completion and goes on", async () => {
    const malformed = "Thought: I am sure of it.\nThe answer is Tulsa, no code needed!";
    await pickReplay(
      page,
      await writeJson(
        work,
        "malformed.json",
        replayTrajectory("What is 6 times 7?", [
          malformed,
          "Thought: compute.\nCode:\n```py\nfinal_answer(6 * 7)\n```",
        ]),
      ),
    );
    expect(await ask(page, "What is 6 times 7?")).toBe("answered");
    const first = await observation(page, 1);
    expect(first.kind).toBe("parse-error");
    expect(first.text).toMatch(/^Error:/);
    expect(await page.locator('#trace .step[data-step="1"] .observation h4').textContent()).toContain(
      "no code could be read",
    );
    expect((await observation(page, 2)).kind).toBe("ok");
    expect(await page.locator("#answer .answer-text").textContent()).toBe("42");
  });

  it("shows a timeout observation for `while True: pass` and goes on", async () => {
    await setSettings(page, { actionTimeout: "2" });
    const runaway = "Thought: spin.\nCode:\n```py\nwhile True:\n    pass\n```";
    await pickReplay(
      page,
      await writeJson(
        work,
        "runaway.json",
        replayTrajectory("Loop?", [runaway, "Thought: stop.\nCode:\n```py\nfinal_answer('survived')\n```"]),
      ),
    );
    expect(await ask(page, "Loop?")).toBe("answered");
    const first = await observation(page, 1);
    expect(first.kind).toBe("timeout");
    expect(first.text).toMatch(/TimeoutError|time limit/i);
    expect(await page.locator("#answer .answer-text").textContent()).toBe("survived");
    await setSettings(page, { actionTimeout: "10" });
  });

  it("refuses a corrupt shard with a clear error and keeps the shard in use", async () => {
    await pickShard(page, shardPath);
    const good = await readFile(shardPath);

    const flipped = Buffer.from(good);
    for (let i = 0; i < 64; i++) flipped[Math.floor(flipped.length / 2) + i]! ^= 0xff;
    const corrupt = join(work, "corrupt.pas");
    await writeFile(corrupt, flipped);
    await pickShard(page, corrupt);
    const error = page.locator("#error");
    expect(await error.isVisible()).toBe(true);
    expect(await error.textContent()).toMatch(/^corrupt\.pas is not a usable shard: corrupt shard: /);
    expect(await error.textContent()).toContain("The shard in use is still shard.pas.");
    expect(await page.locator("#shard-progress").getAttribute("data-state")).toBe("failed");

    const notAShard = join(work, "notes.pas");
    await writeFile(notAShard, "just some text, not a shard at all");
    await pickShard(page, notAShard);
    expect(await error.textContent()).toMatch(/^notes\.pas is not a usable shard: /);

    const truncated = join(work, "truncated.pas");
    await writeFile(truncated, good.subarray(0, Math.floor(good.length / 3)));
    await pickShard(page, truncated);
    expect(await error.textContent()).toMatch(/^truncated\.pas is not a usable shard: truncated shard/);

    // Nothing was lost: the good shard still answers web_search, and it is what the next visit opens.
    await pickReplay(
      page,
      await writeJson(work, "tulsa2.json", replayTrajectory(QUESTION, [SEARCH_STEP, ANSWER_STEP])),
    );
    expect(await ask(page, QUESTION)).toBe("answered");
    expect((await observation(page, 1)).text).toContain("Retrieved documents:");
    await page.reload();
    await page.waitForFunction(() =>
      document.getElementById("shard-status")?.textContent?.includes("stored in this browser"),
    );
    expect(await page.locator("#shard-status").textContent()).toContain("shard.pas");
  });

  it("runs SAG with n = 3 in the page: candidates executed in Pyodide, votes shown, majority wins", async () => {
    // The form says n = 1; the replay runs with the n it recorded.
    const say = (text: string) => `Thought: compute.\nCode:\n\`\`\`py\nprint(${text})\n\`\`\``;
    const done = 'Thought: done.\nCode:\n```py\nfinal_answer("42")\n```';
    await pickReplay(
      page,
      await writeJson(
        work,
        "sag.json",
        replayTrajectory("6*7?", [say("6*7"), say("6+7"), say("42"), done, done, done], {
          n: 3,
          maxSteps: 2,
        }),
      ),
    );
    expect(await ask(page, "6*7?")).toBe("answered");
    const sag = page.locator('#trace .step[data-step="1"] .sag');
    expect(await sag.locator(".vote-summary").textContent()).toMatch(
      /^Vote \(exact\): 3 of 3 candidates generated, 3 executed; winner #0 \(majority\)/,
    );
    // The output reads as text, not as a JSON string with "\n" escapes.
    expect(await sag.locator(".vote-groups li.winner").textContent()).toBe("2 votes for 42 (#0, #2)");
    expect(await page.locator('#trace .step[data-step="1"] .observation pre').textContent()).toContain("42");
    expect(await page.locator("#answer .answer-text").textContent()).toBe("42");
  });

  it("refuses to replay recorded completions for another question, and never offers that run to save", async () => {
    await pickReplay(page, await writeJson(work, "q.json", replayTrajectory("Q?", [ANSWER_STEP])));
    // Picking the replay puts its own question in the box.
    expect(await page.inputValue("#question")).toBe("Q?");
    expect(await page.locator("#replay-status").textContent()).toBe(
      "q.json: 1 recorded step(s) for “Q?”; it replays with n = 1 and at most 1 step(s), as recorded.",
    );
    expect(await ask(page, "Q?")).toBe("answered");
    expect(await page.locator("#save-trajectory").isVisible()).toBe(true);

    await page.fill("#question", "Who wrote Hamlet?");
    await page.click("#ask");
    const error = page.locator("#error");
    await error.waitFor({ state: "visible" });
    expect(await error.textContent()).toBe(
      "q.json replays the recorded completions for “Q?”, so it cannot answer “Who wrote Hamlet?”. Ask the recorded question, or pick another engine.",
    );
    // The trajectory on offer would be the earlier run's, answering another question: it is not offered.
    expect(await page.locator("#save-trajectory").isVisible()).toBe(false);
    expect(await page.inputValue("#question")).toBe("Who wrote Hamlet?");
  });

  it("refuses a file that is not a trajectory, and keeps the replay it had", async () => {
    await pickReplay(page, await writeJson(work, "good.json", replayTrajectory("Q?", [ANSWER_STEP])));
    const broken = join(work, "broken.json");
    await writeFile(broken, '{"schema": "pocket-agent/trajectory", "version": 1, "steps": [');
    await page.setInputFiles("#replay-file", broken);
    const error = page.locator("#error");
    await error.waitFor({ state: "visible" });
    expect(await error.textContent()).toMatch(/^broken\.json: trajectory is not valid JSON/);
    expect(await ask(page, "Q?")).toBe("answered");
    expect(await page.locator("#answer .answer-text").textContent()).toBe("Tulsa");
  });

  it("stops a run with the Stop button and keeps the question", async () => {
    await setSettings(page, { actionTimeout: "30" });
    const slow = "Thought: wait.\nCode:\n```py\nimport time\nfor i in range(600):\n    time.sleep(0.05)\n```";
    await pickReplay(page, await writeJson(work, "slow.json", replayTrajectory("Slow?", [slow, slow])));
    await page.fill("#question", "Slow?");
    await forgetLastRun(page);
    await page.click("#ask");
    await page.locator('#trace .step[data-step="1"] pre.code').waitFor();
    await page.click("#stop");
    const status = page.locator("#trace .run-status");
    await status.waitFor({ timeout: 60_000 });
    expect(await status.getAttribute("data-status")).toBe("aborted");
    expect(await page.inputValue("#question")).toBe("Slow?");
    expect(await page.isEnabled("#ask")).toBe(true);
    await setSettings(page, { actionTimeout: "10" });
  });

  it("searches a shard the site serves at a URL, and names a URL that is not a shard", async () => {
    await mkdir(join(app.dir, "dist", "shards"), { recursive: true });
    await copyFile(shardPath, join(app.dir, "dist", "shards", "hotpot.pas"));
    await setSettings(page, { shardSource: "url", shardUrl: "/shards/hotpot.pas" });
    await pickReplay(
      page,
      await writeJson(work, "tulsa-url.json", replayTrajectory(QUESTION, [SEARCH_STEP, ANSWER_STEP])),
    );
    expect(await ask(page, QUESTION)).toBe("answered");
    expect((await observation(page, 1)).text).toMatch(/"Tinted Windows \((band|album)\)"/);
    expect(await page.locator("#shard-progress .progress-label").textContent()).toContain("2966 passages");

    await setSettings(page, { shardUrl: "/shards/missing.pas" });
    await page.fill("#question", QUESTION);
    await page.click("#ask");
    const error = page.locator("#error");
    await error.waitFor({ state: "visible" });
    // vite preview answers a missing file with index.html, as many static hosts do.
    expect(await error.textContent()).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/shards\/missing\.pas is not a usable shard: not a shard: /,
    );
    expect(await page.locator("#shard-progress").getAttribute("data-state")).toBe("failed");
    await setSettings(page, { shardSource: "stored" });
  });
});

describe("the page with an OpenAI-compatible server", { timeout: 120_000 }, () => {
  it("shows a model's answer as an answer (no replay banner), and an unreachable server as a clear error", async () => {
    const requests: { messages: { role: string }[]; stop: string[]; stream?: boolean }[] = [];
    const server = createServer((req, res) => {
      res.setHeader("Access-Control-Allow-Origin", "*");
      res.setHeader("Access-Control-Allow-Headers", "content-type, authorization");
      if (req.method === "OPTIONS") return void res.writeHead(204).end();
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        const request = JSON.parse(body);
        requests.push(request);
        if (request.stream) {
          // The page streams tokens when n = 1: answer as server-sent events, a few characters at a time.
          res.writeHead(200, { "Content-Type": "text/event-stream" });
          for (const piece of ANSWER_STEP.match(/[\s\S]{1,8}/g) ?? []) {
            res.write(
              `data: ${JSON.stringify({ model: "local-student", choices: [{ index: 0, delta: { content: piece } }] })}\n\n`,
            );
          }
          res.write(
            `data: ${JSON.stringify({ model: "local-student", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`,
          );
          return void res.end("data: [DONE]\n\n");
        }
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify({
            model: "local-student",
            choices: [
              { index: 0, finish_reason: "stop", message: { role: "assistant", content: ANSWER_STEP } },
            ],
            usage: { prompt_tokens: 10, completion_tokens: 5 },
          }),
        );
      });
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    try {
      await setSettings(page, { engine: "openai", openaiBaseUrl: base, openaiModel: "local-student" });
      expect(await ask(page, QUESTION)).toBe("answered");
      expect(await page.locator("#replay-banner").isVisible()).toBe(false);
      expect(await page.locator("#answer h2").textContent()).toBe("Answer");
      expect(await page.locator("#answer .answer-text").textContent()).toBe("Tulsa");
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({ stream: true, model: "local-student" });
      expect(requests[0]!.stop).toEqual(expect.arrayContaining(["<end_code>", "Observation:"]));

      // A follow-up continues the conversation: the model gets the first task, its step and observation,
      // then the new task; the trace shows the earlier question and answer above the new steps.
      await page.click("#follow-up");
      expect(await page.locator("#follow-up-note").textContent()).toContain(`Follow-up to “${QUESTION}”`);
      expect(await ask(page, "And in what state?")).toBe("answered");
      const followUp = (requests[1]!.messages as { role: string; content: string }[]).map((m) => m.content);
      expect(followUp[1]).toBe(`New task:\n${QUESTION}`);
      expect(followUp.at(-1)).toMatch(/Last output from code snippet:\nTulsaNew task:\nAnd in what state\?$/);
      expect(await page.locator("#trace .thread li").allTextContents()).toEqual([`${QUESTION}Tulsa`]);
      expect(await page.locator("#follow-up-note").isHidden()).toBe(true);

      await new Promise((done) => server.close(done));
      await ask(page, QUESTION);
      expect(await page.locator("#error").textContent()).toMatch(
        /^The run failed: cannot reach http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions/,
      );
      expect(await page.inputValue("#question")).toBe(QUESTION);

      // A server that runs but sends no CORS headers: the browser hides which it is, so the error names
      // both causes and how to allow the page's origin, instead of "is the server running?".
      const noCors = createServer((_req, res) => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end("{}");
      });
      await new Promise<void>((done) => noCors.listen(0, "127.0.0.1", done));
      try {
        const noCorsBase = `http://127.0.0.1:${(noCors.address() as AddressInfo).port}/v1`;
        await setSettings(page, { openaiBaseUrl: noCorsBase });
        await ask(page, QUESTION);
        const message = await page.locator("#error").textContent();
        expect(message).toMatch(/or it does not allow requests from http:\/\/127\.0\.0\.1:\d+ \(CORS/);
        expect(message).toContain("OLLAMA_ORIGINS=");
        expect(message).not.toMatch(/is the server running/);
      } finally {
        noCors.close();
      }
    } finally {
      server.close();
    }
  });
});

describe("the page with web-llm", { timeout: 120_000 }, () => {
  it("says WebGPU is not available in a Chromium without WebGPU, and keeps the question", async () => {
    // `browser` is launched without --enable-unsafe-webgpu: navigator.gpu exists but has no adapter.
    await setSettings(page, { engine: "webllm" });
    await page.fill("#question", "Who wrote Hamlet?");
    await page.click("#ask");
    const error = page.locator("#error");
    await error.waitFor({ state: "visible" });
    expect(await error.textContent()).toMatch(/^WebGPU is not available in this browser: /);
    expect(await page.inputValue("#question")).toBe("Who wrote Hamlet?");
    expect(await page.locator("#model-progress").getAttribute("data-state")).toBe("failed");
  });

  it("explains a model download that fails with HTTP 404, or that gets the host's HTML page", async () => {
    const missingFiles = createServer((_req, res) => {
      res.writeHead(404, "Not Found", {
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "Content-Type": "text/plain",
      });
      res.end("no such file");
    });
    await new Promise<void>((done) => missingFiles.listen(0, "127.0.0.1", done));
    const modelHost = `http://127.0.0.1:${(missingFiles.address() as AddressInfo).port}/`;
    const gpuBrowser = await launchChromium({ webgpu: true });
    try {
      const page = await gpuBrowser.newPage();
      await page.goto(app.url);
      const hasAdapter = await page.evaluate(async () => {
        const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
        return Boolean(await gpu?.requestAdapter());
      });
      expect(hasAdapter, "Chromium with --enable-unsafe-webgpu should offer its software adapter").toBe(true);
      const error = page.locator("#error");

      await setSettings(page, {
        engine: "webllm",
        customModelId: "missing-student",
        customModelUrl: `${modelHost}student/resolve/main/`,
        customModelLibUrl: `${modelHost}student/student-webgpu.wasm`,
      });
      await page.click("#load-model");
      await error.waitFor({ state: "visible", timeout: 60_000 });
      expect(await error.textContent()).toBe(
        `could not load model missing-student: downloading ${modelHost}student/resolve/main/mlc-chat-config.json failed: HTTP 404 Not Found; check the model URL (web-llm reads MODEL_URL/resolve/main/ unless the URL already names a /resolve/<branch>/ folder)`,
      );
      expect(await page.locator("#model-progress").getAttribute("data-state")).toBe("failed");

      // vite preview, like many static hosts, answers a missing file with the app's index.html.
      await setSettings(page, {
        customModelUrl: `${app.url}no-model-here/`,
        customModelLibUrl: `${app.url}no-model-here/lib.wasm`,
      });
      await page.evaluate(() => {
        document.getElementById("error")!.hidden = true;
      });
      await page.click("#load-model");
      await error.waitFor({ state: "visible", timeout: 60_000 });
      expect(await error.textContent()).toMatch(
        /^could not load model missing-student: http:\/\/127\.0\.0\.1:\d+\/no-model-here\/resolve\/main\/mlc-chat-config\.json is not the model's mlc-chat-config\.json \(the server answered with an HTML page/,
      );
    } finally {
      await gpuBrowser.close();
      await new Promise((done) => missingFiles.close(done));
    }
  });
});

describe("the build", () => {
  it("loads in at most 150 kB gzip before any engine (scripts/bundle-size.ts; npm run size prints it)", async () => {
    const sizes = measureBuild(join(app.dir, "dist"), { python: false });
    expect(sizes.firstLoad.files.map((f) => f.file)).toEqual(
      expect.arrayContaining(["index.html", "sw.js", expect.stringMatching(/^assets\/index-[\w-]+\.js$/)]),
    );
    expect(sizes.firstLoad.gzip, formatSizes(sizes)).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_BYTES);
    // No engine's large files are precached for everyone (src/ui/vite-pwa.ts).
    expect(await readFile(join(app.dir, "dist", "sw.js"), "utf8")).not.toMatch(
      /wllama-[\w-]+\.wasm|\.gguf"|llm\.worker-/,
    );
  });
});

// Last in the file: it stops the server. Generous: the first visit precaches ~45 MB on a shared machine.
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
