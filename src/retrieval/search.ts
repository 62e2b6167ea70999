/**
 * What the agent needs from retrieval: a searcher over passages, and the reference observation layout.
 * The shard format, tokenizer and BM25 index live beside this file and implement PassageSearcher.
 */

export interface Passage {
  title: string;
  text: string;
}

export interface SearchHit extends Passage {
  /** Position of the passage in its shard. */
  id: number;
  score: number;
}

export interface PassageSearcher {
  search(query: string, k: number): SearchHit[];
}

/** The passage as the reference retriever shows it: a quoted title line, then the text (wiki-18 `contents`). */
export function passageContents(passage: Passage): string {
  return `"${passage.title}"\n${passage.text}`;
}

/**
 * The reference `web_search` observation: a header, then per passage a separator line with its
 * index (from 0) and score, then the passage contents.
 */
export function formatRetrievedDocuments(hits: readonly SearchHit[]): string {
  let out = "\nRetrieved documents:";
  hits.forEach((hit, i) => {
    out += `\n\n===== Document ${i}, similarity: ${hit.score.toFixed(2)} =====\n${passageContents(hit)}`;
  });
  return out;
}
