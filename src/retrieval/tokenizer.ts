/**
 * The one tokenizer of the shard: used by the builder for passages and by the reader for queries, with
 * its settings stored in the shard header so a shard is always queried the way it was indexed.
 * Runtime-neutral (no DOM, no node:*).
 */
import { stemmer as porterStemmer } from "stemmer";

export type StemmerName = "none" | "porter";

export interface TokenizerSettings {
  /** Unicode NFKC normalisation before anything else. */
  nfkc: boolean;
  lowercase: boolean;
  /** Strip combining marks after NFD (é -> e), so queries typed without accents still match. */
  foldDiacritics: boolean;
  stemmer: StemmerName;
  /** Tokens shorter or longer than these (in UTF-16 units, after stemming) are dropped. */
  minLength: number;
  maxLength: number;
  /** Dropped before stemming; compared after normalisation and lower-casing. */
  stopWords: readonly string[];
}

/**
 * Lucene's default English stop set (EnglishAnalyzer), the one the Pyserini BM25 index of wiki-18
 * used by the reference retriever applies, with the Porter stemmer.
 */
export const LUCENE_ENGLISH_STOP_WORDS: readonly string[] = [
  "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
  "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
  "will", "with",
]; // biome-ignore format: a word list reads better packed

export const DEFAULT_TOKENIZER: TokenizerSettings = {
  nfkc: true,
  lowercase: true,
  foldDiacritics: true,
  stemmer: "porter",
  minLength: 1,
  maxLength: 40,
  stopWords: LUCENE_ENGLISH_STOP_WORDS,
};

export type Tokenize = (text: string) => string[];

/** Letters and digits, with inner apostrophes kept so possessives can be cut off whole. */
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;
/** The same over raw text, also taking combining marks so a decomposed "é" stays inside its word. */
const RAW_WORD = /[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu;
const ASCII = /^[\x00-\x7f]*$/;
const MARKS = /\p{M}+/gu;
/** Entries in a word memo before it starts afresh (bounds memory on huge vocabularies). */
export const MEMO_LIMIT = 500_000;

/**
 * The tokenizer in two steps, so the builder can memoise per surface word: `scan` finds the words
 * of a text (lower-cased, normalised), `term` turns one into its indexed term or drops it.
 */
export interface Analyzer {
  scan(text: string, visit: (word: string) => void): void;
  /** The indexed term of a word from `scan`, or undefined for a stop word or a word of bad length. */
  term(word: string): string | undefined;
}

export function createAnalyzer(settings: TokenizerSettings): Analyzer {
  const stop = new Set(settings.stopWords);
  const stem = settings.stemmer === "porter" ? porterStemmer : (word: string) => word;
  const { minLength, maxLength } = settings;

  // Unicode normalisation is slow in V8 and a no-op on ASCII, so only non-ASCII words go through it.
  const normalise = (word: string): string => {
    let w = settings.nfkc ? word.normalize("NFKC") : word;
    if (settings.lowercase) w = w.toLowerCase();
    if (settings.foldDiacritics) w = w.normalize("NFD").replace(MARKS, "");
    return w;
  };

  const term = (surface: string): string | undefined => {
    let word = surface;
    if (word.length > maxLength * 2) return undefined;
    if (word.includes("'") || word.includes("’")) {
      if (word.endsWith("'s") || word.endsWith("’s")) word = word.slice(0, -2);
      word = word.replace(/['’]/g, "");
    }
    if (stop.has(word)) return undefined;
    const stemmed = stem(word);
    if (stemmed.length < minLength || stemmed.length > maxLength) return undefined;
    return stemmed;
  };

  // A hand-rolled scan: runs of [a-z0-9] (most words) are visited directly; a run that holds an
  // apostrophe or any non-ASCII character goes through the Unicode regex and normalisation.
  const scan = (text: string, visit: (word: string) => void): void => {
    const lower = settings.lowercase ? text.toLowerCase() : text;
    const n = lower.length;
    let i = 0;
    while (i < n) {
      if (!isRunChar(lower.charCodeAt(i))) {
        i++;
        continue;
      }
      const start = i;
      let simple = true;
      for (; i < n; i++) {
        const c = lower.charCodeAt(i);
        if (!isRunChar(c)) break;
        if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) simple = false;
      }
      const run = lower.slice(start, i);
      if (simple) visit(run);
      else {
        for (const m of run.matchAll(RAW_WORD)) {
          const raw = m[0];
          if (ASCII.test(raw)) visit(raw);
          else for (const w of normalise(raw).matchAll(WORD)) visit(w[0]);
        }
      }
    }
  };
  return { scan, term };
}

export function createTokenizer(settings: TokenizerSettings): Tokenize {
  const { scan, term } = createAnalyzer(settings);
  // Stemming is the costly step and text repeats words a lot, so a bounded memo pays off.
  let cache = new Map<string, string | null>();
  return (text: string): string[] => {
    const out: string[] = [];
    scan(text, (word) => {
      let t = cache.get(word);
      if (t === undefined) {
        t = term(word) ?? null;
        if (cache.size >= MEMO_LIMIT) cache = new Map();
        cache.set(word, t);
      }
      if (t !== null) out.push(t);
    });
    return out;
  };
}

/** ASCII letters and digits (any case), apostrophes, and everything non-ASCII (sorted out by the regex). */
function isRunChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 39 || c >= 128;
}
