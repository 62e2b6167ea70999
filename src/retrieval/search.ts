/**
 * The reference `web_search` observation layout over a searcher (the port, src/ports/searcher.ts). The
 * shard format, tokenizer and BM25 index live beside this file and implement PassageSearcher.
 */
import type { Passage, PassageSearcher, SearchHit } from "../ports/searcher.ts";

export type { Passage, PassageSearcher, SearchHit };

/** The passage as the reference retriever shows it: a quoted title line, then the text (wiki-18 `contents`). */
export function passageContents(passage: Passage): string {
  return `"${passage.title}"\n${passage.text}`;
}

/**
 * The reference `web_search` observation: a header, then per passage a separator line with its
 * index (from 0) and score, then the passage contents.
 */
/**
 * `web_search` as the Python runtime calls it (query, k) -> observation text: what a worker host wires
 * into the runtime, so the runtime itself knows nothing of retrieval.
 */
export function webSearchOver(searcher: PassageSearcher): (query: string, k: number) => string {
  return (query, k) => formatRetrievedDocuments(searcher.search(query, k));
}

export function formatRetrievedDocuments(hits: readonly SearchHit[]): string {
  let out = "\nRetrieved documents:";
  hits.forEach((hit, i) => {
    out += `\n\n===== Document ${i}, similarity: ${hit.score.toFixed(2)} =====\n${passageContents(hit)}`;
  });
  return out;
}
