/**
 * `pocket-agent shard get simplewiki` end to end against a local dump site: a small bzip2 dump made
 * from ../shared passages, the dump's own sha1sums file, an interrupted download resumed by running
 * the command again, a checksum mismatch, and the newest-finished-dump rule.
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checksumOf } from "../../src/retrieval/node/wiki-dump.ts";
import { openShardFrom } from "../../src/retrieval/open-shard.ts";
import { SHARED } from "../support/shared.ts";

const DATE = "20990101";
/** A newer dump still running: its sha1sums file does not list pages-articles yet. */
const UNFINISHED = "20990201";
const FILE = `simplewiki-${DATE}-pages-articles.xml.bz2`;

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A pages-articles XML dump of the first `count` passages of the 2Wiki corpus, one page each. */
function dumpXml(count: number): { xml: string; titles: string[] } {
  const records = JSON.parse(
    readFileSync(join(SHARED, "data/wiki/hipporag_2wiki_corpus.json"), "utf8"),
  ) as Array<{
    title: string;
    text: string;
  }>;
  const seen = new Set<string>();
  const pages: string[] = [];
  for (const r of records) {
    if (pages.length === count) break;
    if (seen.has(r.title) || r.title.includes(":")) continue;
    seen.add(r.title);
    pages.push(`  <page>
    <title>${escapeXml(r.title)}</title>
    <ns>0</ns>
    <id>${pages.length + 1}</id>
    <revision>
      <id>${pages.length + 1000}</id>
      <text bytes="${r.text.length}" xml:space="preserve">${escapeXml(r.text)}</text>
    </revision>
  </page>`);
  }
  const xml = `<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">
  <siteinfo><sitename>Wikipedia</sitename><dbname>simplewiki</dbname></siteinfo>
${pages.join("\n")}
</mediawiki>
`;
  return { xml, titles: [...seen] };
}

interface Site {
  url: string;
  /** Path and Range header of every request for the dump file. */
  dumpRequests: Array<{ range?: string }>;
  /** Cut the next dump response after this many bytes (the connection drops). */
  cutNextAfter?: number;
  /** Serve this digest in the sha1sums file instead of the real one. */
  sha1?: string;
}

let server: Server;
let site: Site;
let dump: Buffer;
let titles: string[];
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "shard-get-"));
  const made = dumpXml(800);
  titles = made.titles;
  dump = execFileSync("bzip2", ["-c"], { input: made.xml, maxBuffer: 64 * 1024 * 1024 });
  const realSha1 = createHash("sha1").update(dump).digest("hex");
  site = { url: "", dumpRequests: [] };
  server = createServer((req, res) => {
    const path = req.url ?? "";
    if (path === "/simplewiki/") {
      res.end(
        `<html><body><a href="../">../</a>\n<a href="${DATE}/">${DATE}/</a>\n<a href="${UNFINISHED}/">${UNFINISHED}/</a>\n<a href="latest/">latest/</a></body></html>`,
      );
    } else if (path === `/simplewiki/${DATE}/simplewiki-${DATE}-sha1sums.txt`) {
      res.end(`0123abcd  simplewiki-${DATE}-stub-articles.xml.gz\n${site.sha1 ?? realSha1}  ${FILE}\n`);
    } else if (path === `/simplewiki/${UNFINISHED}/simplewiki-${UNFINISHED}-sha1sums.txt`) {
      res.end(`0123abcd  simplewiki-${UNFINISHED}-stub-articles.xml.gz\n`);
    } else if (path === `/simplewiki/${DATE}/${FILE}`) {
      const range = req.headers.range;
      site.dumpRequests.push({ range });
      const start = range ? Number(/^bytes=(\d+)-$/.exec(range)?.[1] ?? 0) : 0;
      const body = dump.subarray(start);
      res.writeHead(range ? 206 : 200, {
        "content-length": String(body.length),
        "accept-ranges": "bytes",
        ...(range ? { "content-range": `bytes ${start}-${dump.length - 1}/${dump.length}` } : {}),
      });
      const cut = site.cutNextAfter;
      site.cutNextAfter = undefined;
      if (cut === undefined) {
        res.end(body);
        return;
      }
      // Send part of the file, then drop the connection as a broken network would.
      res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 50));
    } else {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  site.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

const CLI = join(import.meta.dirname, "../../bin/pocket-agent.js");

/** Runs `pocket-agent shard get simplewiki --out OUT ...` as its own process, against the local site. */
function get(out: string, ...extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, "shard", "get", "simplewiki", "--out", out, ...extra],
      { env: { ...process.env, POCKET_AGENT_DUMPS_URL: site.url }, timeout: 110_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("pocket-agent shard get simplewiki", () => {
  it("resumes an interrupted download, verifies it against the dump's sha1sums and builds the shard", async () => {
    expect(dump.length).toBeGreaterThan(60_000);
    const out = join(work, "resume");
    site.dumpRequests = [];
    site.cutNextAfter = 40_000;
    const first = await get(out);
    expect(first.code).not.toBe(0);
    expect(first.stderr).toMatch(/run the same command again to resume/);
    expect(existsSync(join(out, `${FILE}.part`))).toBe(true);
    expect(existsSync(join(out, "shard.pas"))).toBe(false);

    const second = await get(out);
    // (The stderr in the comparison shows why, should it fail.)
    expect({ code: second.code, stderr: second.stderr }).toMatchObject({ code: 0 });
    // The newest date had no finished file: the dump of DATE was taken, and resumed, not restarted.
    expect(site.dumpRequests).toHaveLength(2);
    expect(site.dumpRequests[0]!.range).toBeUndefined();
    expect(site.dumpRequests[1]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(second.stderr).toMatch(/sha1 verified, resumed at \d+ bytes/);
    expect(second.stdout).toMatch(/shard\.pas: \d+ passages from \d+ read/);
    expect(readFileSync(join(out, FILE)).equals(dump)).toBe(true);
    expect((await readdir(out)).sort()).toEqual([FILE, "shard.pas"].sort());

    const shard = await openShardFrom({ path: out });
    const title = titles[123]!;
    expect(shard.search(title, 5).map((h) => h.title)).toContain(title);

    // Run again: the verified dump is not fetched a third time.
    const third = await get(out);
    expect(third.code).toBe(0);
    expect(site.dumpRequests).toHaveLength(2);
  }, 120_000);

  it("fails with a clear error and a non-zero exit code when the checksum does not match", async () => {
    const out = join(work, "mismatch");
    site.sha1 = "0".repeat(40);
    try {
      const result = await get(out, "--date", DATE);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(
        /sha1 mismatch \(expected 0{40}, got [0-9a-f]{40}\); the download was deleted/,
      );
      expect(existsSync(join(out, FILE))).toBe(false);
      expect(existsSync(join(out, `${FILE}.part`))).toBe(false);
      expect(existsSync(join(out, "shard.pas"))).toBe(false);
    } finally {
      site.sha1 = undefined;
    }
  }, 60_000);

  it("names the problem when the chosen date has no finished dump", async () => {
    const result = await get(join(work, "unfinished"), "--date", UNFINISHED);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(
        `the simplewiki dump of ${UNFINISHED} has no finished simplewiki-${UNFINISHED}-pages-articles\\.xml\\.bz2`,
      ),
    );
    expect((await get(join(work, "bad-date"), "--date", "2024-06")).code).not.toBe(0);
  }, 60_000);

  it("reads checksum lists in the dump site's `HEX  FILE` layout", () => {
    expect(checksumOf(`abc  other.gz\nDEF012  ${FILE}\n`, FILE)).toBe("def012");
    expect(checksumOf("abc  other.gz\n", FILE)).toBeUndefined();
  });
});
