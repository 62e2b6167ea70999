/**
 * Building a shard in the page against the CLI, on the same file: a pages-articles `.xml.bz2` made from
 * the {title, text} corpora of ../shared/data/wiki (2Wiki, MuSiQue), repeated `SHARD_BUILD_COPIES`
 * times (default 4) under distinct titles so that every page is new to the deduplication.
 * - CLI: `pocket-agent shard build` in its own process under /usr/bin/time (wall time, peak RSS).
 * - Page: the production build in Chromium, the file picked in "Build from a Wikipedia dump…"; the
 *   worker's own build time (from the bar's label), the time from pick to the shard in use (the page
 *   also reads back and checks the shard it wrote), and the RSS of the browser's renderer processes,
 *   sampled every 200 ms, over the baseline of the loaded page (the build worker lives in the page's
 *   renderer process; Chromium gives workers no performance.memory).
 * - The bzip2 decoder alone (the one both use, src/retrieval/inputs/bunzip2.ts) against `bzip2 -d`.
 * The ratios that matter are page / CLI build time, and CPU time (less sensitive to a loaded machine:
 * the CLI process's user + system time against the renderer processes' from pick to use); both shards
 * must be the same bytes.
 *
 * Run: `npm run bench -- shard-build`.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bunzip2 } from "../src/retrieval/inputs/bunzip2.ts";
import { buildAndPreview } from "../tests/e2e/app-harness.ts";
import { launchChromium } from "../tests/e2e/harness/browser.ts";
import { SHARED } from "../tests/support/shared.ts";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
const MiB = 1024 * 1024;

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

async function makeDump(copies: number): Promise<{ xml: string; pages: number }> {
  const records: Array<{ title: string; text: string }> = [];
  for (const file of ["hipporag_2wiki_corpus.json", "hipporag_musique_train_sample_corpus.json"])
    records.push(...(JSON.parse(await readFile(join(SHARED, "data/wiki", file), "utf8")) as typeof records));
  const pages: string[] = [];
  for (let copy = 0; copy < copies; copy++) {
    for (const r of records) {
      const title = copy ? `${r.title} (${copy})` : r.title;
      pages.push(
        `  <page>\n    <title>${escapeXml(title)}</title>\n    <ns>0</ns>\n    <id>${pages.length + 1}</id>\n` +
          `    <revision>\n      <text xml:space="preserve">${escapeXml(r.text)}</text>\n    </revision>\n  </page>`,
      );
    }
  }
  const xml = `<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">\n${pages.join("\n")}\n</mediawiki>\n`;
  return { xml, pages: pages.length };
}

/** Pids of the descendants of `root`, with their command lines. */
async function descendants(root: number): Promise<Array<{ pid: number; cmd: string }>> {
  const parent = new Map<number, number>();
  const cmd = new Map<number, string>();
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      parent.set(pid, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      cmd.set(pid, (await readFile(`/proc/${pid}/cmdline`, "utf8")).replace(/\0/g, " "));
    } catch {
      // gone
    }
  }
  const out: Array<{ pid: number; cmd: string }> = [];
  for (const [pid] of parent) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === root) {
        out.push({ pid, cmd: cmd.get(pid) ?? "" });
        break;
      }
    }
  }
  return out;
}

async function rssOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** This process's Chromium renderer processes (found once: walking /proc costs CPU the build needs). */
async function rendererPids(): Promise<number[]> {
  return (await descendants(process.pid)).filter((p) => p.cmd.includes("--type=renderer")).map((p) => p.pid);
}

/** CPU seconds (user + system) the processes have used so far (/proc/PID/stat, 100 ticks a second). */
async function cpuSeconds(pids: number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

async function totalRss(pids: number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) total += await rssOf(pid);
  return total;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function timeCli(dump: string, outDir: string) {
  const started = performance.now();
  const stderr = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      "/usr/bin/time",
      [
        "-f",
        "MAXRSS_KB %M CPU %U %S",
        process.execPath,
        join(REPO, "bin/pocket-agent.js"),
        "shard",
        "build",
        "--out",
        outDir,
        dump,
      ],
      { cwd: REPO, stdio: ["ignore", "ignore", "pipe"] },
    );
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(err) : reject(new Error(`shard build exited ${code}: ${err}`)),
    );
  });
  const seconds = (performance.now() - started) / 1000;
  const maxRss = Number(/MAXRSS_KB (\d+)/.exec(stderr)?.[1] ?? 0) * 1024;
  const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(stderr);
  const bytes = await readFile(join(outDir, "shard.pas"));
  return {
    seconds,
    cpuSeconds: Number(cpu?.[1]) + Number(cpu?.[2]),
    peakRssMiB: maxRss / MiB,
    shardBytes: bytes.length,
    sha256: sha256(bytes),
  };
}

async function timePage(dump: string) {
  const [app, browser] = await Promise.all([buildAndPreview(), launchChromium()]);
  try {
    const page = await browser.newPage();
    await page.goto(app.url);
    // The page starts Python on load: measure from after that.
    await page.waitForFunction(
      () => document.getElementById("python-progress")?.dataset["state"] === "done",
      undefined,
      {
        timeout: 120_000,
      },
    );
    await new Promise((r) => setTimeout(r, 1000));
    const renderers = await rendererPids();
    const baseline = await totalRss(renderers);
    const cpuBefore = await cpuSeconds(renderers);
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await totalRss(renderers));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await page.evaluate(() => {
      (document.getElementById("settings") as HTMLDetailsElement).open = true;
    });
    const started = performance.now();
    await page.setInputFiles("#dump-file", dump);
    await page.waitForFunction(
      () => {
        const state = document.getElementById("shard-progress")?.dataset["state"];
        return state === "done" || state === "failed";
      },
      undefined,
      { timeout: 1_800_000, polling: 100 },
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = (await cpuSeconds(renderers)) - cpuBefore;
    sampling = false;
    await sampler;
    const label = (await page.locator("#shard-progress .progress-label").textContent()) ?? "";
    if ((await page.locator("#shard-progress").getAttribute("data-state")) !== "done")
      throw new Error(
        `the page did not build the shard: ${label} ${await page.locator("#error").textContent()}`,
      );
    const workerSeconds = Number(/built in ([\d.]+) s/.exec(label)?.[1]);
    const digest = await page.evaluate(async () => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle("shards");
      const meta = JSON.parse(await (await (await dir.getFileHandle("shard.json")).getFile()).text());
      const bytes = await (await (await dir.getFileHandle(meta.file)).getFile()).arrayBuffer();
      return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
    });
    return {
      label,
      workerSeconds,
      pickToUseSeconds: seconds,
      /** CPU time of the renderer processes from pick to use (the worker, and the page's check). */
      rendererCpuSeconds: cpu,
      rendererRssBaselineMiB: baseline / MiB,
      rendererRssPeakMiB: peak / MiB,
      rendererRssGrowthMiB: (peak - baseline) / MiB,
      sha256: Buffer.from(digest).toString("hex"),
    };
  } finally {
    await browser.close();
    await app.close();
  }
}

async function timeBunzip2(dump: string) {
  let started = performance.now();
  let bytes = 0;
  for await (const chunk of bunzip2(createReadStream(dump, { highWaterMark: 1 << 20 })))
    bytes += chunk.length;
  const js = (performance.now() - started) / 1000;
  started = performance.now();
  execFileSync("bzip2", ["-dc", dump], { maxBuffer: 1 << 30 });
  const native = (performance.now() - started) / 1000;
  return { decompressedMiB: bytes / MiB, jsSeconds: js, bzip2CliSeconds: native, jsOverCli: js / native };
}

export async function run(): Promise<Record<string, unknown>> {
  const copies = Number(process.env["SHARD_BUILD_COPIES"] ?? 4);
  const work = await mkdtemp(join(tmpdir(), "bench-shard-build-"));
  try {
    const { xml, pages } = await makeDump(copies);
    const dump = join(work, "benchwiki-pages-articles.xml.bz2");
    const compressed = execFileSync("bzip2", ["-c"], { input: xml, maxBuffer: 1 << 30 });
    await writeFile(dump, compressed);
    const input = { pages, xmlMiB: Buffer.byteLength(xml) / MiB, bz2MiB: compressed.length / MiB };
    console.error(`bench shard-build: ${pages} pages, ${input.bz2MiB.toFixed(1)} MiB bz2`);
    const bzip2 = await timeBunzip2(dump);
    console.error("bench shard-build: bzip2", bzip2);
    const cli = await timeCli(dump, join(work, "cli"));
    console.error("bench shard-build: cli", cli);
    const page = await timePage(dump);
    console.error("bench shard-build: page", page);
    return {
      input,
      bzip2,
      cli,
      page,
      sameBytes: cli.sha256 === page.sha256,
      ratios: {
        pageWorkerOverCli: page.workerSeconds / cli.seconds,
        pagePickToUseOverCli: page.pickToUseSeconds / cli.seconds,
        /** Less sensitive to the machine's load than wall time. */
        pageCpuOverCliCpu: page.rendererCpuSeconds / cli.cpuSeconds,
      },
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
