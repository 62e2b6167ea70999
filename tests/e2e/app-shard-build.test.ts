/**
 * Issue 14 in real Chromium: the page builds a shard from a Wikipedia dump the visitor picks (a small
 * pages-articles .xml.bz2 made from ../shared passages), in its build worker with progress, into OPFS;
 * then a replayed question's web_search answers from that shard, and the next visit opens it from
 * OPFS. A corrupt dump is refused with an error that names it, and the built shard stays in use. One
 * production build and one browser for the whole file.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { writeShardFile } from "../../src/retrieval/node/build-shard.ts";
import { readInputPassages } from "../../src/retrieval/node/read-input.ts";
import { SHARED } from "../support/shared.ts";
import {
  ask,
  buildAndPreview,
  NO_SERVICE_WORKER,
  observation,
  pickReplay,
  replayTrajectory,
  type ServedApp,
  setSettings,
  writeJson,
} from "./app-harness.ts";
import { launchChromium } from "./harness/browser.ts";

const PAGES = 300;
const QUESTION = "What does Etan Boritzer write?";
const SEARCH_STEP =
  'Thought: I will look him up.\nCode:\n```py\nprint(web_search("Etan Boritzer writer"))\n```';
const ANSWER_STEP =
  'Thought: The passage says so.\nCode:\n```py\nfinal_answer("children\'s literature")\n```';

let app: ServedApp;
let browser: Browser;
let work: string;
let dumpPath: string;
/** All of the 2Wiki corpus, ~6,000 pages: a build that runs long enough to be stopped. */
let bigDumpPath: string;
let page: Page;
const pageErrors: string[] = [];

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A pages-articles XML dump of the first `count` articles of the 2Wiki corpus, one page each. */
async function dumpXml(count: number): Promise<string> {
  const records = JSON.parse(
    await readFile(join(SHARED, "data/wiki/hipporag_2wiki_corpus.json"), "utf8"),
  ) as Array<{ title: string; text: string }>;
  const seen = new Set<string>();
  const pages: string[] = [];
  for (const r of records) {
    if (pages.length === count) break;
    if (seen.has(r.title) || r.title.includes(":")) continue;
    seen.add(r.title);
    pages.push(
      `  <page>\n    <title>${escapeXml(r.title)}</title>\n    <ns>0</ns>\n    <id>${pages.length + 1}</id>\n` +
        `    <revision>\n      <text xml:space="preserve">${escapeXml(r.text)}</text>\n    </revision>\n  </page>`,
    );
  }
  return `<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">\n${pages.join("\n")}\n</mediawiki>\n`;
}

/** Picks a file in "Build from a Wikipedia dump…" and waits for the shard bar to end (done or failed). */
async function pickDump(path: string): Promise<string> {
  await setSettings(page, {});
  await page.evaluate(() => {
    const bar = document.getElementById("shard-progress");
    if (bar) delete bar.dataset["state"];
  });
  await page.setInputFiles("#dump-file", path);
  await page.waitForFunction(
    () => {
      const state = document.getElementById("shard-progress")?.dataset["state"];
      return state === "done" || state === "failed";
    },
    undefined,
    { timeout: 150_000 },
  );
  return (await page.locator("#shard-progress").getAttribute("data-state")) ?? "";
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pocket-agent-shard-build-"));
  dumpPath = join(work, "testwiki-pages-articles.xml.bz2");
  bigDumpPath = join(work, "bigwiki-pages-articles.xml.bz2");
  const [served, launched] = await Promise.all([
    buildAndPreview({ from: inject("appBuild") }),
    launchChromium(),
    dumpXml(PAGES).then((xml) => writeFile(dumpPath, execFileSync("bzip2", ["-c"], { input: xml }))),
    dumpXml(Number.POSITIVE_INFINITY).then((xml) =>
      writeFile(bigDumpPath, execFileSync("bzip2", ["-c"], { input: xml, maxBuffer: 1 << 26 })),
    ),
  ]);
  app = served;
  browser = launched;
  page = await (await browser.newContext(NO_SERVICE_WORKER)).newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(app.url);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("building a shard in the page", { timeout: 240_000 }, () => {
  it("builds a shard from a picked .xml.bz2 dump with progress, and web_search answers from it", async () => {
    // The bar's label while it runs: bytes read of the file and passages so far, then the index write.
    const labels: string[] = [];
    await page.exposeFunction("recordLabel", (text: string) => labels.push(text));
    await page.evaluate(() => {
      const label = document.querySelector("#shard-progress .progress-label")!;
      new MutationObserver(() =>
        (window as unknown as { recordLabel(t: string): void }).recordLabel(label.textContent ?? ""),
      ).observe(label, { childList: true, characterData: true, subtree: true });
    });

    expect(await pickDump(dumpPath)).toBe("done");
    expect(
      labels.some((l) => /^Building a shard from testwiki-pages-articles\.xml\.bz2: .* read/.test(l)),
    ).toBe(true);
    // Then the index write, stage by stage (each stage's start is always shown).
    const writing = labels.filter((l) => l.includes(": writing the index of "));
    expect(writing.some((l) => /, sorting [\d,]+ terms…$/.test(l))).toBe(true);
    expect(writing.some((l) => /, merging the postings, term [\d,]+ of [\d,]+ \(\d+%\)…$/.test(l))).toBe(
      true,
    );
    expect(writing.some((l) => /, copying into the shard file, .+ \(\d+%\)…$/.test(l))).toBe(true);
    const label = (await page.locator("#shard-progress .progress-label").textContent()) ?? "";
    expect(label).toMatch(
      /^shard built from testwiki-pages-articles\.xml\.bz2: [\d,]+ passages from 300 pages, .* built in [\d.]+ s; kept in this browser/,
    );
    expect(await page.locator("#shard-status").textContent()).toMatch(
      /^Shard in use: shard built from testwiki-pages-articles\.xml\.bz2 \(\d+ passages\)/,
    );
    expect(await page.locator("#stop-build").isVisible()).toBe(false);

    // The same shard, byte for byte, as the CLI's builder makes from the same file.
    const built = await page.evaluate(async () => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle("shards");
      const meta = JSON.parse(await (await (await dir.getFileHandle("shard.json")).getFile()).text());
      const bytes = await (await (await dir.getFileHandle(meta.file)).getFile()).arrayBuffer();
      return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
    });
    const cli = await writeShardFile(readInputPassages(dumpPath), join(work, "cli"));
    expect(Buffer.from(built).toString("hex")).toBe(
      createHash("sha256")
        .update(await readFile(cli.file))
        .digest("hex"),
    );

    await pickReplay(
      page,
      await writeJson(work, "etan.json", replayTrajectory(QUESTION, [SEARCH_STEP, ANSWER_STEP])),
    );
    expect(await ask(page, QUESTION)).toBe("answered");
    const first = await observation(page, 1);
    expect(first.kind).toBe("ok");
    expect(first.text).toContain("Retrieved documents:");
    expect(first.text).toContain('"Etan Boritzer"');
    expect(await page.locator("#answer .answer-text").textContent()).toBe("children's literature");
  });

  it("stops a build on Stop, keeping nothing of it", async () => {
    await setSettings(page, {});
    await page.evaluate(() => {
      const bar = document.getElementById("shard-progress");
      if (bar) delete bar.dataset["state"];
    });
    await page.setInputFiles("#dump-file", bigDumpPath);
    await page.waitForFunction(() =>
      /read, [\d,]+ pages, [1-9][\d,]* passages$/.test(
        document.querySelector("#shard-progress .progress-label")?.textContent ?? "",
      ),
    );
    expect(await page.locator("#stop-build").isVisible()).toBe(true);
    await page.click("#stop-build");
    await page.waitForFunction(
      () => document.getElementById("shard-progress")?.dataset["state"] === "failed",
    );
    expect(await page.locator("#shard-progress .progress-label").textContent()).toBe(
      "Stopped building a shard from bigwiki-pages-articles.xml.bz2; nothing was kept.",
    );
    expect(await page.locator("#error").isVisible()).toBe(false);
    expect(await page.locator("#stop-build").isVisible()).toBe(false);
    expect(await page.locator("#shard-status").textContent()).toContain(
      "shard built from testwiki-pages-articles.xml.bz2",
    );
  });

  it("refuses a corrupt dump with an error that names it, and keeps the built shard, also for the next visit", async () => {
    const good = await readFile(dumpPath);
    const damaged = Buffer.from(good);
    for (let i = 0; i < 64; i++) damaged[Math.floor(damaged.length / 2) + i]! ^= 0x5a;
    const corrupt = join(work, "corrupt-pages-articles.xml.bz2");
    await writeFile(corrupt, damaged);

    expect(await pickDump(corrupt)).toBe("failed");
    const error = page.locator("#error");
    expect(await error.isVisible()).toBe(true);
    expect(await error.textContent()).toMatch(
      /^No shard was built from corrupt-pages-articles\.xml\.bz2: bad bzip2 data \(/,
    );
    expect(await error.textContent()).toContain(
      "The shard in use is still shard built from testwiki-pages-articles.xml.bz2.",
    );

    const notADump = join(work, "notes.xml");
    await writeFile(notADump, "just some notes, not a dump\n");
    expect(await pickDump(notADump)).toBe("failed");
    expect(await error.textContent()).toMatch(
      /^No shard was built from notes\.xml: not an input the builder knows/,
    );

    // Only the built shard is left in OPFS (the stopped and failed builds removed their files), and a
    // reload opens it.
    const files = await page.evaluate(async () => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle("shards");
      const names: string[] = [];
      for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
      return names.sort();
    });
    expect(files).toEqual([expect.stringMatching(/^shard-\d+\.pas$/), "shard.json"]);
    await page.reload();
    await page.waitForFunction(() =>
      document.getElementById("shard-status")?.textContent?.includes("stored in this browser"),
    );
    expect(await page.locator("#shard-status").textContent()).toContain(
      "shard built from testwiki-pages-articles.xml.bz2",
    );
    expect(pageErrors).toEqual([]);
  });
});
