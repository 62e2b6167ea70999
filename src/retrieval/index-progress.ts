/**
 * How far the write of a shard's index is, once its input is read (writeShard's onIndexProgress, in
 * shard-build.ts), and how the page's bar and the CLI's progress line both say it. A module of its own
 * so that the page's main bundle, which shows it, does not take in the builder. Runtime-neutral.
 */
import { formatBytes } from "../util/format-bytes.ts";

export interface IndexProgress {
  /**
   * "sorting": the terms put in output order and the last posting run spilled (no count: done 0 of
   * the terms); "merging": the posting runs merged term by term into the postings section (done and
   * total count terms); "copying": the head, the postings and the passage blocks copied into the shard
   * file (done and total count bytes).
   */
  stage: "sorting" | "merging" | "copying";
  done: number;
  total: number;
  /** Of the whole index write, weighed by the bytes each stage handles: it never goes back, 1 at the end. */
  fraction: number;
}

/**
 * What is being written, as the page's bar and the CLI's progress line both say it: "sorting 67,890
 * terms", "merging the postings, term 12,288 of 67,890 (41%)", "copying into the shard file, 6.0 MiB
 * of 10 MiB (93%)".
 */
export function describeIndexProgress(p: IndexProgress): string {
  const percent = `(${Math.floor(p.fraction * 100)}%)`;
  if (p.stage === "sorting") return `sorting ${p.total.toLocaleString("en")} terms`;
  if (p.stage === "merging")
    return `merging the postings, term ${p.done.toLocaleString("en")} of ${p.total.toLocaleString("en")} ${percent}`;
  return `copying into the shard file, ${formatBytes(p.done)} of ${formatBytes(p.total)} ${percent}`;
}
