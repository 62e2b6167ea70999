/**
 * Catalog GGUFs for the page's CPU engine, downloaded once and kept in this browser's origin private file
 * system (OPFS), the way the CLI's downloader (src/download/node/download-file.ts) does it on disk:
 *
 * - the bytes go to `<file>.part`, moved to `<file>` only once complete and verified, so a half file is
 *   never loaded as a model;
 * - an interrupted download resumes with an HTTP Range request from the size already stored; the
 *   server's ETag (or Last-Modified) is kept beside the part and sent back as If-Range, so a file that
 *   changed upstream restarts instead of being stitched from two versions;
 * - the storage quota (`navigator.storage.estimate()`) is checked before the first byte is written;
 * - the SHA-256 is computed while writing (over the resumed part too) and checked when the catalog pins
 *   one; a mismatch deletes the part;
 * - a stored model is handed over as a File: OPFS files are disk-backed Blobs, which wllama's loadModel
 *   takes as they are, so a model is neither downloaded twice nor copied into memory by this code.
 *
 * Why OPFS and not the Cache API: a Cache entry is written whole from one Response, so it cannot be
 * appended to (no resume) and a half download cannot be kept; OPFS files can be reopened and extended.
 *
 * Why @noble/hashes: SubtleCrypto's digest takes the whole input at once, so verifying a 1 GB model would
 * hold it all in memory; noble's SHA-256 is incremental. Measured with 64 KiB updates: 140 MB/s in Node
 * 20 on a quiet core (native crypto 1.7 GB/s), 30-60 MB/s in Chromium 156 on this project's busy 2-core
 * machine (SubtleCrypto's one-shot digest 180-700 MB/s in the same runs). So a 1 GB model costs some
 * 7-30 s of hashing, spread over its download; a WebAssembly SHA-256 would be the next step if fast
 * connections ever wait on it. A resumed download hashes its part again first (the state of a hash
 * cannot be stored).
 *
 * DOM-free: the directory, fetch and the quota come in as parameters (the page passes OPFS and the
 * browser's own), so unit tests run this in Node with an in-memory directory.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { hubUrl, parseContentRange, readResumeReply } from "../../download/resume.ts";
import { formatBytes } from "../../util/format-bytes.ts";

/** The parts of an OPFS directory handle this module uses (FileSystemDirectoryHandle has them all). */
export { hubUrl, parseContentRange };

export interface ModelDirectory {
  getFileHandle(name: string, options?: { create?: boolean }): Promise<ModelFileHandle>;
  removeEntry(name: string): Promise<void>;
}

export interface ModelFileHandle {
  getFile(): Promise<Blob>;
  createWritable(options?: { keepExistingData?: boolean }): Promise<ModelWritable>;
  /** Renames the file in its directory (OPFS in Chromium 110+, Firefox 111+, Safari 16.4+). */
  move?(newName: string): Promise<void>;
}

export interface ModelWritable {
  seek(position: number): Promise<void>;
  write(data: Uint8Array<ArrayBuffer>): Promise<void>;
  /** Commits what was written (OPFS writes go to a swap file until then). */
  close(): Promise<void>;
}

export interface StorageEstimateLike {
  quota?: number;
  usage?: number;
}

export interface ModelDownloadProgress {
  /** Bytes of the model stored so far, a resumed part included. */
  receivedBytes: number;
  /** Size of the whole file, when the server says (else the catalog's). */
  totalBytes?: number;
  /** Bytes already stored when this attempt began (0 for a fresh download). */
  resumedFromBytes: number;
  /**
   * Set while a resumed part is read back into the SHA-256 before new bytes arrive (seconds for a large
   * part): how much of it is hashed so far.
   */
  checkedBytes?: number;
}

export interface ModelDownloadOptions {
  url: string;
  /** Name of the stored file (the catalog's fileName). */
  fileName: string;
  directory: ModelDirectory;
  /** Hex SHA-256 the catalog pins; absent: the digest is computed and recorded, not checked. */
  sha256?: string;
  /** The catalog's size, for the quota check when the server does not send a length. */
  expectedBytes?: number;
  onProgress?: (progress: ModelDownloadProgress) => void;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** navigator.storage.estimate; absent means no quota check (nothing to ask). */
  estimate?: () => Promise<StorageEstimateLike>;
}

export interface StoredModel {
  file: Blob;
  bytes: number;
  /** Hex SHA-256 of the stored file, from its record. */
  sha256?: string;
  /** False when it was already stored and no request was made. */
  downloaded: boolean;
  resumedFromBytes: number;
}

export type ModelDownloadErrorCode =
  | "storage"
  | "network"
  | "http"
  | "checksum"
  | "quota"
  | "aborted"
  | "truncated"
  | "format";

/** A failure the page shows as it is: it names the URL and the cause. */
export class ModelDownloadError extends Error {
  override name = "ModelDownloadError";
  constructor(
    message: string,
    readonly code: ModelDownloadErrorCode,
  ) {
    super(message);
  }
}

/** What is recorded beside a finished model (`<file>.json`), as the CLI's cache does. */
interface ModelRecord {
  url: string;
  bytes: number;
  sha256: string;
  savedAt: string;
}

/** What is recorded beside a part (`<file>.part.json`): which URL and which version of it. */
interface PartRecord {
  url: string;
  /** ETag or Last-Modified of the response the part came from, sent back as If-Range. */
  validator?: string;
}

/** The OPFS folder the page keeps its downloaded models in. */
export async function opfsModelDirectory(): Promise<ModelDirectory> {
  const storage = globalThis.navigator?.storage;
  if (!storage?.getDirectory) {
    throw new ModelDownloadError(
      "this browser has no origin private file system to keep a downloaded model in; use the bundled model or another engine",
      "storage",
    );
  }
  // Safari before 26 has OPFS but no createWritable outside workers: say so rather than fail mid-way.
  const fileHandle = (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle;
  if (fileHandle && !("createWritable" in fileHandle.prototype)) {
    throw new ModelDownloadError(
      "this browser cannot write a downloaded model into its storage from the page (no FileSystemFileHandle.createWritable); use a current Chromium, Firefox or Safari, the bundled model or another engine",
      "storage",
    );
  }
  return (await storage.getDirectory()).getDirectoryHandle("models", { create: true });
}

/** What this browser holds of a model: the finished file, or the bytes of a part a download left. */
export async function keptModel(
  directory: ModelDirectory,
  fileName: string,
): Promise<{ stored: boolean; partBytes: number }> {
  const stored = (await storedModel(directory, fileName)) !== undefined;
  const partBytes = stored ? 0 : ((await readFile(directory, `${fileName}.part`))?.size ?? 0);
  return { stored, partBytes };
}

/** The model stored under this name, if a finished one is there (a part does not count). */
export async function storedModel(
  directory: ModelDirectory,
  fileName: string,
): Promise<{ file: Blob; sha256?: string } | undefined> {
  const file = await readFile(directory, fileName);
  if (!file || file.size === 0) return undefined;
  const record = await readJson<ModelRecord>(directory, `${fileName}.json`);
  return { file, ...(record?.sha256 ? { sha256: record.sha256 } : {}) };
}

/** Deletes a stored model, its record and any part. */
export async function removeStoredModel(directory: ModelDirectory, fileName: string): Promise<void> {
  for (const name of [fileName, `${fileName}.json`, `${fileName}.part`, `${fileName}.part.json`]) {
    await directory.removeEntry(name).catch(() => {});
  }
}

/**
 * The model from storage when it is there (no request at all), else downloaded into storage first:
 * resumed from a part a previous attempt left, checked against the quota, verified, then moved in place.
 */
export async function ensureModel(options: ModelDownloadOptions): Promise<StoredModel> {
  const { directory, fileName } = options;
  const stored = await storedModel(directory, fileName);
  if (stored && (!options.sha256 || !stored.sha256 || sameHex(stored.sha256, options.sha256))) {
    return { ...stored, bytes: stored.file.size, downloaded: false, resumedFromBytes: 0 };
  }
  // A stored file of another version (the catalog pins a new digest): download the pinned one.
  if (stored) await removeStoredModel(directory, fileName);
  return download(options);
}

async function download(options: ModelDownloadOptions): Promise<StoredModel> {
  const { url, directory, fileName, signal } = options;
  const partName = `${fileName}.part`;
  const partInfoName = `${fileName}.part.json`;
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);

  let start = (await readFile(directory, partName))?.size ?? 0;
  const previous = start > 0 ? await readJson<PartRecord>(directory, partInfoName) : undefined;
  if (start > 0 && previous?.url !== url) start = 0; // a part of another URL: start afresh

  const headers: Record<string, string> = {};
  if (start > 0) {
    headers["range"] = `bytes=${start}-`;
    if (previous?.validator) headers["if-range"] = previous.validator;
  }
  let response: Response;
  try {
    response = await fetchImpl(url, { headers, redirect: "follow", ...(signal ? { signal } : {}) });
  } catch (error) {
    if (signal?.aborted) throw new ModelDownloadError(`${url}: download stopped`, "aborted");
    // The browser tells the page nothing more (on purpose, for CORS): name the likely causes.
    throw new ModelDownloadError(
      `${url}: could not download (${describe(error)}): the server is unreachable, this browser is offline, or the server does not allow this page to download from it (CORS)`,
      "network",
    );
  }

  const reply = readResumeReply(response, start);
  if (reply.kind !== "resume" && reply.kind !== "restart") await response.body?.cancel();
  if (reply.kind === "wrong-offset") {
    await removeStoredModel(directory, fileName);
    throw new ModelDownloadError(
      `${url}: the server resumed at the wrong offset; the part was deleted, ask again to download afresh`,
      "http",
    );
  }
  if (reply.kind === "error") {
    throw new ModelDownloadError(
      `${url}: HTTP ${reply.status}${reply.statusText ? ` ${reply.statusText}` : ""}`,
      "http",
    );
  }
  if (reply.kind === "restart") start = 0;
  const total = reply.total;

  // The quota, before the first byte is written. The browser's quota is per site and shared by all its
  // storage; what is left of it is what this download can use.
  const needed = (total ?? options.expectedBytes ?? 0) - start;
  if (options.estimate && needed > 0) {
    const { quota, usage } = await options.estimate();
    if (quota !== undefined) {
      const free = Math.max(0, quota - (usage ?? 0));
      if (needed > free) {
        await response.body?.cancel();
        throw new ModelDownloadError(
          `${url}: the model needs ${formatBytes(needed)} more in this browser's storage, but only ${formatBytes(free)} is free for this site (quota ${formatBytes(quota)}, ${formatBytes(usage ?? 0)} used); free disk space or other sites' data, then ask again`,
          "quota",
        );
      }
    }
  }

  const hash = sha256.create();
  if (start > 0) {
    const part = await readFile(directory, partName);
    if (part) {
      await hashBlob(part, hash, (checked) =>
        options.onProgress?.({
          receivedBytes: start,
          ...(total !== undefined ? { totalBytes: total } : {}),
          resumedFromBytes: start,
          checkedBytes: checked,
        }),
      );
    }
  } else {
    await directory.removeEntry(partName).catch(() => {});
  }
  const validator = response.headers.get("etag") ?? response.headers.get("last-modified") ?? undefined;
  await writeJson(directory, partInfoName, { url, ...(validator ? { validator } : {}) } satisfies PartRecord);

  let received = start;
  const report = () =>
    options.onProgress?.({
      receivedBytes: received,
      ...(total !== undefined || options.expectedBytes !== undefined
        ? { totalBytes: total ?? options.expectedBytes }
        : {}),
      resumedFromBytes: start,
    });
  report();
  if (reply.kind !== "complete" && response.body) {
    const partHandle = await directory.getFileHandle(partName, { create: true });
    const writable = await partHandle.createWritable({ keepExistingData: start > 0 });
    if (start > 0) await writable.seek(start);
    const reader = response.body.getReader();
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw interrupted(url, received, total, error, signal);
        }
        if (chunk.done) break;
        await writable.write(chunk.value as Uint8Array<ArrayBuffer>);
        hash.update(chunk.value);
        received += chunk.value.byteLength;
        report();
      }
    } finally {
      // Commit whatever arrived, also on failure: that is the part the next attempt resumes from.
      await writable.close();
    }
  }

  if (total !== undefined && received !== total) {
    throw new ModelDownloadError(
      `${url}: the connection ended after ${formatBytes(received)} of ${formatBytes(total)}; what arrived is kept in this browser, ask again to resume`,
      "truncated",
    );
  }
  const hex = bytesToHex(hash.digest());
  if (options.sha256 && !sameHex(hex, options.sha256)) {
    await removeStoredModel(directory, fileName);
    throw new ModelDownloadError(
      `${url}: SHA-256 mismatch (expected ${options.sha256}, got ${hex}); the download was deleted`,
      "checksum",
    );
  }
  const part = await readFile(directory, partName);
  if (!part || !(await isGguf(part))) {
    const html = part ? (await part.slice(0, 64).text()).trimStart().startsWith("<") : false;
    await removeStoredModel(directory, fileName);
    throw new ModelDownloadError(
      `${url} is not a GGUF model file${html ? " (the server answered with an HTML page)" : ""}; the download was deleted`,
      "format",
    );
  }
  await moveInPlace(directory, partName, fileName);
  await writeJson(directory, `${fileName}.json`, {
    url,
    bytes: received,
    sha256: hex,
    savedAt: new Date().toISOString(),
  } satisfies ModelRecord);
  await directory.removeEntry(partInfoName).catch(() => {});
  const file = await readFile(directory, fileName);
  if (!file)
    throw new ModelDownloadError(`${fileName}: stored, then not found in this browser's storage`, "format");
  return { file, bytes: received, sha256: hex, downloaded: true, resumedFromBytes: start };
}

function interrupted(
  url: string,
  received: number,
  total: number | undefined,
  error: unknown,
  signal: AbortSignal | undefined,
): ModelDownloadError {
  const kept = `${formatBytes(received)}${total ? ` of ${formatBytes(total)}` : ""} kept in this browser; ask again to resume`;
  if (signal?.aborted) return new ModelDownloadError(`${url}: download stopped, ${kept}`, "aborted");
  return new ModelDownloadError(`${url}: the connection broke (${describe(error)}), ${kept}`, "network");
}

/** The part becomes the model: a rename where OPFS has one, else a copy (the part is deleted after). */
async function moveInPlace(directory: ModelDirectory, from: string, to: string): Promise<void> {
  const handle = await directory.getFileHandle(from);
  if (typeof handle.move === "function") {
    await handle.move(to);
    return;
  }
  const source = await handle.getFile();
  const writable = await (await directory.getFileHandle(to, { create: true })).createWritable();
  const reader = source.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    await writable.write(value as Uint8Array<ArrayBuffer>);
  }
  await writable.close();
  await directory.removeEntry(from);
}

async function hashBlob(
  blob: Blob,
  hash: ReturnType<typeof sha256.create>,
  onBytes: (hashed: number) => void,
): Promise<void> {
  const reader = blob.stream().getReader();
  let hashed = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    hash.update(value);
    hashed += value.byteLength;
    onBytes(hashed);
  }
}

async function isGguf(blob: Blob): Promise<boolean> {
  return new TextDecoder().decode(await blob.slice(0, 4).arrayBuffer()) === "GGUF";
}

async function readFile(directory: ModelDirectory, name: string): Promise<Blob | undefined> {
  try {
    return await (await directory.getFileHandle(name)).getFile();
  } catch {
    return undefined; // NotFoundError: nothing stored under that name
  }
}

async function readJson<T>(directory: ModelDirectory, name: string): Promise<T | undefined> {
  try {
    return JSON.parse(await ((await readFile(directory, name)) ?? new Blob()).text()) as T;
  } catch {
    return undefined;
  }
}

async function writeJson(directory: ModelDirectory, name: string, value: unknown): Promise<void> {
  const writable = await (await directory.getFileHandle(name, { create: true })).createWritable();
  await writable.write(new TextEncoder().encode(JSON.stringify(value)));
  await writable.close();
}

function sameHex(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
