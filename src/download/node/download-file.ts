/**
 * Downloads one large file (a GGUF model, a Wikipedia dump) to disk the way users need it to happen:
 *
 * - the bytes go to `<destination>.part`, renamed only once complete and verified, so a half-written
 *   file is never mistaken for a good one;
 * - an interrupted download resumes with an HTTP Range request. The server's ETag/Last-Modified is kept
 *   beside the part and sent as If-Range, so a file that changed upstream restarts instead of being
 *   stitched from two versions;
 * - free space is checked before the first byte;
 * - the digest (SHA-256 by default, or the algorithm of the checksum to verify) is computed while
 *   writing, over the resumed part too, and a mismatch deletes the part.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, statfs, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { formatBytes } from "../../util/format-bytes.ts";
import { parseContentRange, readResumeReply } from "../resume.ts";

export { parseContentRange };

export type DigestAlgorithm = "sha256" | "sha1" | "md5";

export interface Checksum {
  algorithm: DigestAlgorithm;
  /** Expected digest, hex. */
  hex: string;
}

export interface DownloadProgress {
  /** Bytes of the file on disk so far, including a resumed part. */
  receivedBytes: number;
  /** Size of the whole file, when the server says. */
  totalBytes?: number;
  /** Bytes that were already on disk when this attempt started (0 for a fresh download). */
  resumedFromBytes: number;
}

export interface DownloadOptions {
  url: string;
  destination: string;
  /** Verified before the file is put in place; a mismatch deletes the part. */
  checksum?: Checksum;
  /** Size expected when the server does not tell it, for the free-space check. */
  expectedBytes?: number;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Free bytes on the destination's file system; replaceable so tests can stage a full disk. */
  freeBytes?: (directory: string) => Promise<number>;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  /** Digest of the whole file, in the checksum's algorithm or SHA-256. */
  digest: Checksum;
  resumedFromBytes: number;
}

export type DownloadErrorCode = "network" | "http" | "checksum" | "space" | "aborted" | "truncated";

/** A failure the user can act on; the message names the URL and what to do. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly code: DownloadErrorCode,
  ) {
    super(message);
    this.name = "DownloadError";
  }
}

interface PartValidator {
  url: string;
  /** ETag or Last-Modified of the response the part came from, sent back as If-Range. */
  validator?: string;
}

export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  const { url, destination, signal } = options;
  const part = `${destination}.part`;
  const partInfo = `${destination}.part.json`;
  await mkdir(dirname(destination), { recursive: true });

  let start = await sizeOf(part);
  const previous = start > 0 ? await readValidator(partInfo) : undefined;
  if (start > 0 && previous?.url !== url) start = 0; // a part of some other URL: start afresh

  const headers: Record<string, string> = {};
  if (start > 0) {
    headers["range"] = `bytes=${start}-`;
    if (previous?.validator) headers["if-range"] = previous.validator;
  }
  let response: Response;
  try {
    response = await fetch(url, { headers, signal, redirect: "follow" });
  } catch (error) {
    throw requestFailure(url, error, signal);
  }

  const reply = readResumeReply(response, start);
  if (reply.kind !== "resume" && reply.kind !== "restart") await response.body?.cancel();
  if (reply.kind === "wrong-offset") {
    throw new DownloadError(
      `${url}: the server resumed at the wrong offset; delete ${part} and retry`,
      "http",
    );
  }
  if (reply.kind === "error") {
    throw new DownloadError(
      `${url}: HTTP ${reply.status}${reply.statusText ? ` ${reply.statusText}` : ""}`,
      "http",
    );
  }
  if (reply.kind === "restart") start = 0;
  const total = reply.total;

  const needed = (total ?? options.expectedBytes ?? 0) - start;
  const free = await (options.freeBytes ?? freeBytesOf)(dirname(destination));
  if (needed > free) {
    await response.body?.cancel();
    throw new DownloadError(
      `${url}: needs ${formatBytes(needed)} more on disk, ${formatBytes(free)} free at ${dirname(destination)}`,
      "space",
    );
  }

  const algorithm = options.checksum?.algorithm ?? "sha256";
  const hash = createHash(algorithm);
  if (start > 0) await hashFile(part, hash);
  else await rm(part, { force: true });
  const validator = response.headers.get("etag") ?? response.headers.get("last-modified") ?? undefined;
  await writeFile(partInfo, JSON.stringify({ url, validator } satisfies PartValidator));

  let received = start;
  const report = () =>
    options.onProgress?.({ receivedBytes: received, totalBytes: total, resumedFromBytes: start });
  report();
  if (reply.kind !== "complete" && response.body) {
    const file = await open(part, start > 0 ? "a" : "w");
    try {
      const reader = response.body.getReader();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw interrupted(url, part, received, error, signal);
        }
        if (chunk.done) break;
        await file.write(chunk.value);
        hash.update(chunk.value);
        received += chunk.value.byteLength;
        report();
      }
    } finally {
      await file.close();
    }
  }

  if (total !== undefined && received !== total) {
    throw new DownloadError(
      `${url}: the connection ended after ${received} of ${total} bytes; run the same command again to resume`,
      "truncated",
    );
  }
  const hex = hash.digest("hex");
  if (options.checksum && hex.toLowerCase() !== options.checksum.hex.toLowerCase()) {
    await rm(part, { force: true });
    await rm(partInfo, { force: true });
    throw new DownloadError(
      `${url}: ${algorithm} mismatch (expected ${options.checksum.hex}, got ${hex}); the download was deleted`,
      "checksum",
    );
  }
  await rename(part, destination);
  await rm(partInfo, { force: true });
  return { path: destination, bytes: received, digest: { algorithm, hex }, resumedFromBytes: start };
}

function requestFailure(url: string, error: unknown, signal: AbortSignal | undefined): DownloadError {
  if (signal?.aborted) return new DownloadError(`${url}: download stopped`, "aborted");
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
  return new DownloadError(`${url}: could not connect (${cause})`, "network");
}

function interrupted(
  url: string,
  part: string,
  received: number,
  error: unknown,
  signal: AbortSignal | undefined,
): DownloadError {
  const kept = `${formatBytes(received)} kept in ${part}; run the same command again to resume`;
  if (signal?.aborted) return new DownloadError(`${url}: download stopped, ${kept}`, "aborted");
  const cause = error instanceof Error ? error.message : String(error);
  return new DownloadError(`${url}: the connection broke (${cause}), ${kept}`, "network");
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function readValidator(path: string): Promise<PartValidator | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as PartValidator;
  } catch {
    return undefined;
  }
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

async function freeBytesOf(directory: string): Promise<number> {
  const fs = await statfs(directory);
  return fs.bavail * fs.bsize;
}
