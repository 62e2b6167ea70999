/**
 * Passage layouts of the JSON datasets the builder reads, recognised by their keys, never by file name:
 * wiki-18 `{contents}`, `{title, text}`, HotpotQA (HF `context{title[], sentences[][]}` and original
 * `context[[title, [sentences]]]`, also 2WikiMultihopQA), MuSiQue `paragraphs[]{title, paragraph_text}`,
 * and the `{title: [sentences]}` corpus dict. Runtime-neutral.
 */
import type { Passage } from "../search.ts";

export class ShardInputError extends Error {
  override name = "ShardInputError";
}

export type RecordLayout = "wiki18" | "title-text" | "hotpotqa-hf" | "hotpotqa" | "musique" | "question-only";

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStringArray(value: Json): value is string[] {
  return Array.isArray(value) && value.every((s) => typeof s === "string");
}

/** The layout of one JSON record, or undefined when it is none the builder knows. */
export function recordLayout(record: Json): RecordLayout | undefined {
  if (!isObject(record)) return undefined;
  if (typeof record.contents === "string") return "wiki18";
  if (typeof record.title === "string" && typeof record.text === "string") return "title-text";
  const context = record.context;
  if (isObject(context) && Array.isArray(context.title) && Array.isArray(context.sentences))
    return "hotpotqa-hf";
  if (
    Array.isArray(context) &&
    context.every((c) => Array.isArray(c) && typeof c[0] === "string" && isStringArray(c[1]))
  ) {
    return "hotpotqa";
  }
  if (
    Array.isArray(record.paragraphs) &&
    record.paragraphs.every((p) => isObject(p) && typeof p.title === "string")
  ) {
    return "musique";
  }
  if (typeof record.question === "string") return "question-only";
  return undefined;
}

/**
 * Joins dataset sentences back into a paragraph. HotpotQA keeps each sentence's leading space;
 * 2WikiMultihopQA does not, so a space is added only where neither side has one.
 */
export function joinSentences(sentences: readonly string[]): string {
  let out = "";
  for (const s of sentences) {
    if (out && !/\s$/.test(out) && !/^\s/.test(s)) out += " ";
    out += s;
  }
  return out.trim();
}

/** wiki-18 `contents`: a quoted title line, then the passage text. */
export function splitContents(contents: string): Passage {
  const newline = contents.indexOf("\n");
  if (newline < 0) return { title: "", text: contents };
  const first = contents.slice(0, newline).trim();
  const title =
    first.length >= 2 && first.startsWith('"') && first.endsWith('"') ? first.slice(1, -1) : first;
  return { title, text: contents.slice(newline + 1) };
}

/** The passages of one record; throws ShardInputError naming `where` for a record of no known layout. */
export function* recordPassages(record: Json, where: string): Generator<Passage> {
  const layout = recordLayout(record);
  if (!layout || !isObject(record)) {
    const keys = isObject(record) ? Object.keys(record).slice(0, 8).join(", ") : typeof record;
    throw new ShardInputError(`${where}: not a passage layout the builder knows (keys: ${keys})`);
  }
  switch (layout) {
    case "wiki18":
      yield splitContents(record.contents as string);
      return;
    case "title-text":
      yield { title: record.title as string, text: record.text as string };
      return;
    case "hotpotqa-hf": {
      const context = record.context as { title: Json[]; sentences: Json[] };
      for (let i = 0; i < context.title.length; i++) {
        const title = context.title[i];
        const sentences = context.sentences[i];
        if (typeof title !== "string" || !isStringArray(sentences)) {
          throw new ShardInputError(`${where}: context entry ${i} is not a title with a list of sentences`);
        }
        yield { title, text: joinSentences(sentences) };
      }
      return;
    }
    case "hotpotqa":
      for (const [title, sentences] of record.context as Array<[string, string[]]>) {
        yield { title, text: joinSentences(sentences) };
      }
      return;
    case "musique":
      for (const p of record.paragraphs as Array<Record<string, Json>>) {
        const text = p.paragraph_text ?? p.text;
        if (typeof text !== "string")
          throw new ShardInputError(`${where}: a paragraph has no paragraph_text`);
        yield { title: p.title as string, text };
      }
      return;
    case "question-only":
      return;
  }
}

/**
 * The passages of a whole JSON document: a list of records, a single record, or the
 * `{title: [sentences]}` dict of HippoRAG's HotpotQA corpus.
 */
export function* documentPassages(doc: Json, where: string): Generator<Passage> {
  if (Array.isArray(doc)) {
    for (let i = 0; i < doc.length; i++) yield* recordPassages(doc[i], `${where} item ${i}`);
    return;
  }
  if (isObject(doc) && recordLayout(doc) === undefined) {
    const entries = Object.entries(doc);
    if (entries.length > 0 && entries.every(([, v]) => isStringArray(v) || typeof v === "string")) {
      for (const [title, value] of entries)
        yield { title, text: typeof value === "string" ? value : joinSentences(value as string[]) };
      return;
    }
  }
  yield* recordPassages(doc, where);
}

export type InputFormat = "wiki-xml" | "json" | "jsonl";

/**
 * Tells the input format from the first bytes of a (decompressed) file. `head` should reach past the
 * first newline when there is one, so a JSONL line can be told from the start of a pretty-printed JSON.
 */
export function detectFormat(head: string): InputFormat | undefined {
  const text = head.replace(/^\uFEFF/, "").trimStart();
  if (text.startsWith("<")) return /<mediawiki[\s>]/.test(text) ? "wiki-xml" : undefined;
  if (text.startsWith("[")) return "json";
  if (!text.startsWith("{")) return undefined;
  const newline = text.indexOf("\n");
  if (newline < 0) return "json";
  try {
    const first: Json = JSON.parse(text.slice(0, newline));
    return isObject(first) && text.slice(newline + 1).trim() ? "jsonl" : "json";
  } catch {
    return "json";
  }
}
