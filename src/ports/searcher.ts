/**
 * The retrieval port: what `web_search` needs from a Wikipedia shard. src/retrieval implements it (the
 * shard's BM25 index); tests and embedders can put any other searcher behind it.
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
