/**
 * The page's history, keyboard, phone and accessibility, in real Chromium against a production build:
 * runs kept in IndexedDB across reloads (reopened, replayed, exported, deleted), a reload during a run
 * keeping its question, Ctrl+Enter asking, no sideways scrolling at 390 px with the answer on the first
 * screen, and axe-core finding no serious or critical violation. Every run here is a replay of
 * hand-written completions, and the page labels it so.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseTrajectory } from "../../src/agent/trajectory.ts";
import {
  ask,
  buildAndPreview,
  NO_SERVICE_WORKER,
  pickReplay,
  replayTrajectory,
  type ServedApp,
  setSettings,
  writeJson,
} from "./app-harness.ts";
import { launchChromium } from "./harness/browser.ts";

const ANSWER_STEP = 'Thought: I know it.\nCode:\n```py\nfinal_answer("Tulsa")\n```';
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

let app: ServedApp;
let browser: Browser;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pocket-agent-history-test-"));
  [app, browser] = await Promise.all([buildAndPreview({ from: inject("appBuild") }), launchChromium()]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The history list's items, newest first: [question, state]. */
async function historyItems(page: Page): Promise<string[][]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>("#history-list .history-item")].map((li) => [
      li.querySelector(".history-question")?.textContent ?? "",
      li.dataset["state"] ?? "",
    ]),
  );
}

async function historyLoaded(page: Page): Promise<void> {
  await page.waitForFunction(
    () => !document.getElementById("history-status")?.textContent?.startsWith("Loading"),
  );
}

/** axe-core's serious and critical violations on the page as it is now, and content outside landmarks. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: await readFile(axePath, "utf8") });
  return page.evaluate(async () => {
    type Violation = { id: string; impact: string; nodes: { target: string[] }[] };
    const axe = (
      globalThis as unknown as {
        axe: { run(context: Document, options: object): Promise<{ violations: Violation[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return (
      result.violations
        // Serious and critical ones, and content outside landmarks (moderate in axe, but the issue asks for it).
        .filter((v) => v.impact === "serious" || v.impact === "critical" || v.id === "region")
        .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)
    );
  });
}

describe("the page's history of runs", { timeout: 120_000 }, () => {
  let context: BrowserContext | undefined;
  let page: Page;

  /** A first visit: a new browser profile (empty history), its page loaded. */
  async function freshPage(): Promise<void> {
    await context?.close();
    context = await browser.newContext(NO_SERVICE_WORKER);
    page = await context.newPage();
    await page.goto(app.url);
    await historyLoaded(page);
  }

  afterAll(async () => {
    await context?.close();
  });

  it("keeps runs across a reload; each can be reopened, replayed, exported and deleted", async () => {
    await freshPage();
    // This context refuses service workers (NO_SERVICE_WORKER), as some browsers do: the page says so and works.
    await page.waitForFunction(() =>
      document.getElementById("offline-status")?.textContent?.startsWith("Offline support is off"),
    );
    await pickReplay(page, await writeJson(work, "first.json", replayTrajectory("First?", [ANSWER_STEP])));
    expect(await ask(page, "First?")).toBe("answered");
    expect(await historyItems(page)).toEqual([["First?", "finished"]]);

    await page.reload();
    await historyLoaded(page);
    expect(await historyItems(page)).toEqual([["First?", "finished"]]);
    expect(await page.locator("#history-list .history-meta").textContent()).toContain(
      "replay · replayed answer: Tulsa",
    );

    // Reopen: the trace and the answer come back, still labelled as a replay.
    await page.click("#history-list .history-open");
    expect(await page.locator("#trace .run-header").textContent()).toContain(
      "(reopened from history: “First?”",
    );
    expect(await page.locator('#trace details.step[data-step="1"] pre.code').textContent()).toBe(
      'final_answer("Tulsa")',
    );
    expect(await page.locator('[data-testid="answer"]').textContent()).toBe("Tulsa");
    expect(await page.locator("#answer h2").textContent()).toBe(
      "Replayed answer (recorded completions, not a model)",
    );
    expect(await page.locator("#replay-banner").isVisible()).toBe(true);

    // Export: the trajectory as JSON, the replay format.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("#history-list .history-export"),
    ]);
    expect(download.suggestedFilename()).toMatch(/^pocket-agent-run-\d+\.json$/);
    const exported = parseTrajectory(await readFile((await download.path())!, "utf8"));
    expect([exported.question, exported.engine.isReplay, exported.answer]).toEqual(["First?", true, "Tulsa"]);

    // Replay: the recorded completions run again, as a replay, and become a run of their own.
    await page.click("#history-list .history-replay");
    await page.waitForFunction(() => document.querySelectorAll("#history-list .history-item").length === 2);
    expect(await page.locator("#trace .run-status").getAttribute("data-status")).toBe("answered");
    expect(await page.locator("#replay-banner").isVisible()).toBe(true);
    expect(await page.inputValue("#question")).toBe("First?");

    // Delete: gone from the list, and still gone after a reload.
    await page.locator("#history-list .history-delete").first().click();
    await page.waitForFunction(() => document.querySelectorAll("#history-list .history-item").length === 1);
    await page.reload();
    await historyLoaded(page);
    expect(await historyItems(page)).toEqual([["First?", "finished"]]);
  });

  it("keeps the question of a run the page was reloaded during, and lists that run as interrupted", async () => {
    await freshPage();
    await setSettings(page, { actionTimeout: "30" });
    const slow = "Thought: wait.\nCode:\n```py\nimport time\nfor i in range(600):\n    time.sleep(0.05)\n```";
    await pickReplay(page, await writeJson(work, "slow.json", replayTrajectory("Slow?", [slow, slow])));
    await page.click("#ask");
    await page.locator('#trace .step[data-step="1"] pre.code').waitFor();
    await page.reload();
    await historyLoaded(page);
    expect(await page.inputValue("#question")).toBe("Slow?");
    expect(await historyItems(page)).toEqual([["Slow?", "interrupted"]]);
  });

  // In the page the test above left (a page load starts Pyodide; this needs no first visit).
  it("asks with Ctrl+Enter in the question box", async () => {
    if (!context) await freshPage();
    await pickReplay(page, await writeJson(work, "keys.json", replayTrajectory("Keys?", [ANSWER_STEP])));
    await page.focus("#question");
    await page.keyboard.press("Control+Enter");
    await page.locator("#trace .run-status").waitFor();
    expect(await page.locator('[data-testid="answer"]').textContent()).toBe("Tulsa");
    expect(await page.inputValue("#question")).toBe("Keys?");
  });
});

describe("the page on a phone, and for assistive technology", { timeout: 120_000 }, () => {
  it("has no sideways scrolling at 390 px, shows the answer on the first screen, and axe finds nothing serious", async () => {
    const context = await browser.newContext({ ...NO_SERVICE_WORKER, viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      await page.goto(app.url);
      await historyLoaded(page);
      expect(await axeViolations(page)).toEqual([]);

      // Two steps with n = 2: a vote over printed output laid out as web_search's (so passage cards show
      // without a shard), then the answer; every part of the trace is on the page for axe.
      const printsPassage =
        "Thought: Look.\nCode:\n```py\nprint('===== Document 0, similarity: 1.00 =====\\n\"Tulsa (city)\"\\nTulsa is a city in Oklahoma.')\n```";
      await pickReplay(
        page,
        await writeJson(
          work,
          "phone.json",
          replayTrajectory("Phone?", [printsPassage, printsPassage, ANSWER_STEP, ANSWER_STEP], {
            n: 2,
            maxSteps: 2,
          }),
        ),
      );
      await page.evaluate(() => {
        (document.getElementById("settings") as HTMLDetailsElement).open = false;
      });
      expect(await ask(page, "Phone?")).toBe("answered");
      await page.evaluate(() => window.scrollTo(0, 0));
      const answer = await page.locator("#answer").boundingBox();
      expect(answer).not.toBeNull();
      expect(answer!.y + answer!.height).toBeLessThanOrEqual(844);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

      // The replay banner, the trace's cards (raw text and a passage-free step open), the history and the
      // open settings: all checked.
      expect(await page.locator("#answer .answer-sources a").allTextContents()).toEqual([
        "step 2",
        "“Tulsa (city)” (step 1)",
      ]);
      await page.locator("#trace details.raw summary").first().click();
      await page.locator("#trace details.passage summary").first().click();
      await page.locator("#trace .candidate summary").first().click();
      await setSettings(page, {});
      expect(await page.locator("#replay-banner").isVisible()).toBe(true);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      expect(await axeViolations(page)).toEqual([]);
      // The page follows the system's dark mode (color-scheme: light dark): its colours must hold there too.
      await page.emulateMedia({ colorScheme: "dark" });
      expect(await axeViolations(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
