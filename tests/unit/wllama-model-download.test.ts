/**
 * The page's model download (src/llm/wllama/model-download.ts) in Node: a real HTTP server with Range and
 * ETag (tests/support/file-server.ts) and an in-memory stand-in for OPFS that commits writes on close, as
 * OPFS does. The page's own run in Chromium is tests/e2e/app-model-download.test.ts.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  ensureModel,
  hubUrl,
  keptModel,
  type ModelDirectory,
  ModelDownloadError,
  type ModelDownloadProgress,
  type ModelFileHandle,
  storedModel,
} from "../../src/llm/wllama/model-download.ts";
import { type FileServer, startFileServer } from "../support/file-server.ts";

const MODEL = new Uint8Array(
  await readFile(join(import.meta.dirname, "../../models/micro/micro-arith.gguf")),
);
const SHA256 = createHash("sha256").update(MODEL).digest("hex");
const PATH = "/org/model/resolve/main/model.gguf";

/** OPFS in memory: files are byte arrays; a writable works on a copy committed by close(). */
class MemoryDirectory implements ModelDirectory {
  readonly files = new Map<string, Uint8Array>();

  async getFileHandle(name: string, options?: { create?: boolean }): Promise<ModelFileHandle> {
    if (!this.files.has(name)) {
      if (!options?.create) throw new DOMException(`${name} not found`, "NotFoundError");
      this.files.set(name, new Uint8Array());
    }
    const files = this.files;
    let current = name;
    return {
      getFile: async () => new Blob([files.get(current) as Uint8Array<ArrayBuffer>]),
      createWritable: async (opts) => {
        let data = opts?.keepExistingData ? (files.get(current) ?? new Uint8Array()) : new Uint8Array();
        let at = 0;
        return {
          seek: async (position) => {
            at = position;
          },
          write: async (chunk) => {
            const next = new Uint8Array(Math.max(data.byteLength, at + chunk.byteLength));
            next.set(data);
            next.set(chunk, at);
            data = next;
            at += chunk.byteLength;
          },
          close: async () => {
            files.set(current, data);
          },
        };
      },
      move: async (to) => {
        files.set(to, files.get(current) as Uint8Array);
        files.delete(current);
        current = to;
      },
    };
  }

  async removeEntry(name: string): Promise<void> {
    if (!this.files.delete(name)) throw new DOMException(`${name} not found`, "NotFoundError");
  }
}

/** Compared by digest: Vitest's toEqual walks a 2 MB array element by element (seconds). */
async function digestOf(blob: Blob): Promise<string> {
  return createHash("sha256")
    .update(new Uint8Array(await blob.arrayBuffer()))
    .digest("hex");
}

let server: FileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(options: Parameters<typeof startFileServer>[1] = {}): Promise<FileServer> {
  server = await startFileServer({ [PATH]: { body: MODEL, etag: '"v1"' } }, options);
  return server;
}

describe("ensureModel (the page's catalog-model download into OPFS)", () => {
  it("downloads with progress in bytes, verifies, stores the model and its record, and then needs no request", async () => {
    const files = await serve();
    const directory = new MemoryDirectory();
    const progress: ModelDownloadProgress[] = [];
    const result = await ensureModel({
      url: files.url + PATH,
      fileName: "model.gguf",
      directory,
      sha256: SHA256,
      onProgress: (p) => progress.push(p),
      estimate: async () => ({ quota: 1e9, usage: 0 }),
    });
    expect(result).toMatchObject({ bytes: MODEL.byteLength, sha256: SHA256, downloaded: true });
    expect(await digestOf(result.file)).toBe(SHA256);
    expect(progress[0]).toEqual({ receivedBytes: 0, totalBytes: MODEL.byteLength, resumedFromBytes: 0 });
    expect(progress.at(-1)?.receivedBytes).toBe(MODEL.byteLength);
    expect([...directory.files.keys()].sort()).toEqual(["model.gguf", "model.gguf.json"]);

    const again = await ensureModel({
      url: files.url + PATH,
      fileName: "model.gguf",
      directory,
      sha256: SHA256,
    });
    expect(again.downloaded).toBe(false);
    expect(files.requests).toHaveLength(1);
    expect((await storedModel(directory, "model.gguf"))?.sha256).toBe(SHA256);
  });

  it("keeps the part of a broken download and resumes it with Range and If-Range", async () => {
    const files = await serve({ cutAfterBytes: 700_000 });
    const directory = new MemoryDirectory();
    const url = files.url + PATH;
    const error = await ensureModel({ url, fileName: "model.gguf", directory, sha256: SHA256 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelDownloadError);
    expect((error as Error).message).toContain(url);
    expect((error as Error).message).toMatch(/kept in this browser; ask again to resume$/);
    expect(directory.files.get("model.gguf.part")?.byteLength).toBe(700_000);
    expect(directory.files.has("model.gguf")).toBe(false);
    expect(await keptModel(directory, "model.gguf")).toEqual({ stored: false, partBytes: 700_000 });

    const progress: ModelDownloadProgress[] = [];
    const result = await ensureModel({
      url,
      fileName: "model.gguf",
      directory,
      sha256: SHA256,
      onProgress: (p) => progress.push(p),
    });
    expect(result).toMatchObject({ resumedFromBytes: 700_000, sha256: SHA256, downloaded: true });
    // The part is read back into the hash first (reported), then the rest arrives.
    expect(progress.filter((p) => p.checkedBytes !== undefined).at(-1)?.checkedBytes).toBe(700_000);
    expect(progress.at(-1)).toEqual({
      receivedBytes: MODEL.byteLength,
      totalBytes: MODEL.byteLength,
      resumedFromBytes: 700_000,
    });
    expect(files.requests[1]?.headers).toMatchObject({ range: "bytes=700000-", "if-range": '"v1"' });
    expect(await digestOf(result.file)).toBe(SHA256);
    expect(directory.files.has("model.gguf.part")).toBe(false);
    expect(await keptModel(directory, "model.gguf")).toEqual({ stored: true, partBytes: 0 });
  });

  it("starts afresh when the file changed upstream (the server ignores the range: If-Range)", async () => {
    const files = await serve({ cutAfterBytes: 500_000 });
    const directory = new MemoryDirectory();
    const url = files.url + PATH;
    await ensureModel({ url, fileName: "model.gguf", directory }).catch(() => {});
    files.files.set(PATH, { body: MODEL, etag: '"v2"' });
    const result = await ensureModel({ url, fileName: "model.gguf", directory, sha256: SHA256 });
    expect(result).toMatchObject({ resumedFromBytes: 0, bytes: MODEL.byteLength, sha256: SHA256 });
  });

  it("refuses a download whose SHA-256 is not the catalog's, and deletes it", async () => {
    const files = await serve();
    const directory = new MemoryDirectory();
    const url = files.url + PATH;
    const wrong = "0".repeat(64);
    await expect(ensureModel({ url, fileName: "model.gguf", directory, sha256: wrong })).rejects.toThrow(
      `${url}: SHA-256 mismatch (expected ${wrong}, got ${SHA256}); the download was deleted`,
    );
    expect([...directory.files.keys()]).toEqual([]);
  });

  it("checks the storage quota before the first byte, naming both sizes", async () => {
    const files = await serve();
    const directory = new MemoryDirectory();
    const url = files.url + PATH;
    await expect(
      ensureModel({
        url,
        fileName: "model.gguf",
        directory,
        estimate: async () => ({ quota: 1_500_000, usage: 500_000 }),
      }),
    ).rejects.toThrow(
      `${url}: the model needs 2.0 MiB more in this browser's storage, but only 977 KiB is free for this site`,
    );
    expect(directory.files.has("model.gguf.part")).toBe(false);
  });

  it("names the URL and the cause when the server says no or cannot be reached", async () => {
    const files = await serve();
    const directory = new MemoryDirectory();
    const missing = `${files.url}/org/model/resolve/main/missing.gguf`;
    await expect(ensureModel({ url: missing, fileName: "m.gguf", directory })).rejects.toThrow(
      `${missing}: HTTP 404 Not Found`,
    );
    const closed = `${files.url}${PATH}`;
    await files.close();
    server = undefined;
    await expect(ensureModel({ url: closed, fileName: "m.gguf", directory })).rejects.toThrow(
      new RegExp(
        `^${closed.replace(/[.?]/g, "\\$&")}: could not download \\(.+\\): the server is unreachable`,
      ),
    );
  });

  it("refuses what is not a GGUF (a static host's HTML page) and keeps nothing", async () => {
    server = await startFileServer({ [PATH]: { body: new TextEncoder().encode("<!doctype html><p>404") } });
    const directory = new MemoryDirectory();
    await expect(ensureModel({ url: server.url + PATH, fileName: "model.gguf", directory })).rejects.toThrow(
      "is not a GGUF model file (the server answered with an HTML page)",
    );
    expect([...directory.files.keys()]).toEqual([]);
  });
});

describe("hubUrl", () => {
  it("replaces the Hugging Face host with a mirror, and nothing else", () => {
    const url = "https://huggingface.co/Qwen/X-GGUF/resolve/main/x.gguf";
    expect(hubUrl(url, "http://127.0.0.1:9/")).toBe("http://127.0.0.1:9/Qwen/X-GGUF/resolve/main/x.gguf");
    expect(hubUrl(url, undefined)).toBe(url);
    expect(hubUrl(url, " ")).toBe(url);
    expect(hubUrl("https://example.org/x.gguf", "http://mirror")).toBe("https://example.org/x.gguf");
  });
});
