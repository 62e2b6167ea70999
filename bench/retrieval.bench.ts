/**
 * Retrieval benchmark: this project's shard (BM25F, binary, compressed) against MiniSearch, FlexSearch
 * and Orama on the same passages (every file of ../shared/data/wiki, deduplicated), queried with the
 * HotpotQA questions there that have supporting facts; relevance = the supporting titles.
 * The questions are split once, by a seeded hash of their text, into a dev half (the shard's scoring
 * defaults were tuned on it) and a test half (never used for tuning); recall is reported for both.
 * The shard's scoring steps are also measured one at a time (ablations, recall and latency only).
 * Then a scale run on a synthetic corpus drawn from the real vocabulary, in a child process so its
 * peak memory is its own (`RETRIEVAL_SCALE_PASSAGES`, default 1,000,000; 0 skips it and carries the
 * previous report's scale figures over, marked as such): the streaming builder's time and peak RSS,
 * then query times pruned and exhaustive (and whether their top 10 ever differ), with and without RM3.
 * A passage storage study (deflate block size, level, shared dictionary) on the real passages feeds
 * the projected size of a Simple English Wikipedia shard.
 * `RETRIEVAL_PEERS` picks peers (default `minisearch,flexsearch,orama`; skipped peers' previous
 * figures are carried over, marked). `RETRIEVAL_ONLY=ablations` measures only the shard's recall
 * on dev and test (for tuning).
 *
 * Run: `npm run bench -- retrieval`. Child mode: `node bin/run-ts.js bench/retrieval.bench.ts --scale N VOCAB_FILE`.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from "node:zlib";
import {
  create,
  insertMultiple,
  load as oramaLoad,
  save as oramaSave,
  search as oramaSearch,
} from "@orama/orama";
import { deflateSync, inflateSync } from "fflate";
import { Document } from "flexsearch";
import MiniSearch from "minisearch";
import { buildShard, writeShardFile } from "../src/retrieval/node/build-shard.ts";
import { buildPassageDictionary } from "../src/retrieval/passage-dictionary.ts";
import type { Passage } from "../src/retrieval/search.ts";
import { decodeHeader, encodeHeader, SHARD_FILE_NAME } from "../src/retrieval/shard-format.ts";
import { openShard } from "../src/retrieval/shard-reader.ts";
import { buildShardBytes, DEFAULT_SCORING, type ShardWriterOptions } from "../src/retrieval/shard-writer.ts";
import { SHARED } from "../tests/support/shared.ts";

const here = dirname(fileURLToPath(import.meta.url));
const WIKI = join(SHARED, "data/wiki");
const K = 10;
/**
 * Simple English Wikipedia, for the size projection: ~250k articles of ~200 words of prose on average
 * once wikitext is stripped (many are stubs), cut into 100-word passages: ceil(words / 100) passages an
 * article, ~2.5 on average, ~80 words each (the real passages here average 81 words).
 */
const SIMPLE_WIKI = { articles: 250_000, meanWordsPerArticle: 200, passagesPerArticle: 2.5 };

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

interface Question {
  question: string;
  gold: string[];
  split: "dev" | "test";
}

/** The fixed dev/test split: FNV-1a of a seed and the question text, even = dev. */
const SPLIT_SEED = "pocket-agent-14";
function splitOf(question: string): "dev" | "test" {
  let h = 0x811c9dc5;
  const s = `${SPLIT_SEED}:${question}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % 2 === 0 ? "dev" : "test";
}

/** An engine under test: built from passages, serialised, loaded back, queried. */
interface Engine {
  name: string;
  config: string;
  build(passages: Passage[]): Promise<void>;
  /** Serialised form as it would sit on disk / be fetched. */
  serialize(): Promise<Uint8Array | string>;
  /** Drops the built instance (so load measures a fresh one). */
  drop(): void;
  load(data: Uint8Array | string): Promise<void>;
  /** Titles of the top k, best first (text is fetched too, as web_search needs it). */
  query(q: string, k: number): Array<{ title: string; text: string }>;
}

function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function settle(): number {
  gc();
  gc();
  return memory();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** The report this run replaces, for figures a partial run carries over (marked as such). */
async function previousReport(): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(join(here, "reports", "retrieval.json"), "utf8")) as Record<
      string,
      unknown
    >;
  } catch {
    return undefined;
  }
}

async function dataFiles(): Promise<string[]> {
  return (await readdir(WIKI))
    .filter((f) => f.endsWith(".json") || f.endsWith(".jsonl"))
    .sort()
    .map((f) => join(WIKI, f));
}

async function hotpotQuestions(): Promise<Question[]> {
  const out: Array<Omit<Question, "split">> = [];
  for (const file of ["hotpotqa_rpt_dev.jsonl", "hotpotqa_rpt_train.jsonl"]) {
    for (const line of (await readFile(join(WIKI, file), "utf8")).split("\n")) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as { question: string; supporting_facts: { title: string[] } };
      if (r.supporting_facts.title.length)
        out.push({ question: r.question, gold: [...new Set(r.supporting_facts.title)] });
    }
  }
  const train = JSON.parse(
    await readFile(join(WIKI, "hipporag_hotpotqa_train_sample.json"), "utf8"),
  ) as Array<{
    question: string;
    supporting_facts: Array<[string, number]>;
  }>;
  for (const r of train) {
    if (r.supporting_facts.length)
      out.push({ question: r.question, gold: [...new Set(r.supporting_facts.map((f) => f[0]))] });
  }
  return out.map((q) => ({ ...q, split: splitOf(q.question) }));
}

function oursEngine(name = "pocket-agent shard", scoring: ShardWriterOptions = {}): Engine {
  let bytes: Uint8Array | undefined;
  let shard: ReturnType<typeof openShard> | undefined;
  const s = { ...DEFAULT_SCORING, ...scoring };
  return {
    name,
    config:
      `BM25F k1=${s.k1} b=${s.b} title weight ${s.titleWeight} title b ${s.titleB}, whole-title match x${1 + s.titleMatchBoost}, ` +
      (s.feedbackDocs
        ? `RM3 ${s.feedbackDocs} passages ${s.feedbackTerms} terms original weight ${s.feedbackOriginalWeight}; `
        : "no feedback; ") +
      "NFKC+lowercase+accent folding, Lucene English stop words, Porter stemmer",
    async build(passages) {
      bytes = buildShardBytes(passages, scoring);
    },
    async serialize() {
      return bytes!;
    },
    drop() {
      bytes = undefined;
      shard = undefined;
    },
    async load(data) {
      shard = openShard(data as Uint8Array);
    },
    query(q, k) {
      return shard!.search(q, k);
    },
  };
}

function miniSearchEngine(): Engine {
  // The README's setup: fields to index, fields to store for display; default search options (BM25+, OR).
  const options = { fields: ["title", "text"], storeFields: ["title", "text"] };
  let index: MiniSearch | undefined;
  return {
    name: "MiniSearch",
    config:
      "fields [title,text], storeFields [title,text], default search options; JSON.stringify / loadJSON",
    async build(passages) {
      index = new MiniSearch(options);
      index.addAll(passages.map((p, id) => ({ id, ...p })));
    },
    async serialize() {
      return JSON.stringify(index);
    },
    drop() {
      index = undefined;
    },
    async load(data) {
      index = MiniSearch.loadJSON(data as string, options);
    },
    query(q, k) {
      return index!
        .search(q)
        .slice(0, k)
        .map((r) => ({ title: r.title as string, text: r.text as string }));
    },
  };
}

function flexSearchEngine(): Engine {
  // Document index with stored fields and the default encoder; `suggest: true` as the docs advise for
  // queries whose terms need not all match (natural-language questions), otherwise nearly all return nothing.
  const config = { document: { id: "id", index: ["title", "text"], store: ["title", "text"] } };
  type Doc = { id: number; title: string; text: string };
  let index: Document<Doc> | undefined;
  return {
    name: "FlexSearch",
    config:
      "Document {index: [title,text], store: [title,text]}, default encoder; search {suggest, enrich, merge}; export/import",
    async build(passages) {
      index = new Document<Doc>(config as never);
      passages.forEach((p, id) => {
        index!.add({ id, ...p });
      });
    },
    async serialize() {
      const parts: Record<string, string> = {};
      await index!.export((key: string, data: string) => {
        parts[key] = data;
      });
      return JSON.stringify(parts);
    },
    drop() {
      index = undefined;
    },
    async load(data) {
      index = new Document<Doc>(config as never);
      for (const [key, value] of Object.entries(JSON.parse(data as string) as Record<string, string>)) {
        await index.import(key, value);
      }
    },
    query(q, k) {
      const results = index!.search(q, {
        limit: k,
        suggest: true,
        enrich: true,
        merge: true,
      } as never) as unknown as Array<{
        doc: Doc;
      }>;
      return results.slice(0, k).map((r) => ({ title: r.doc.title, text: r.doc.text }));
    },
  };
}

function oramaEngine(): Engine {
  // Orama's documented English setup: string schema, tokenizer with the built-in English stemmer; BM25 search.
  const schema = { title: "string", text: "string" } as const;
  const make = () => create({ schema, components: { tokenizer: { stemming: true, language: "english" } } });
  let db: ReturnType<typeof make> | undefined;
  return {
    name: "Orama",
    config: "schema {title,text: string}, tokenizer {stemming: true, language: english}; save/load as JSON",
    async build(passages) {
      db = make();
      await insertMultiple(db, passages.map((p) => ({ ...p })) as never);
    },
    async serialize() {
      return JSON.stringify(oramaSave(db!));
    },
    drop() {
      db = undefined;
    },
    async load(data) {
      db = make();
      oramaLoad(db, JSON.parse(data as string));
    },
    query(q, k) {
      const result = oramaSearch(db!, { term: q, limit: k }) as unknown as {
        hits: Array<{ document: { title: string; text: string } }>;
      };
      return result.hits.map((h) => ({ title: h.document.title, text: h.document.text }));
    },
  };
}

async function measure(engine: Engine, passages: Passage[], questions: Question[], work: string) {
  settle();
  let t = performance.now();
  const cpuBefore = process.cpuUsage();
  await engine.build(passages);
  const buildMs = performance.now() - t;
  const cpu = process.cpuUsage(cpuBefore);
  const serialized = await engine.serialize();
  const file = join(work, engine.name.replace(/\W+/g, "_"));
  await writeFile(file, serialized);
  const bytesOnDisk = (await stat(file)).size;
  engine.drop();

  const before = settle();
  let raw: Buffer | undefined = await readFile(file);
  // The file buffer itself backs the shard's bytes; the JSON peers get a string and the buffer goes.
  let data: Uint8Array | string =
    typeof serialized === "string"
      ? raw.toString("utf8")
      : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  t = performance.now();
  await engine.load(data);
  engine.query(questions[0]!.question, K);
  const loadToFirstQueryMs = performance.now() - t;
  data = "";
  raw = undefined;
  const heapAfterLoad = settle() - before;

  const { times, recall } = quality(engine, questions);
  engine.drop();
  return {
    engine: engine.name,
    config: engine.config,
    recall,
    buildMs: round(buildMs, 1),
    buildCpuMs: round((cpu.user + cpu.system) / 1000, 1),
    bytesOnDisk,
    loadToFirstQueryMs: round(loadToFirstQueryMs, 2),
    heapAfterLoadBytes: heapAfterLoad,
    queryMs: {
      p50: round(percentile(times, 0.5)),
      p95: round(percentile(times, 0.95)),
      mean: round(times.reduce((a, b) => a + b, 0) / times.length),
    },
  };
}

/** Recall on the dev split, the test split and all questions, and the query times (after a warm-up). */
function quality(engine: Engine, questions: Question[]) {
  for (const q of questions.slice(0, 50)) engine.query(q.question, K); // warm-up
  const times: number[] = [];
  const tally = () => ({ hitsAt: [0, 0, 0, 0], pairs: 0, both: 0, questions: 0 });
  const bySplit = { dev: tally(), test: tally(), all: tally() };
  for (const q of questions) {
    const s = performance.now();
    const top = engine.query(q.question, K);
    times.push(performance.now() - s);
    const titles = top.map((h) => h.title);
    for (const t of [bySplit[q.split], bySplit.all]) {
      t.pairs += q.gold.length;
      t.questions++;
      [1, 3, 5, 10].forEach((k, i) => {
        const seen = new Set(titles.slice(0, k));
        t.hitsAt[i]! += q.gold.filter((g) => seen.has(g)).length;
      });
      if (q.gold.every((g) => titles.includes(g))) t.both++;
    }
  }
  times.sort((a, b) => a - b);
  const figures = (t: ReturnType<typeof tally>) => ({
    "R@1": round(t.hitsAt[0]! / t.pairs),
    "R@3": round(t.hitsAt[1]! / t.pairs),
    "R@5": round(t.hitsAt[2]! / t.pairs),
    "R@10": round(t.hitsAt[3]! / t.pairs),
    "Both@10": round(t.both / t.questions),
  });
  return {
    times,
    recall: { dev: figures(bySplit.dev), test: figures(bySplit.test), all: figures(bySplit.all) },
  };
}

/** The shard's scoring steps one at a time (same passages, recall and latency only). */
const ABLATIONS: Array<[string, ShardWriterOptions]> = [
  [
    "BM25 k1 0.9 b 0.4, title as text (format 1's scoring)",
    { titleWeight: 1, titleB: 0.4, b: 0.4, titleMatchBoost: 0, feedbackDocs: 0 },
  ],
  [
    "BM25 k1 1.2 b 0.75, title as text",
    { k1: 1.2, b: 0.75, titleWeight: 1, titleB: 0.75, titleMatchBoost: 0, feedbackDocs: 0 },
  ],
  ["+ title field (BM25F)", { titleMatchBoost: 0, feedbackDocs: 0 }],
  ["+ whole-title match", { feedbackDocs: 0 }],
  ["+ RM3 feedback, any term", { feedbackMaxDocFraction: 1 }],
  ["+ RM3 feedback, rare terms only (the default)", {}],
];

async function ablations(passages: Passage[], questions: Question[]) {
  const out = [];
  for (const [name, scoring] of ABLATIONS) {
    const engine = oursEngine(name, scoring);
    await engine.build(passages);
    await engine.load(await engine.serialize());
    const { times, recall } = quality(engine, questions);
    engine.drop();
    const row = {
      variant: name,
      scoring: { ...DEFAULT_SCORING, ...scoring },
      recall,
      queryMs: { p50: round(percentile(times, 0.5)), p95: round(percentile(times, 0.95)) },
    };
    console.error(
      `  ${name}: dev ${JSON.stringify(recall.dev)} test ${JSON.stringify(recall.test)} p50 ${row.queryMs.p50}`,
    );
    out.push(row);
  }
  return out;
}

/**
 * Passage storage study on the real passages: bytes per passage of the passages section for deflate
 * block sizes, levels and a shared dictionary (the format's: passage-dictionary.ts, frequent words,
 * the heaviest last, built from even-numbered groups of 64 passages and measured on the odd ones, so
 * the dictionary never saw the text it compresses; the builder makes it from the first 4096 passages
 * and compresses them too). Same block layout as the writer. Brotli (node:zlib, quality 10 and 11, text
 * mode) is measured on the same blocks for comparison; the format does not use it: browsers'
 * DecompressionStream has no brotli (Chromium 156 refuses it), so the page would need a codec of its
 * own, and the page builds shards too, so an encoder as well.
 */
function compressionStudy(passages: Passage[]) {
  const encoder = new TextEncoder();
  const train = passages.filter((_, i) => Math.floor(i / 64) % 2 === 0);
  const test = passages.filter((_, i) => Math.floor(i / 64) % 2 === 1);
  const blocks = (per: number) => {
    const out: Uint8Array[] = [];
    for (let i = 0; i < test.length; i += per) {
      const parts: number[] = [];
      for (const p of test.slice(i, i + per)) {
        for (const field of [p.title, p.text]) {
          const bytes = encoder.encode(field);
          for (let v = bytes.length; ; v = Math.floor(v / 128)) {
            parts.push(v >= 128 ? (v & 0x7f) | 0x80 : v);
            if (v < 128) break;
          }
          parts.push(...bytes);
        }
      }
      out.push(Uint8Array.from(parts));
    }
    return out;
  };
  // The format's own dictionary (section 15), made from the training half here.
  const dictionaryOf = (size: number) => buildPassageDictionary(train, size);
  const rows = [];
  for (const dictionaryBytes of [0, 16384, 32768]) {
    const dictionary = dictionaryBytes ? dictionaryOf(dictionaryBytes) : undefined;
    for (const per of [16, 32, 64]) {
      for (const level of [6, 9] as const) {
        const compressed = blocks(per).map((b) =>
          deflateSync(b, { level, ...(dictionary ? { dictionary } : {}) }),
        );
        const t = performance.now();
        for (const c of compressed) inflateSync(c, dictionary ? { dictionary } : undefined);
        rows.push({
          codec: "deflate",
          passagesPerBlock: per,
          level,
          dictionaryBytes,
          bytesPerPassage: round(compressed.reduce((n, c) => n + c.length, 0) / test.length, 1),
          inflateMsPerBlock: round((performance.now() - t) / compressed.length),
        });
      }
    }
  }
  const brotli = [];
  for (const per of [16, 64]) {
    const input = blocks(per);
    for (const quality of [10, 11]) {
      const params = {
        [zlibConstants.BROTLI_PARAM_QUALITY]: quality,
        [zlibConstants.BROTLI_PARAM_MODE]: zlibConstants.BROTLI_MODE_TEXT,
      };
      let t = performance.now();
      const compressed = input.map((b) => brotliCompressSync(b, { params }));
      const compressMs = performance.now() - t;
      t = performance.now();
      for (const c of compressed) brotliDecompressSync(c);
      brotli.push({
        codec: "brotli",
        passagesPerBlock: per,
        quality,
        bytesPerPassage: round(compressed.reduce((n, c) => n + c.length, 0) / test.length, 1),
        compressMsPerBlock: round(compressMs / compressed.length),
        decompressMsPerBlock: round((performance.now() - t) / compressed.length),
      });
    }
  }
  return { heldOutPassages: test.length, variants: rows, brotli };
}

/** Section names whose size grows with the number of terms (the rest of the index grows with passages). */
const PER_TERM_SECTIONS = ["terms", "term offsets", "posting offsets", "term maxima", "skip offsets"];
/** Sections of a fixed size whatever the corpus. */
const FIXED_SECTIONS = ["stop words", "passage dictionary"];

/** A shard's bytes by what they grow with: passage text, index per passage, index per term, fixed. */
function sizeParts(info: ReturnType<typeof openShard>["info"]) {
  const sum = (names: string[]) => names.reduce((n, name) => n + (info.sections[name] ?? 0), 0);
  const text = info.sections.passages ?? 0;
  const perTerm = sum(PER_TERM_SECTIONS);
  const sectionsTotal = Object.values(info.sections).reduce((a, b) => a + b, 0);
  // The header, the preamble and alignment padding count as fixed.
  const fixed = sum(FIXED_SECTIONS) + (info.bytes - sectionsTotal);
  return { text, indexPerPassage: info.bytes - text - perTerm - fixed, indexPerTerm: perTerm, fixed };
}

/**
 * Vocabulary growth of the real passages (Heaps' law, terms = K · tokens^β, least squares in log-log
 * over prefixes of 1/32 .. all of the passages), in indexed tokens (title and text).
 */
function heaps(shard: ReturnType<typeof openShard>, passages: Passage[]) {
  const seen = new Set<string>();
  const points: Array<{ passages: number; tokens: number; terms: number }> = [];
  let tokens = 0;
  let words = 0;
  let next = Math.ceil(passages.length / 32);
  passages.forEach((p, i) => {
    for (const t of shard.tokenize(`${p.title} ${p.text}`)) {
      tokens++;
      seen.add(t);
    }
    words += p.text.split(/\s+/).filter(Boolean).length;
    if (i + 1 === next || i + 1 === passages.length) {
      points.push({ passages: i + 1, tokens, terms: seen.size });
      next *= 2;
    }
  });
  const xs = points.map((p) => Math.log(p.tokens));
  const ys = points.map((p) => Math.log(p.terms));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
  });
  const beta = sxy / sxx;
  return { k: Math.exp(my - beta * mx), beta, points, tokensPerWord: tokens / words, words };
}

/**
 * The projected size of a Simple English Wikipedia shard, from bytes measured on the real passages:
 * text by bytes a word (format 4's blocks), the index's per-passage part (postings, skips, lengths,
 * block tables) by bytes a passage, its per-term part (terms, offsets, maxima) by bytes a term times
 * the vocabulary that Heaps' law, fitted on the real passages, gives for the projected tokens. The
 * synthetic scale run's index bytes a passage (words drawn independently: more distinct terms a
 * passage than real text, and only the small corpus's vocabulary) give a second figure, the way
 * earlier reports projected.
 */
function projectSimpleWiki(
  real: ReturnType<typeof openShard>,
  passages: Passage[],
  scale: unknown,
  scaleRan: boolean,
  compression: ReturnType<typeof compressionStudy>,
) {
  const parts = sizeParts(real.info);
  const vocabulary = heaps(real, passages);
  const n = passages.length;
  const words = SIMPLE_WIKI.articles * SIMPLE_WIKI.meanWordsPerArticle;
  const simplePassages = SIMPLE_WIKI.articles * SIMPLE_WIKI.passagesPerArticle;
  const terms = vocabulary.k * (words * vocabulary.tokensPerWord) ** vocabulary.beta;
  const textBytesPerWord = parts.text / vocabulary.words;
  const bytesPerTerm = parts.indexPerTerm / real.info.terms;
  const projected = {
    text: Math.round(words * textBytesPerWord),
    indexPerPassage: Math.round((simplePassages * parts.indexPerPassage) / n),
    indexPerTerm: Math.round(terms * bytesPerTerm),
    fixed: parts.fixed,
  };
  const total = projected.text + projected.indexPerPassage + projected.indexPerTerm + projected.fixed;
  const s = (scaleRan ? scale : undefined) as
    | { indexBytes: number; passages: number; terms: number; sections?: Record<string, number> }
    | undefined;
  const scaleIndexPerPassage = s ? s.indexBytes / s.passages : undefined;
  const variant = (per: number, dictionaryBytes: number) =>
    compression.variants.find(
      (v) => v.passagesPerBlock === per && v.level === 6 && v.dictionaryBytes === dictionaryBytes,
    )!.bytesPerPassage;
  const brotli16 = compression.brotli.find((v) => v.passagesPerBlock === 16 && v.quality === 11)!;
  return {
    target: "<= 150 MB",
    projectedBytes: total,
    met: total <= 150e6,
    assumptions: {
      ...SIMPLE_WIKI,
      wordsPerPassage: SIMPLE_WIKI.meanWordsPerArticle / SIMPLE_WIKI.passagesPerArticle,
      basis:
        "not measured here (no dump on this machine): Simple English Wikipedia's article count and mean prose length after wikitext stripping, as estimated when the target was set; passages per article follow from the builder's chunking",
      builderChunking:
        "a dump article's plain text cut into disjoint 100-word passages (src/retrieval/inputs/wikitext.ts): ceil(words / 100) passages; 2.5 for a 200-word mean assumes stubs (one short passage each) among longer articles",
      scaling:
        "text and postings in proportion (projected bytes = MB measured a word or a passage times the words or passages assumed), the vocabulary by Heaps' law; each 10% more words gives about 10% more bytes",
    },
    passages: simplePassages,
    words,
    measuredOnRealText: {
      passages: n,
      textWords: vocabulary.words,
      wordsPerPassage: round(vocabulary.words / n, 1),
      terms: real.info.terms,
      textBytesPerPassage: round(parts.text / n, 1),
      textBytesPerWord: round(textBytesPerWord, 3),
      indexBytesPerPassage: round((parts.indexPerPassage + parts.indexPerTerm) / n, 1),
      indexPerPassagePartBytesPerPassage: round(parts.indexPerPassage / n, 1),
      indexPerTermPartBytesPerTerm: round(bytesPerTerm, 1),
      fixedBytes: parts.fixed,
    },
    vocabulary: {
      law: "terms = K * indexed tokens^beta, fitted on prefixes of the real passages",
      k: round(vocabulary.k, 2),
      beta: round(vocabulary.beta, 3),
      tokensPerWord: round(vocabulary.tokensPerWord, 3),
      fit: vocabulary.points,
      projectedTerms: Math.round(terms),
    },
    projected,
    projectedMB: round(total / 1e6, 1),
    withSyntheticIndex: s
      ? {
          note: "text as above; index bytes a passage from the 1M synthetic scale run (its vocabulary is the real passages' 60k words, so its per-term part is small; independent words make more postings a passage than real text)",
          indexBytesPerPassage: round(scaleIndexPerPassage!, 1),
          projectedMB: round((projected.text + simplePassages * scaleIndexPerPassage!) / 1e6, 1),
        }
      : { skipped: "scale run not run" },
    textVariantsHeldOut: {
      note: "bytes a passage of held-out real passages (compression study): format 3 was 16 a block without dictionary, format 4 is 16 a block with the 32 KiB dictionary",
      format3: variant(16, 0),
      format4: variant(16, 32768),
      sixtyFourWithDictionary: variant(64, 32768),
      brotliSixteenQuality11: brotli16.bytesPerPassage,
    },
    withBrotliText: {
      note: "not the format: the projected text scaled by brotli quality 11 over format 4 on the same held-out 16-passage blocks, the index as above",
      projectedMB: round(
        (total - projected.text + (projected.text * brotli16.bytesPerPassage) / variant(16, 32768)) / 1e6,
        1,
      ),
    },
  };
}

/** Issue 14's scale targets, from the scale run (or the previous report's, when it was skipped). */
function scaleTargets(scale: unknown) {
  const s = ((scale as { previous?: unknown }).previous ?? scale) as {
    queryMs?: { p95: number };
    buildPeakRssBytes?: number;
    buildCpuMs?: number;
    passages?: number;
  };
  if (!s?.queryMs) return { skipped: "no scale figures" };
  return {
    passages: s.passages,
    "query p95 <= 50 ms (pruned, RM3 on)": { p95: s.queryMs.p95, met: s.queryMs.p95 <= 50 },
    "build peak RSS <= 600 MB": {
      megabytes: round((s.buildPeakRssBytes ?? Number.NaN) / 1e6, 0),
      met: (s.buildPeakRssBytes ?? Number.POSITIVE_INFINITY) <= 600e6,
    },
    "build CPU <= 3 min": {
      seconds: round((s.buildCpuMs ?? Number.NaN) / 1000, 0),
      met: (s.buildCpuMs ?? Number.POSITIVE_INFINITY) <= 180_000,
    },
  };
}

/** Word frequencies and passage lengths of the real passages, for the synthetic corpus. */
function vocabulary(passages: Passage[]) {
  const counts = new Map<string, number>();
  const lengths: number[] = [];
  for (const p of passages) {
    const words = p.text.split(/\s+/).filter(Boolean);
    lengths.push(words.length);
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return { words: [...counts.keys()], counts: [...counts.values()], lengths };
}

/** Child mode: build a synthetic shard of `size` passages and measure it. */
async function scaleRun(size: number, vocabFile: string) {
  const vocab = JSON.parse(await readFile(vocabFile, "utf8")) as ReturnType<typeof vocabulary> & {
    queries: string[];
  };
  // Deterministic PRNG (mulberry32) so runs are comparable.
  let seed = 42;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  // Walker/Vose alias table: O(1) draws from the real word frequencies.
  const count = vocab.counts.length;
  const total = vocab.counts.reduce((a, b) => a + b, 0);
  const prob = new Float64Array(count);
  const alias = new Uint32Array(count);
  const scaled = vocab.counts.map((c) => (c * count) / total);
  const small: number[] = [];
  const large: number[] = [];
  scaled.forEach((p, i) => {
    (p < 1 ? small : large).push(i);
  });
  while (small.length && large.length) {
    const s = small.pop()!;
    const l = large.pop()!;
    prob[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    (scaled[l]! < 1 ? small : large).push(l);
  }
  for (const i of [...small, ...large]) prob[i] = 1;
  const word = () => {
    const r = random() * count;
    const i = Math.floor(r);
    return vocab.words[r - i < prob[i]! ? i : alias[i]!]!;
  };
  const work = await mkdtemp(join(tmpdir(), "retrieval-scale-"));
  let peakHeap = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  // The streaming builder (what `shard build` runs): blocks, posting runs and postings go to files.
  function* passages(): Generator<Passage> {
    for (let i = 0; i < size; i++) {
      const n = vocab.lengths[Math.floor(random() * vocab.lengths.length)]!;
      const words: string[] = [];
      for (let j = 0; j < n; j++) words.push(word());
      yield { title: `${word()} ${word()}`, text: words.join(" ") };
      if ((i & 0xffff) === 0) peakHeap = Math.max(peakHeap, memory());
    }
  }
  const written = await writeShardFile(passages(), work);
  peakHeap = Math.max(peakHeap, memory());
  const buildMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  // maxRSS is a high-water mark: read now, it is the build's (the vocabulary and Node included).
  const buildPeakRssBytes = process.resourceUsage().maxRSS * 1024;
  const bytes = new Uint8Array(await readFile(written.file));
  await rm(work, { recursive: true, force: true });
  const t = performance.now();
  const shard = openShard(bytes);
  shard.search(vocab.queries[0]!, K);
  const loadToFirstQueryMs = performance.now() - t;
  // Four searchers over the same bytes: RM3 on, pruned and exhaustive, then (the header rewritten in
  // place, same length, after those two read theirs) feedback off, pruned and exhaustive: what one
  // BM25F pass costs. Each query runs on all four in turn, twice, so load from other processes falls
  // on all four alike: `queryMs*` are the first runs, `queryMs*BestOf2` each query's faster run.
  const exhaustiveShard = openShard(bytes, { pruning: false });
  bytes.set(encodeHeader({ ...decodeHeader(bytes), feedbackDocs: 0 }), 0);
  const searchers = [shard, exhaustiveShard, openShard(bytes), openShard(bytes, { pruning: false })];
  for (const searcher of searchers) for (const q of vocab.queries.slice(0, 20)) searcher.search(q, K); // warm-up
  const runs = searchers.map(() => ({ first: [] as number[], best: [] as number[], hits: [] as string[] }));
  for (const q of vocab.queries) {
    searchers.forEach((searcher, i) => {
      const run = runs[i]!;
      let best = Number.POSITIVE_INFINITY;
      for (let r = 0; r < 2; r++) {
        const s = performance.now();
        const top = searcher.search(q, K);
        const ms = performance.now() - s;
        if (r === 0) {
          run.first.push(ms);
          run.hits.push(JSON.stringify(top.map((h) => [h.id, h.score])));
        }
        best = Math.min(best, ms);
      }
      run.best.push(best);
    });
  }
  for (const run of runs) {
    run.first.sort((a, b) => a - b);
    run.best.sort((a, b) => a - b);
  }
  const figures = (times: number[]) => ({
    p50: round(percentile(times, 0.5)),
    p95: round(percentile(times, 0.95)),
    mean: round(times.reduce((a, b) => a + b, 0) / times.length),
  });
  const [pruned, exhaustive, single, singleExhaustive] = runs as [
    (typeof runs)[0],
    (typeof runs)[0],
    (typeof runs)[0],
    (typeof runs)[0],
  ];
  const differentTopK = pruned.hits.filter((h, i) => h !== exhaustive.hits[i]).length;
  const parts = sizeParts(shard.info);
  return {
    passages: shard.info.passages,
    terms: shard.info.terms,
    buildMs: round(buildMs, 0),
    buildCpuMs: round((cpu.user + cpu.system) / 1000, 0),
    buildPeakRssBytes,
    buildPostingRuns: written.runs,
    bytesOnDisk: bytes.length,
    indexBytes: bytes.length - (shard.info.sections.passages ?? 0),
    loadToFirstQueryMs: round(loadToFirstQueryMs, 1),
    indexBytesPerPassagePart: parts.indexPerPassage,
    indexBytesPerTermPart: parts.indexPerTerm,
    textBytesPerPassage: round(parts.text / shard.info.passages, 1),
    queryMs: figures(pruned.first),
    queryMsExhaustive: figures(exhaustive.first),
    p95PrunedOverExhaustive: round(percentile(pruned.first, 0.95) / percentile(exhaustive.first, 0.95)),
    queriesWhosePrunedTopKDiffers: differentTopK,
    queryMsWithoutFeedback: figures(single.first),
    queryMsWithoutFeedbackExhaustive: figures(singleExhaustive.first),
    queryMsBestOf2: figures(pruned.best),
    queryMsExhaustiveBestOf2: figures(exhaustive.best),
    queryMsWithoutFeedbackBestOf2: figures(single.best),
    queryMsWithoutFeedbackExhaustiveBestOf2: figures(singleExhaustive.best),
    p95WithoutOverWithFeedback: round(percentile(single.first, 0.95) / percentile(pruned.first, 0.95)),
    queriesWithoutFeedbackWhosePrunedTopKDiffers: single.hits.filter((h, i) => h !== singleExhaustive.hits[i])
      .length,
    peakRssBytesWithQueries: process.resourceUsage().maxRSS * 1024,
    buildPeakHeapBytes: peakHeap,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const work = await mkdtemp(join(tmpdir(), "retrieval-bench-"));
  try {
    const files = await dataFiles();
    const cli = await buildShard({ inputs: files, outDir: join(work, "shard") });
    const real = openShard(new Uint8Array(await readFile(join(work, "shard", SHARD_FILE_NAME))));
    const passages = Array.from({ length: real.info.passages }, (_, i) => real.passage(i));
    const questions = await hotpotQuestions();
    const titles = new Set(passages.map((p) => p.title));
    const missingGold = questions.reduce((n, q) => n + q.gold.filter((g) => !titles.has(g)).length, 0);
    const dev = questions.filter((q) => q.split === "dev").length;
    console.error(
      `retrieval bench: ${passages.length} passages, ${questions.length} questions (dev ${dev}, test ${questions.length - dev})`,
    );

    console.error("retrieval bench: the shard's scoring steps");
    const steps = await ablations(passages, questions);
    const split = {
      seed: SPLIT_SEED,
      rule: "FNV-1a(seed:question) even = dev",
      dev,
      test: questions.length - dev,
    };
    if (process.env.RETRIEVAL_ONLY === "ablations") return { split, ablations: steps };

    const previous = await previousReport();
    const wanted = (process.env.RETRIEVAL_PEERS ?? "minisearch,flexsearch,orama").toLowerCase().split(",");
    const peers = [miniSearchEngine(), flexSearchEngine(), oramaEngine()];
    const engines = [
      oursEngine(),
      ...peers.filter((e) => e === peers[0] || wanted.includes(e.name.toLowerCase())),
    ];
    const results = [];
    for (const engine of engines) {
      console.error(`retrieval bench: ${engine.name}`);
      const result = await measure(engine, passages, questions, work);
      const { config: _config, ...figures } = result;
      console.error(`  ${JSON.stringify(figures)}`);
      results.push(result);
    }
    const skippedPeers = peers
      .filter((e) => !engines.includes(e))
      .map((e) => {
        // A peer skipped twice keeps the figures of the run that measured it.
        const old = (
          previous?.engines as
            | Array<{ engine: string; previous?: unknown; previousRun?: unknown }>
            | undefined
        )?.find((r) => r.engine === e.name);
        return {
          engine: e.name,
          skipped: "not run (RETRIEVAL_PEERS); figures of an earlier run, on the same passages",
          previousRun: old?.previousRun ?? previous?.date,
          previous: old?.previous ?? old,
        };
      });
    const [ours, mini] = results as [(typeof results)[0], (typeof results)[0]];
    const bestPeerR5 = Math.max(...results.slice(1).map((r) => r.recall.test["R@5"]));
    const targets = {
      "test R@5 >= 0.76": { ours: ours.recall.test["R@5"], met: ours.recall.test["R@5"] >= 0.76 },
      "test Both@10 >= 0.72": { ours: ours.recall.test["Both@10"], met: ours.recall.test["Both@10"] >= 0.72 },
      "test R@5 >= best peer run": {
        ours: ours.recall.test["R@5"],
        bestPeer: bestPeerR5,
        met: ours.recall.test["R@5"] >= bestPeerR5,
      },
      "query p50 <= 1/3 MiniSearch": {
        ratio: round(ours.queryMs.p50 / mini.queryMs.p50),
        met: ours.queryMs.p50 <= mini.queryMs.p50 / 3,
      },
      "bytes <= 1/2 MiniSearch serialized": {
        ratio: round(ours.bytesOnDisk / mini.bytesOnDisk),
        met: ours.bytesOnDisk <= mini.bytesOnDisk / 2,
      },
      "load-to-first-query <= 1/5 MiniSearch loadJSON": {
        ratio: round(ours.loadToFirstQueryMs / mini.loadToFirstQueryMs),
        met: ours.loadToFirstQueryMs <= mini.loadToFirstQueryMs / 5,
      },
    };

    const scaleSize = Number(process.env.RETRIEVAL_SCALE_PASSAGES ?? 1_000_000);
    let scale: unknown = {
      skipped:
        "not run (RETRIEVAL_SCALE_PASSAGES=0); figures of the previous report, an earlier shard format",
      previousRun: (previous?.scale as { previousRun?: unknown } | undefined)?.previousRun ?? previous?.date,
      previous: (previous?.scale as { previous?: unknown } | undefined)?.previous ?? previous?.scale,
    };
    if (scaleSize > 0) {
      const vocabFile = join(work, "vocab.json");
      await writeFile(
        vocabFile,
        JSON.stringify({ ...vocabulary(passages), queries: questions.map((q) => q.question) }),
      );
      console.error(`retrieval bench: scale run, ${scaleSize} synthetic passages`);
      const out = execFileSync(
        process.execPath,
        [
          join(here, "../bin/run-ts.js"),
          fileURLToPath(import.meta.url),
          "--scale",
          String(scaleSize),
          vocabFile,
        ],
        { encoding: "utf8", maxBuffer: 1 << 20, stdio: ["ignore", "pipe", "inherit"] },
      );
      scale = JSON.parse(out.trim().split("\n").pop()!);
    }

    const compression = compressionStudy(passages);
    const projection = projectSimpleWiki(real, passages, scale, scaleSize > 0, compression);

    return {
      projectionSimpleEnglishWikipedia: projection,
      scaleTargets: scaleTargets(scale),
      corpus: {
        files: files.map((f) => f.slice(WIKI.length + 1)),
        passagesRead: cli.read,
        passages: passages.length,
        duplicatesDropped: cli.duplicates,
        questions: questions.length,
        goldTitlePairs: questions.reduce((n, q) => n + q.gold.length, 0),
        goldTitlesMissingFromCorpus: missingGold,
        k: K,
      },
      builderFromFiles: { seconds: round(cli.seconds, 2), bytes: cli.bytes, terms: cli.terms },
      split,
      engines: [...results, ...skippedPeers],
      ablations: steps,
      compression,
      targets,
      scale,
      notes: [
        "Same passages for every engine: the ones the shard builder kept (deduplicated by title + text).",
        "Query time is one search returning the top 10 with title and text (what web_search needs).",
        "Load-to-first-query starts with the serialised index in memory (bytes for the shard, a string for the JSON peers).",
        "Heap after load = heapUsed + arrayBuffers retained after load and first query, after GC, input string released.",
      ],
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--scale") {
  const result = await scaleRun(Number(process.argv[3]), process.argv[4]!);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
