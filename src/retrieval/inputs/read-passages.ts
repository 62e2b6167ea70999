/**
 * The passages of one input, whatever it holds (told by content, with bzip2 undone first): a MediaWiki
 * XML dump, JSONL records, or a JSON document. Reads any async source of byte chunks (a Node file
 * stream in node/read-input.ts, `File.stream()` in the page's build worker), so the CLI and the page
 * share one reader and one dump parser. Runtime-neutral.
 */
import sax from "sax";
import type { Passage } from "../search.ts";
import { Bzip2Error, bunzip2, isBzip2 } from "./bunzip2.ts";
import {
  detectFormat,
  documentPassages,
  type InputFormat,
  recordLayout,
  recordPassages,
  ShardInputError,
} from "./layouts.ts";
import { pagePassages, type WikiPage } from "./wikitext.ts";

const PEEK_BYTES = 4 * 1024 * 1024;

export interface InputReport {
  file: string;
  format?: InputFormat;
  compressed: boolean;
  /** Record layouts met (JSON inputs), or "wikipedia pages" for dumps. */
  layouts: Set<string>;
  pages: number;
  skippedPages: number;
}

export function newInputReport(file: string): InputReport {
  return { file, compressed: false, layouts: new Set(), pages: 0, skippedPages: 0 };
}

/** The passages of `source`; `name` (a path or file name) starts every error message. */
export async function* readPassages(
  source: AsyncIterable<Uint8Array>,
  name: string,
  report: InputReport = newInputReport(name),
): AsyncGenerator<Passage> {
  const raw = source[Symbol.asyncIterator]();
  try {
    // Enough raw bytes to see the bzip2 magic.
    const first = await peek(raw, 4, false);
    report.compressed = isBzip2(first.head);
    const bytes = report.compressed ? explainBzip2(bunzip2(chunksOf(first)), name) : raw;
    const start = report.compressed ? await peek(bytes, PEEK_BYTES, true) : await more(first, PEEK_BYTES);
    const format = detectFormat(new TextDecoder().decode(start.head.subarray(0, 64 * 1024)));
    if (!format) {
      throw new ShardInputError(
        `${name}: not an input the builder knows (expected a Wikipedia XML dump, JSON or JSONL passages or QA contexts)`,
      );
    }
    report.format = format;
    const chunks = chunksOf(start);
    if (format === "wiki-xml") yield* dumpPassages(chunks, name, report);
    else if (format === "jsonl") yield* jsonlPassages(chunks, name, report);
    else yield* jsonPassages(chunks, name, report);
  } finally {
    await raw.return?.();
  }
}

interface Peeked {
  head: Uint8Array;
  rest: AsyncIterator<Uint8Array>;
}

/** Reads chunks until `size` bytes (or, with `line`, the first newline) are in `head`. */
async function peek(rest: AsyncIterator<Uint8Array>, size: number, line: boolean): Promise<Peeked> {
  return more({ head: new Uint8Array(0), rest }, size, line);
}

async function more(peeked: Peeked, size: number, line = true): Promise<Peeked> {
  const chunks = [peeked.head];
  let length = peeked.head.length;
  let newline = line && peeked.head.includes(10);
  while (length < size && !newline) {
    const next = await peeked.rest.next();
    if (next.done) break;
    chunks.push(next.value);
    length += next.value.length;
    if (line && next.value.includes(10)) newline = true;
  }
  return { head: concat(chunks, length), rest: peeked.rest };
}

async function* chunksOf({ head, rest }: Peeked): AsyncGenerator<Uint8Array> {
  if (head.length) yield head;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

async function* explainBzip2(chunks: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
  } catch (error) {
    if (error instanceof Bzip2Error) throw new ShardInputError(`${name}: bad bzip2 data (${error.message})`);
    throw error;
  }
}

function concat(chunks: Uint8Array[], length = chunks.reduce((n, c) => n + c.length, 0)): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

async function* jsonlPassages(
  chunks: AsyncIterable<Uint8Array>,
  file: string,
  info: InputReport,
): AsyncGenerator<Passage> {
  const decoder = new TextDecoder();
  let pending = "";
  let line = 0;
  const parse = function* (text: string): Generator<Passage> {
    line++;
    if (!text.trim()) return;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (error) {
      throw new ShardInputError(`${file} line ${line}: not valid JSON (${(error as Error).message})`);
    }
    const layout = recordLayout(record);
    if (layout) info.layouts.add(layout);
    yield* recordPassages(record, `${file} line ${line}`);
  };
  for await (const chunk of chunks) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      yield* parse(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  }
  pending += decoder.decode();
  if (pending) yield* parse(pending);
}

/** A JSON document is parsed whole: these files are QA samples and corpora, not dumps. */
async function* jsonPassages(
  chunks: AsyncIterable<Uint8Array>,
  file: string,
  info: InputReport,
): AsyncGenerator<Passage> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(concat(parts)));
  } catch (error) {
    throw new ShardInputError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const sample = Array.isArray(doc) ? doc[0] : doc;
  info.layouts.add(recordLayout(sample) ?? (Array.isArray(doc) ? "unknown" : "title-sentences dict"));
  yield* documentPassages(doc, file);
}

async function* dumpPassages(
  chunks: AsyncIterable<Uint8Array>,
  file: string,
  info: InputReport,
): AsyncGenerator<Passage> {
  info.layouts.add("wikipedia pages");
  const parser = sax.parser(true, { trim: false, normalize: false });
  const ready: Passage[] = [];
  let page: WikiPage | undefined;
  let field: "title" | "ns" | "text" | undefined;
  let buffer = "";
  let depth = 0;
  let revisionDepth = 0;
  parser.onopentag = (tag) => {
    depth++;
    if (tag.name === "page") {
      page = { title: "", ns: 0, redirect: false, wikitext: "" };
    } else if (page) {
      if (tag.name === "redirect") page.redirect = true;
      else if (tag.name === "revision") revisionDepth = depth;
      else if (tag.name === "title" || tag.name === "ns" || (tag.name === "text" && revisionDepth)) {
        field = tag.name;
        buffer = "";
      }
    }
  };
  const onText = (text: string) => {
    if (field) buffer += text;
  };
  parser.ontext = onText;
  parser.oncdata = onText;
  parser.onclosetag = (name) => {
    if (page && field === name) {
      if (field === "title") page.title = buffer.trim();
      else if (field === "ns") page.ns = Number(buffer.trim());
      else page.wikitext = buffer;
      field = undefined;
    }
    if (name === "revision") revisionDepth = 0;
    if (name === "page" && page) {
      info.pages++;
      const passages = pagePassages(page);
      if (passages.length === 0) info.skippedPages++;
      ready.push(...passages);
      page = undefined;
    }
    depth--;
  };
  parser.onerror = (error) => {
    throw new ShardInputError(`${file}: malformed XML (${error.message.split("\n")[0]})`);
  };
  const decoder = new TextDecoder();
  for await (const chunk of chunks) {
    parser.write(decoder.decode(chunk, { stream: true }));
    yield* ready.splice(0);
  }
  parser.write(decoder.decode());
  parser.close();
  yield* ready.splice(0);
}
