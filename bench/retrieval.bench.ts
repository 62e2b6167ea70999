/**
 * Retrieval benchmark: this project's shard (BM25, binary, compressed) against MiniSearch, FlexSearch
 * and Orama on the same passages (every file of ../shared/data/wiki, deduplicated), queried with the
 * HotpotQA questions there that have supporting facts; relevance = the supporting titles.
 * Then a scale run on a synthetic corpus drawn from the real vocabulary, in a child process so its
 * peak memory is its own (`RETRIEVAL_SCALE_PASSAGES`, default 1,000,000; 0 skips it).
 *
 * Run: `npm run bench -- retrieval`. Child mode: `node bin/run-ts.js bench/retrieval.bench.ts --scale N VOCAB_FILE`.
 */
import { execFileSync } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import {
  create,
  insertMultiple,
  load as oramaLoad,
  save as oramaSave,
  search as oramaSearch,
} from "@orama/orama";
import { Document } from "flexsearch";
import MiniSearch from "minisearch";
import { buildShard } from "../src/retrieval/node/build-shard.ts";
import type { Passage } from "../src/retrieval/search.ts";
import { SHARD_FILE_NAME } from "../src/retrieval/shard-format.ts";
import { openShard } from "../src/retrieval/shard-reader.ts";
import { buildShardBytes, ShardWriter } from "../src/retrieval/shard-writer.ts";
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

async function dataFiles(): Promise<string[]> {
  return (await readdir(WIKI))
    .filter((f) => f.endsWith(".json") || f.endsWith(".jsonl"))
    .sort()
    .map((f) => join(WIKI, f));
}

async function hotpotQuestions(): Promise<Question[]> {
  const out: Question[] = [];
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
  return out;
}

function oursEngine(): Engine {
  let bytes: Uint8Array | undefined;
  let shard: ReturnType<typeof openShard> | undefined;
  return {
    name: "pocket-agent shard",
    config:
      "BM25 k1=0.9 b=0.4, NFKC+lowercase+accent folding, Lucene English stop words, Porter stemmer; title+text",
    async build(passages) {
      bytes = buildShardBytes(passages);
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

  for (const q of questions.slice(0, 50)) engine.query(q.question, K); // warm-up
  const times: number[] = [];
  const hitsAt = [1, 3, 5, 10].map(() => 0);
  let pairs = 0;
  let both = 0;
  for (const q of questions) {
    const s = performance.now();
    const top = engine.query(q.question, K);
    times.push(performance.now() - s);
    const titles = top.map((h) => h.title);
    pairs += q.gold.length;
    [1, 3, 5, 10].forEach((k, i) => {
      const seen = new Set(titles.slice(0, k));
      hitsAt[i]! += q.gold.filter((g) => seen.has(g)).length;
    });
    if (q.gold.every((g) => titles.includes(g))) both++;
  }
  times.sort((a, b) => a - b);
  engine.drop();
  return {
    engine: engine.name,
    config: engine.config,
    recall: {
      "R@1": round(hitsAt[0]! / pairs),
      "R@3": round(hitsAt[1]! / pairs),
      "R@5": round(hitsAt[2]! / pairs),
      "R@10": round(hitsAt[3]! / pairs),
      "Both@10": round(both / questions.length),
    },
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
  const blocksPath = join(work, "blocks");
  const fd = openSync(blocksPath, "w");
  let peakHeap = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const writer = new ShardWriter({ onBlock: (b) => writeSync(fd, b) });
  for (let i = 0; i < size; i++) {
    const n = vocab.lengths[Math.floor(random() * vocab.lengths.length)]!;
    const words: string[] = [];
    for (let j = 0; j < n; j++) words.push(word());
    writer.add({ title: `${word()} ${word()}`, text: words.join(" ") });
    if ((i & 0xffff) === 0) peakHeap = Math.max(peakHeap, memory());
  }
  const { head, passagesLength } = writer.finish();
  peakHeap = Math.max(peakHeap, memory());
  closeSync(fd);
  const buildMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const bytes = new Uint8Array(head.length + passagesLength);
  bytes.set(head, 0);
  bytes.set(await readFile(blocksPath), head.length);
  await rm(work, { recursive: true, force: true });
  let t = performance.now();
  const shard = openShard(bytes);
  shard.search(vocab.queries[0]!, K);
  const loadToFirstQueryMs = performance.now() - t;
  const times: number[] = [];
  for (const q of vocab.queries) {
    t = performance.now();
    shard.search(q, K);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return {
    passages: shard.info.passages,
    terms: shard.info.terms,
    buildMs: round(buildMs, 0),
    buildCpuMs: round((cpu.user + cpu.system) / 1000, 0),
    bytesOnDisk: bytes.length,
    indexBytes: bytes.length - (shard.info.sections.passages ?? 0),
    loadToFirstQueryMs: round(loadToFirstQueryMs, 1),
    queryMs: { p50: round(percentile(times, 0.5)), p95: round(percentile(times, 0.95)) },
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    peakHeapBytes: peakHeap,
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
    console.error(`retrieval bench: ${passages.length} passages, ${questions.length} questions`);

    const engines = [oursEngine(), miniSearchEngine(), flexSearchEngine(), oramaEngine()];
    const results = [];
    for (const engine of engines) {
      console.error(`retrieval bench: ${engine.name}`);
      const result = await measure(engine, passages, questions, work);
      const { config: _config, ...figures } = result;
      console.error(`  ${JSON.stringify(figures)}`);
      results.push(result);
    }
    const [ours, mini] = results as [(typeof results)[0], (typeof results)[0]];
    const bestPeerR5 = Math.max(...results.slice(1).map((r) => r.recall["R@5"]));
    const targets = {
      "R@5 >= best peer": {
        ours: ours.recall["R@5"],
        bestPeer: bestPeerR5,
        met: ours.recall["R@5"] >= bestPeerR5,
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
    let scale: unknown = "skipped (RETRIEVAL_SCALE_PASSAGES=0)";
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

    const realTextPerPassage = (real.info.sections.passages ?? 0) / passages.length;
    const realIndexPerPassage = (real.info.bytes - (real.info.sections.passages ?? 0)) / passages.length;
    const scaleIndexPerPassage =
      typeof scale === "object" && scale
        ? (scale as { indexBytes: number; passages: number }).indexBytes /
          (scale as { passages: number }).passages
        : realIndexPerPassage;
    const simpleWikiPassages = SIMPLE_WIKI.articles * SIMPLE_WIKI.passagesPerArticle;
    const projection = {
      assumptions: SIMPLE_WIKI,
      passages: simpleWikiPassages,
      textBytesPerPassage: round(realTextPerPassage, 1),
      indexBytesPerPassage: round(scaleIndexPerPassage, 1),
      projectedBytes: Math.round(simpleWikiPassages * (realTextPerPassage + scaleIndexPerPassage)),
    };

    return {
      projectionSimpleEnglishWikipedia: projection,
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
      engines: results,
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
