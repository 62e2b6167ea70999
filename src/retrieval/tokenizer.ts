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
const STEM_CACHE_LIMIT = 200_000;

export function createTokenizer(settings: TokenizerSettings): Tokenize {
  const stop = new Set(settings.stopWords);
  const stem = settings.stemmer === "porter" ? porterStemmer : (word: string) => word;
  // Stemming dominates build time; natural text repeats words a lot, so a bounded memo pays off.
  let cache = new Map<string, string>();
  const { minLength, maxLength } = settings;

  // Unicode normalisation is slow in V8 and a no-op on ASCII, so only non-ASCII words go through it.
  const normalise = (word: string): string => {
    let w = settings.nfkc ? word.normalize("NFKC") : word;
    if (settings.lowercase) w = w.toLowerCase();
    if (settings.foldDiacritics) w = w.normalize("NFD").replace(MARKS, "");
    return w;
  };

  const emit = (out: string[], token: string): void => {
    let word = token;
    if (word.length > maxLength * 2) return;
    if (word.includes("'") || word.includes("’")) {
      if (word.endsWith("'s") || word.endsWith("’s")) word = word.slice(0, -2);
      word = word.replace(/['’]/g, "");
    }
    if (stop.has(word)) return;
    let stemmed = cache.get(word);
    if (stemmed === undefined) {
      stemmed = stem(word);
      if (cache.size >= STEM_CACHE_LIMIT) cache = new Map();
      cache.set(word, stemmed);
    }
    if (stemmed.length < minLength || stemmed.length > maxLength) return;
    out.push(stemmed);
  };

  return (text: string): string[] => {
    const lower = settings.lowercase ? text.toLowerCase() : text;
    const out: string[] = [];
    for (const match of lower.matchAll(RAW_WORD)) {
      const raw = match[0];
      if (ASCII.test(raw)) emit(out, raw);
      else for (const m of normalise(raw).matchAll(WORD)) emit(out, m[0]);
    }
    return out;
  };
}
