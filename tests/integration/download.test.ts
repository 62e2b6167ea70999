import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DownloadError, downloadFile, parseContentRange } from "../../src/download/node/download-file.ts";
import { expectSameBytes } from "../support/bytes.ts";
import { type FileServer, startFileServer } from "../support/file-server.ts";

const body = new Uint8Array(randomBytes(300_000));
const sha256 = createHash("sha256").update(body).digest("hex");

let dir: string;
let server: FileServer | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pa-download-"));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe("downloadFile", () => {
  it("downloads, reports progress up to the total, and returns the SHA-256", async () => {
    server = await startFileServer({ "/m.gguf": { body } });
    const seen: number[] = [];
    const destination = join(dir, "sub", "m.gguf");
    const result = await downloadFile({
      url: `${server.url}/m.gguf`,
      destination,
      onProgress: (p) => {
        expect(p.totalBytes).toBe(body.byteLength);
        seen.push(p.receivedBytes);
      },
    });
    expect(result.digest).toEqual({ algorithm: "sha256", hex: sha256 });
    expect(result.resumedFromBytes).toBe(0);
    expectSameBytes(await readFile(destination), body, "the downloaded file");
    expect(seen.at(-1)).toBe(body.byteLength);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(existsSync(`${destination}.part`)).toBe(false);
  });

  it("keeps the part when the connection breaks, and resumes it with a Range request", async () => {
    server = await startFileServer({ "/m.gguf": { body, etag: '"v1"' } }, { cutAfterBytes: 100_000 });
    const destination = join(dir, "m.gguf");
    const first = downloadFile({
      url: `${server.url}/m.gguf`,
      destination,
      checksum: { algorithm: "sha256", hex: sha256 },
    });
    await expect(first).rejects.toThrow(/connection (broke|ended).*run the same command again to resume/);
    const kept = (await stat(`${destination}.part`)).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(body.byteLength);
    expect(existsSync(destination)).toBe(false);

    const result = await downloadFile({
      url: `${server.url}/m.gguf`,
      destination,
      checksum: { algorithm: "sha256", hex: sha256 },
    });
    expect(result.resumedFromBytes).toBe(kept);
    expect(server.requests.at(-1)?.headers.range).toBe(`bytes=${kept}-`);
    expect(server.requests.at(-1)?.headers["if-range"]).toBe('"v1"');
    expectSameBytes(await readFile(destination), body, "the downloaded file");
  });

  it("restarts from zero when the file changed upstream (If-Range) instead of stitching two versions", async () => {
    server = await startFileServer({ "/m.gguf": { body, etag: '"v1"' } }, { cutAfterBytes: 50_000 });
    const destination = join(dir, "m.gguf");
    await expect(downloadFile({ url: `${server.url}/m.gguf`, destination })).rejects.toThrow(DownloadError);
    const changed = new Uint8Array(randomBytes(200_000));
    server.files.set("/m.gguf", { body: changed, etag: '"v2"' });
    const result = await downloadFile({ url: `${server.url}/m.gguf`, destination });
    expect(result.resumedFromBytes).toBe(0);
    expectSameBytes(await readFile(destination), changed, "the downloaded file");
  });

  it("restarts from zero when the server ignores ranges", async () => {
    server = await startFileServer({ "/m.gguf": { body } }, { cutAfterBytes: 80_000 });
    const destination = join(dir, "m.gguf");
    await expect(downloadFile({ url: `${server.url}/m.gguf`, destination })).rejects.toThrow(DownloadError);
    server.options.ignoreRange = true;
    const result = await downloadFile({ url: `${server.url}/m.gguf`, destination });
    expect(result.digest.hex).toBe(sha256);
  });

  it("deletes the download and names both digests when the checksum does not match", async () => {
    server = await startFileServer({ "/m.gguf": { body } });
    const destination = join(dir, "m.gguf");
    const wrong = "0".repeat(64);
    const error = await downloadFile({
      url: `${server.url}/m.gguf`,
      destination,
      checksum: { algorithm: "sha256", hex: wrong },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).code).toBe("checksum");
    expect((error as Error).message).toContain(wrong);
    expect((error as Error).message).toContain(sha256);
    expect(existsSync(destination)).toBe(false);
    expect(existsSync(`${destination}.part`)).toBe(false);
  });

  it("verifies other digests (a dump's md5sums / sha1sums)", async () => {
    server = await startFileServer({ "/d.bz2": { body } });
    const md5 = createHash("md5").update(body).digest("hex");
    const result = await downloadFile({
      url: `${server.url}/d.bz2`,
      destination: join(dir, "d.bz2"),
      checksum: { algorithm: "md5", hex: md5.toUpperCase() },
    });
    expect(result.digest).toEqual({ algorithm: "md5", hex: md5 });
  });

  it("refuses before the first byte when the disk lacks room", async () => {
    server = await startFileServer({ "/m.gguf": { body } });
    const destination = join(dir, "m.gguf");
    const error = await downloadFile({
      url: `${server.url}/m.gguf`,
      destination,
      freeBytes: async () => 1000,
    }).catch((e: unknown) => e);
    expect((error as DownloadError).code).toBe("space");
    expect((error as Error).message).toMatch(/needs 293 KiB more on disk, 1000 B free/);
    expect(existsSync(`${destination}.part`)).toBe(false);
  });

  it("reports HTTP errors and unreachable hosts clearly", async () => {
    server = await startFileServer({});
    await expect(
      downloadFile({ url: `${server.url}/missing.gguf`, destination: join(dir, "x") }),
    ).rejects.toThrow(/missing\.gguf: HTTP 404/);
    const closed = server.url;
    await server.close();
    server = undefined;
    const error = await downloadFile({ url: `${closed}/m.gguf`, destination: join(dir, "x") }).catch(
      (e: unknown) => e,
    );
    expect((error as DownloadError).code).toBe("network");
    expect((error as Error).message).toMatch(/could not connect \(.*ECONNREFUSED/);
  });

  it("stops on abort and keeps what it has for a resume", async () => {
    server = await startFileServer({ "/m.gguf": { body } });
    const controller = new AbortController();
    const destination = join(dir, "m.gguf");
    const error = await downloadFile({
      url: `${server.url}/m.gguf`,
      destination,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.receivedBytes > 0) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect((error as DownloadError).code).toBe("aborted");
    expect(existsSync(destination)).toBe(false);
  });
});

describe("parseContentRange", () => {
  it("reads the start and the total", () => {
    expect(parseContentRange("bytes 100-199/1000")).toEqual({ start: 100, total: 1000 });
    expect(parseContentRange("bytes 0-9/*")).toEqual({ start: 0, total: undefined });
    expect(parseContentRange("garbage")).toBeUndefined();
    expect(parseContentRange(null)).toBeUndefined();
  });
});
