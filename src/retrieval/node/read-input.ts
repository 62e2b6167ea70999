/**
 * Node adapter: streams the passages of one input file, whatever it holds (told by content, with
 * bzip2 undone first): a MediaWiki XML dump, JSONL records, or a JSON document.
 */
import { createReadStream } from "node:fs";
import { PassThrough, pipeline, type Readable } from "node:stream";
import sax from "sax";
import bz2 from "unbzip2-stream";
import {
  detectFormat,
  documentPassages,
  type InputFormat,
  recordLayout,
  recordPassages,
  ShardInputError,
} from "../inputs/layouts.ts";
import { pagePassages, type WikiPage } from "../inputs/wikitext.ts";
import type { Passage } from "../search.ts";

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

async function openStream(file: string): Promise<{ stream: Readable; compressed: boolean }> {
  const probe = createReadStream(file, { start: 0, end: 2 });
  let magic = "";
  try {
    for await (const chunk of probe) magic += (chunk as Buffer).toString("latin1");
  } catch (error) {
    throw new ShardInputError(`${file}: cannot read (${(error as Error).message})`);
  }
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  if (magic === "BZh") {
    // unbzip2-stream is an old-style `through` stream: a PassThrough gives it async iteration.
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    pipeline(raw, bz2(), out, (error) => {
      if (error) out.destroy(new ShardInputError(`${file}: bad bzip2 data (${error.message})`));
    });
    return { stream: out, compressed: true };
  }
  return { stream: raw, compressed: false };
}

/** Async chunks of a stream, with the first ones read ahead (peeked) for format detection. */
async function peek(stream: Readable): Promise<{ head: Buffer; rest: AsyncIterator<Buffer> }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < PEEK_BYTES) {
    const next = await iterator.next();
    if (next.done) break;
    chunks.push(next.value);
    size += next.value.length;
    if (next.value.includes(10)) break;
  }
  return { head: Buffer.concat(chunks), rest: iterator };
}

async function* chunksOf(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (head.length) yield head;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

export async function* readInputPassages(file: string, report?: InputReport): AsyncGenerator<Passage> {
  const { stream, compressed } = await openStream(file);
  const info: InputReport = report ?? { file, compressed, layouts: new Set(), pages: 0, skippedPages: 0 };
  info.compressed = compressed;
  try {
    const { head, rest } = await peek(stream);
    const format = detectFormat(head.subarray(0, 64 * 1024).toString("utf8"));
    if (!format) {
      throw new ShardInputError(
        `${file}: not an input the builder knows (expected a Wikipedia XML dump, JSON or JSONL passages or QA contexts)`,
      );
    }
    info.format = format;
    const chunks = chunksOf(head, rest);
    if (format === "wiki-xml") yield* dumpPassages(chunks, file, info);
    else if (format === "jsonl") yield* jsonlPassages(chunks, file, info);
    else yield* jsonPassages(chunks, file, info);
  } finally {
    stream.destroy();
  }
}

async function* jsonlPassages(
  chunks: AsyncIterable<Buffer>,
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
  chunks: AsyncIterable<Buffer>,
  file: string,
  info: InputReport,
): AsyncGenerator<Passage> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.concat(parts).toString("utf8"));
  } catch (error) {
    throw new ShardInputError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const sample = Array.isArray(doc) ? doc[0] : doc;
  info.layouts.add(recordLayout(sample) ?? (Array.isArray(doc) ? "unknown" : "title-sentences dict"));
  yield* documentPassages(doc, file);
}

async function* dumpPassages(
  chunks: AsyncIterable<Buffer>,
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
