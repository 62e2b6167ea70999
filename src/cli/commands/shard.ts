/** `pocket-agent shard build|get|search|info`: make (or fetch and make) a local Wikipedia shard and query it. */
import { readFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { describeIndexProgress } from "../../retrieval/index-progress.ts";
import { type BuildStats, buildShard } from "../../retrieval/node/build-shard.ts";
import { DEFAULT_DUMPS_URL, getWikiDump } from "../../retrieval/node/wiki-dump.ts";
import { openShardFrom } from "../../retrieval/open-shard.ts";
import { formatRetrievedDocuments, type SearchHit } from "../../retrieval/search.ts";
import { cliIo } from "../io.ts";
import { createDownloadProgress, createProgress } from "../progress.ts";
import { positiveInt } from "../setup.ts";

function asResults(hits: SearchHit[]) {
  return hits.map((hit, i) => ({
    rank: i + 1,
    id: hit.id,
    title: hit.title,
    text: hit.text,
    score: hit.score,
  }));
}

export function registerShard(program: Command): void {
  const shard = program.command("shard").description("Build and query a local Wikipedia shard (BM25).");

  shard
    .command("build")
    .description(
      "Build DIR/shard.pas from Wikipedia XML dumps (.xml, .bz2), wiki-18 JSONL, {title,text} JSON(L), HotpotQA, 2WikiMultihopQA or MuSiQue files.",
    )
    .requiredOption("--out <dir>", "shard directory to write")
    .option("--max-passages <n>", "stop after this many distinct passages", positiveInt)
    .option("--titles <file>", "keep only passages whose title is a line of this file")
    .argument("<input...>", "input files (format told by content)")
    .action(async (inputs: string[], opts: { out: string; maxPassages?: number; titles?: string }) => {
      await buildAndReport(inputs, opts.out, { maxPassages: opts.maxPassages, titlesFile: opts.titles });
    });

  shard
    .command("get")
    .description(
      "Download a Wikipedia pages-articles dump (resumable, checked against the dump's own sha1sums/md5sums file) and build DIR/shard.pas from it.",
    )
    .argument("<wiki>", "the wiki's dump name, e.g. simplewiki (Simple English Wikipedia)")
    .requiredOption("--out <dir>", "shard directory to write (the dump is kept there too)")
    .option("--date <YYYYMMDD>", "the dump of this date (default: the newest finished one)", dumpDate)
    .option(
      "--dumps-url <url>",
      `dump site or mirror (default: $POCKET_AGENT_DUMPS_URL or ${DEFAULT_DUMPS_URL})`,
    )
    .option("--max-passages <n>", "stop after this many distinct passages", positiveInt)
    .action(
      async (wiki: string, opts: { out: string; date?: string; dumpsUrl?: string; maxPassages?: number }) => {
        if (!/^[a-z][a-z0-9_-]*wiki$/.test(wiki)) {
          throw new Error(`${wiki}: not a wiki dump name (like simplewiki or enwiki)`);
        }
        const baseUrl = opts.dumpsUrl ?? cliIo().env["POCKET_AGENT_DUMPS_URL"] ?? DEFAULT_DUMPS_URL;
        let progress: ReturnType<typeof createDownloadProgress> | undefined;
        const got = await getWikiDump({
          wiki,
          date: opts.date,
          outDir: opts.out,
          baseUrl,
          onResolved: (dump) => {
            cliIo().stderr.write(
              `shard get: ${dump.url} (${dump.checksum.algorithm} ${dump.checksum.hex})\n`,
            );
            progress = createDownloadProgress(`download ${dump.file}`);
          },
          onProgress: (p) => progress?.onProgress(p),
        });
        if (got.downloaded) {
          progress?.done(
            `${got.dump.checksum.algorithm} verified${got.resumedFromBytes ? `, resumed at ${got.resumedFromBytes} bytes` : ""}`,
          );
        } else {
          cliIo().stderr.write(`shard get: ${got.path} is already here (verified when downloaded)\n`);
        }
        await buildAndReport([got.path], opts.out, { maxPassages: opts.maxPassages });
      },
    );

  shard
    .command("search")
    .description(
      "Search a shard; prints the web_search observation, or JSON with --json, or JSONL with --queries.",
    )
    .requiredOption("--shard <dir>", "shard directory (or its shard.pas file)")
    .option("--k <k>", "passages per query", positiveInt, 3)
    .option("--json", "print JSON instead of the observation text")
    .option("--queries <file>", "batch: one query a line -> one JSON line per query")
    .argument("[query]", "the query")
    .action(
      async (
        query: string | undefined,
        opts: { shard: string; k: number; json?: boolean; queries?: string },
      ) => {
        const index = await openShardFrom({ path: opts.shard });
        if (opts.queries) {
          const lines = (await readFile(opts.queries, "utf8")).split(/\r?\n/).filter((l) => l.trim());
          for (const q of lines) {
            cliIo().stdout.write(
              `${JSON.stringify({ query: q, results: asResults(index.search(q, opts.k)) })}\n`,
            );
          }
          return;
        }
        if (!query) throw new Error("give a QUERY or --queries FILE");
        const hits = index.search(query, opts.k);
        if (opts.json)
          cliIo().stdout.write(`${JSON.stringify({ query, results: asResults(hits) }, null, 2)}\n`);
        else cliIo().stdout.write(`${formatRetrievedDocuments(hits)}\n`);
      },
    );

  shard
    .command("info")
    .description(
      "Print a shard's header: format version, counts, BM25 and tokenizer settings, section sizes.",
    )
    .requiredOption("--shard <dir>", "shard directory (or its shard.pas file)")
    .action(async (opts: { shard: string }) => {
      const { info } = await openShardFrom({ path: opts.shard });
      // The stop list on one line keeps the summary readable.
      const shown = {
        ...info,
        tokenizer: { ...info.tokenizer, stopWords: info.tokenizer.stopWords.join(" ") },
      };
      cliIo().stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    });
}

/** Builds DIR/shard.pas with a progress line, then prints what each input gave and what was kept. */
async function buildAndReport(
  inputs: string[],
  outDir: string,
  options: { maxPassages?: number; titlesFile?: string },
): Promise<BuildStats> {
  const progress = createProgress("shard build", { total: options.maxPassages });
  const stats = await buildShard({
    inputs,
    outDir,
    ...options,
    onProgress: (s, file) =>
      progress.update(s.added, `${s.terms} terms, ${s.duplicates} duplicates, ${file}`),
    onIndexProgress: (p, s) => progress.update(s.added, `writing the index, ${describeIndexProgress(p)}`),
  });
  progress.done(`${stats.added} passages, ${stats.terms} terms, ${stats.bytes} bytes`);
  for (const f of stats.files) {
    const layouts = [...f.layouts].join(", ") || "none";
    const pages = f.format === "wiki-xml" ? `, ${f.pages} pages (${f.skippedPages} skipped)` : "";
    cliIo().stderr.write(
      `  ${f.file}: ${f.format ?? "?"}${f.compressed ? " (bzip2)" : ""}, ${layouts}${pages}\n`,
    );
  }
  const dropped = [
    stats.duplicates && `${stats.duplicates} duplicates`,
    stats.empty && `${stats.empty} empty`,
    stats.filtered && `${stats.filtered} not in --titles`,
  ].filter(Boolean);
  cliIo().stdout.write(
    `${stats.file}: ${stats.added} passages from ${stats.read} read${dropped.length ? ` (dropped ${dropped.join(", ")})` : ""}, ${stats.terms} terms, ${stats.bytes} bytes\n`,
  );
  return stats;
}

/** --date: a dump date, YYYYMMDD. */
function dumpDate(value: string): string {
  if (!/^\d{8}$/.test(value))
    throw new InvalidArgumentError("expected a dump date as YYYYMMDD, e.g. 20240601");
  return value;
}
