/**
 * Gets a Wikipedia `pages-articles` dump from the Wikimedia dump site (or a mirror with the same
 * layout): finds the dump of a date, or the newest finished one, takes the expected digest from the
 * dump's own checksum file (sha1sums, else md5sums), and downloads it with resume and verification
 * (src/download/node/download-file.ts). The shard is then built from the file like any other input.
 *
 * Layout relied on: BASE/WIKI/ lists the dump dates as links `YYYYMMDD/`; BASE/WIKI/DATE/ holds
 * WIKI-DATE-pages-articles.xml.bz2 and WIKI-DATE-sha1sums.txt / -md5sums.txt, one `HEX  FILE` a line.
 * A dump still running has no checksum line for the file yet, so it is passed over.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import {
  type Checksum,
  type DigestAlgorithm,
  type DownloadProgress,
  downloadFile,
} from "../../download/node/download-file.ts";

export const DEFAULT_DUMPS_URL = "https://dumps.wikimedia.org";
/** How many of the newest dates to try when no date is given (a dump takes days to finish). */
const DATES_TO_TRY = 4;

export interface WikiDump {
  wiki: string;
  date: string;
  file: string;
  url: string;
  checksum: Checksum;
}

export class WikiDumpError extends Error {
  override name = "WikiDumpError";
}

async function fetchText(url: string): Promise<string | undefined> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: "follow" });
  } catch (error) {
    const cause =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new WikiDumpError(`${url}: could not connect (${cause})`);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new WikiDumpError(`${url}: HTTP ${response.status}`);
  }
  return response.text();
}

/** The dump dates BASE/WIKI/ links to, newest first. */
export async function listDumpDates(wiki: string, baseUrl: string): Promise<string[]> {
  const url = `${baseUrl}/${wiki}/`;
  const html = await fetchText(url);
  if (html === undefined) throw new WikiDumpError(`${url}: no such wiki on the dump site (HTTP 404)`);
  const dates = new Set<string>();
  for (const match of html.matchAll(/href="(\d{8})\/?"/g)) dates.add(match[1]!);
  return [...dates].sort().reverse();
}

/** The digest of `file` in a `HEX  FILE` checksum list, if listed. */
export function checksumOf(list: string, file: string): string | undefined {
  for (const line of list.split(/\r?\n/)) {
    const [hex, name] = line.trim().split(/\s+\*?/);
    if (name === file && hex && /^[0-9a-f]+$/i.test(hex)) return hex.toLowerCase();
  }
  return undefined;
}

/** The pages-articles dump of `date` (or the newest finished one) with its expected digest. */
export async function resolveDump(
  wiki: string,
  date: string | undefined,
  baseUrl: string,
): Promise<WikiDump> {
  const base = baseUrl.replace(/\/+$/, "");
  const dates = date ? [date] : (await listDumpDates(wiki, base)).slice(0, DATES_TO_TRY);
  if (dates.length === 0) throw new WikiDumpError(`${base}/${wiki}/: lists no dump dates`);
  for (const d of dates) {
    const file = `${wiki}-${d}-pages-articles.xml.bz2`;
    const folder = `${base}/${wiki}/${d}`;
    for (const algorithm of ["sha1", "md5"] as DigestAlgorithm[]) {
      const list = await fetchText(`${folder}/${wiki}-${d}-${algorithm}sums.txt`);
      const hex = list === undefined ? undefined : checksumOf(list, file);
      if (hex) return { wiki, date: d, file, url: `${folder}/${file}`, checksum: { algorithm, hex } };
    }
  }
  throw new WikiDumpError(
    date
      ? `the ${wiki} dump of ${date} has no finished ${wiki}-${date}-pages-articles.xml.bz2 (no line for it in its sha1sums/md5sums file); pick another --date from ${base}/${wiki}/`
      : `none of the newest ${wiki} dumps (${dates.join(", ")}) has a finished pages-articles file yet; try again later or pick --date`,
  );
}

export interface GetDumpOptions {
  wiki: string;
  date?: string;
  outDir: string;
  baseUrl?: string;
  onResolved?: (dump: WikiDump) => void;
  onProgress?: (progress: DownloadProgress) => void;
}

/**
 * Downloads the dump into outDir (resuming a `.part` left by an interrupted run) and returns its
 * path. A dump file already there was verified before it got its name, so it is not fetched again.
 */
export async function getWikiDump(
  options: GetDumpOptions,
): Promise<{ dump: WikiDump; path: string; downloaded: boolean; resumedFromBytes: number }> {
  const dump = await resolveDump(options.wiki, options.date, options.baseUrl ?? DEFAULT_DUMPS_URL);
  options.onResolved?.(dump);
  const path = join(options.outDir, dump.file);
  const present = await stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
  if (present) return { dump, path, downloaded: false, resumedFromBytes: 0 };
  const result = await downloadFile({
    url: dump.url,
    destination: path,
    checksum: dump.checksum,
    onProgress: options.onProgress,
  });
  return { dump, path, downloaded: true, resumedFromBytes: result.resumedFromBytes };
}
