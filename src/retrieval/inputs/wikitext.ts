/**
 * Wikipedia articles to passages: wikitext to plain text with wtf_wikipedia, then disjoint chunks of
 * about 100 words, each with the article title (the wiki-18 / DPR passage style). Runtime-neutral.
 */
import wtf from "wtf_wikipedia";
import type { Passage } from "../search.ts";

export const WORDS_PER_PASSAGE = 100;
/** Dumps mark redirects with <redirect/>; this catches pages without it (wtf_wikipedia misses short targets). */
const REDIRECT = /^\s*#redirect\s*\[\[/i;

export interface WikiPage {
  title: string;
  /** MediaWiki namespace; only 0 (articles) makes passages. */
  ns: number;
  redirect: boolean;
  wikitext: string;
}

export function wikitextToPlain(wikitext: string): string {
  return wtf(wikitext).text();
}

export function splitWords(text: string, wordsPerPassage = WORDS_PER_PASSAGE): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerPassage)
    out.push(words.slice(i, i + wordsPerPassage).join(" "));
  return out;
}

/** The passages of one dump page; none for redirects, other namespaces and empty articles. */
export function pagePassages(page: WikiPage, wordsPerPassage = WORDS_PER_PASSAGE): Passage[] {
  if (page.ns !== 0 || page.redirect || REDIRECT.test(page.wikitext)) return [];
  const doc = wtf(page.wikitext);
  if (doc.isRedirect()) return [];
  return splitWords(doc.text(), wordsPerPassage).map((text) => ({ title: page.title, text }));
}
