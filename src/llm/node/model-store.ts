/**
 * Where local GGUF models live on disk, and how a name becomes a file: a catalog id (`micro`, bundled;
 * `qwen2.5-1.5b-instruct`, downloaded once into the cache), a URL (downloaded once), or a path.
 *
 * The cache is `$POCKET_AGENT_CACHE/models`, else `$XDG_CACHE_HOME/pocket-agent/models`, else
 * `~/.cache/pocket-agent/models`. Beside each model a `<file>.json` records where it came from and its
 * SHA-256, so `models list` can say what is there and a catalog entry without a pinned digest is held to
 * the digest of its first download.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type DownloadProgress, downloadFile } from "../../download/node/download-file.ts";
import { hubUrl } from "../../download/resume.ts";
import { cacheRoot } from "../../util/node/cache-root.ts";
import { type CatalogModel, findCatalogModel, MODEL_CATALOG } from "../catalog.ts";

/** The package root: bundled models and packs are found relative to it, in a checkout and when installed. */
const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), "models");
}

/** What the engine needs to run a model, and the defaults that come with it. */
export interface LocalModel {
  path: string;
  /** The model's own prompt pack, when it has one (a catalog entry's pack). */
  packPath?: string;
  contextSize?: number;
  /** How traces and reports name it. */
  name: string;
}

/** The record kept beside a downloaded model. */
export interface ModelRecord {
  url: string;
  sha256: string;
  bytes: number;
  /** The catalog id, for a catalog model. */
  id?: string;
  downloadedAt: string;
}

export interface StoreOptions {
  /** Default: modelCacheDir(env). */
  cacheDir?: string;
  /** Where the cache and HF_ENDPOINT are read from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
}

/** Catalog id → local model, downloading it first when it is not in the cache. */
export async function catalogModel(id: string, options: StoreOptions = {}): Promise<LocalModel> {
  const entry = findCatalogModel(id);
  if (!entry) {
    const known = MODEL_CATALOG.map((m) => m.id).join(", ");
    throw new Error(
      `unknown model "${id}": the catalog has ${known} (pocket-agent models list); for any other GGUF use --model-file or --model-url, or --base-url for a server`,
    );
  }
  return {
    path: await pullCatalogModel(entry, options),
    packPath: entry.packPath ? join(PACKAGE_ROOT, entry.packPath) : undefined,
    contextSize: entry.contextSize,
    name: entry.id,
  };
}

/** A GGUF by URL, downloaded once into the cache (under a name derived from the URL). */
export async function urlModel(url: string, options: StoreOptions = {}): Promise<LocalModel> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--model-url: "${url}" is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Error(`--model-url: only http(s) URLs are downloaded, got ${parsed.protocol}`);
  }
  const cacheDir = options.cacheDir ?? modelCacheDir(options.env);
  const fileName = `${createHash("sha256").update(url).digest("hex").slice(0, 12)}-${basename(parsed.pathname) || "model.gguf"}`;
  const path = join(cacheDir, fileName);
  if (!existsSync(path)) await download(url, path, undefined, options);
  return { path, name: basename(parsed.pathname) || url };
}

/** Makes sure a catalog model is on disk and returns its path (a bundled one is never copied). */
export async function pullCatalogModel(entry: CatalogModel, options: StoreOptions = {}): Promise<string> {
  if (entry.bundledPath) {
    const path = join(PACKAGE_ROOT, entry.bundledPath);
    if (!existsSync(path))
      throw new Error(`the bundled model ${entry.id} is missing from ${path}: reinstall pocket-agent`);
    return path;
  }
  if (!entry.url) throw new Error(`catalog entry ${entry.id} has neither a bundled file nor a URL`);
  const path = join(options.cacheDir ?? modelCacheDir(options.env), entry.fileName);
  if (existsSync(path)) {
    const record = await readRecord(path);
    if (entry.sha256 && record && record.sha256 !== entry.sha256) {
      throw new Error(
        `${path} is not the catalog's ${entry.id} (SHA-256 ${record.sha256}, expected ${entry.sha256}): pocket-agent models rm ${entry.id}, then pull it again`,
      );
    }
    return path;
  }
  await download(hubUrlFromEnv(entry.url, options.env), path, entry, options);
  return path;
}

/** A catalog URL with its Hugging Face host replaced by `$HF_ENDPOINT` (Hugging Face's own tools read it). */
export function hubUrlFromEnv(url: string, env: NodeJS.ProcessEnv = process.env): string {
  return hubUrl(url, env["HF_ENDPOINT"]);
}

export interface InstalledModel {
  /** Catalog id, or the file name for a model downloaded by URL. */
  name: string;
  path: string;
  bytes: number;
  bundled: boolean;
  record?: ModelRecord;
}

/** The models that run without a download: the bundled ones and everything in the cache. */
export async function installedModels(cacheDir = modelCacheDir()): Promise<InstalledModel[]> {
  const found: InstalledModel[] = [];
  for (const entry of MODEL_CATALOG) {
    if (!entry.bundledPath) continue;
    const path = join(PACKAGE_ROOT, entry.bundledPath);
    if (existsSync(path)) found.push({ name: entry.id, path, bytes: (await stat(path)).size, bundled: true });
  }
  const files = existsSync(cacheDir) ? await readdir(cacheDir) : [];
  for (const file of files.filter((f) => f.endsWith(".gguf")).sort()) {
    const path = join(cacheDir, file);
    const record = await readRecord(path);
    found.push({ name: record?.id ?? file, path, bytes: (await stat(path)).size, bundled: false, record });
  }
  return found;
}

/** Deletes a downloaded model (by catalog id or file name) and any partial download of it. */
export async function removeModel(name: string, cacheDir = modelCacheDir()): Promise<string> {
  const entry = findCatalogModel(name);
  if (entry?.bundledPath) throw new Error(`${name} is bundled with pocket-agent and takes no cache space`);
  const installed = (await installedModels(cacheDir)).find((m) => !m.bundled && m.name === name);
  const fileName = installed ? basename(installed.path) : entry?.fileName;
  const path = fileName ? join(cacheDir, fileName) : undefined;
  if (!path || !(existsSync(path) || existsSync(`${path}.part`))) {
    throw new Error(`no downloaded model named "${name}" in ${cacheDir} (pocket-agent models list)`);
  }
  for (const suffix of ["", ".json", ".part", ".part.json"]) await rm(`${path}${suffix}`, { force: true });
  return path;
}

async function download(
  url: string,
  path: string,
  entry: CatalogModel | undefined,
  options: StoreOptions,
): Promise<void> {
  const result = await downloadFile({
    url,
    destination: path,
    checksum: entry?.sha256 ? { algorithm: "sha256", hex: entry.sha256 } : undefined,
    expectedBytes: entry?.sizeBytes,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  const record: ModelRecord = {
    url,
    sha256: result.digest.hex,
    bytes: result.bytes,
    ...(entry ? { id: entry.id } : {}),
    downloadedAt: new Date().toISOString(),
  };
  await writeFile(`${path}.json`, `${JSON.stringify(record, null, 2)}\n`);
}

async function readRecord(path: string): Promise<ModelRecord | undefined> {
  try {
    return JSON.parse(await readFile(`${path}.json`, "utf8")) as ModelRecord;
  } catch {
    return undefined;
  }
}
