/**
 * The shard build bar (src/ui/shard-build-view.ts): its fill and label from the build worker's
 * progress, while the dump is read and while the index is written, stage by stage.
 */
import { describe, expect, it } from "vitest";
import type { BuildProgress } from "../../src/retrieval/browser/shard-build-service.ts";
import { describeProgress, fractionOf } from "../../src/ui/shard-build-view.ts";

const NAME = "simplewiki-pages-articles.xml.bz2";
const reading: BuildProgress = {
  phase: "reading",
  bytesRead: 3 * 1024 * 1024,
  totalBytes: 12 * 1024 * 1024,
  passages: 41568,
  duplicates: 0,
  pages: 32036,
  runs: 2,
};
const indexing = (index?: BuildProgress["index"]): BuildProgress => ({
  ...reading,
  phase: "indexing",
  bytesRead: reading.totalBytes,
  ...(index ? { index } : {}),
});

describe("the shard build bar", () => {
  it("fills with the bytes read, then with the index write's fraction", () => {
    expect(fractionOf(reading)).toBe(0.25);
    expect(describeProgress(NAME, reading)).toBe(
      `Building a shard from ${NAME}: 3.0 MiB of 12 MiB read, 32,036 pages, 41,568 passages`,
    );
    const merging = indexing({ stage: "merging", done: 12288, total: 67890, fraction: 0.4167 });
    expect(fractionOf(merging)).toBe(0.4167);
    expect(describeProgress(NAME, merging)).toBe(
      `Building a shard from ${NAME}: writing the index of 41,568 passages, merging the postings, term 12,288 of 67,890 (41%)…`,
    );
    const copying = indexing({
      stage: "copying",
      done: 6 * 1024 * 1024,
      total: 10 * 1024 * 1024,
      fraction: 0.93,
    });
    expect(fractionOf(copying)).toBe(0.93);
    expect(describeProgress(NAME, copying)).toBe(
      `Building a shard from ${NAME}: writing the index of 41,568 passages, copying into the shard file, 6.0 MiB of 10 MiB (93%)…`,
    );
    expect(fractionOf(indexing({ stage: "copying", done: 10, total: 10, fraction: 1 }))).toBe(1);
  });

  it("is indeterminate while the terms are sorted, which has no count, and before the index write reports", () => {
    const sorting = indexing({ stage: "sorting", done: 0, total: 67890, fraction: 0 });
    expect(fractionOf(sorting)).toBeUndefined();
    expect(describeProgress(NAME, sorting)).toBe(
      `Building a shard from ${NAME}: writing the index of 41,568 passages, sorting 67,890 terms…`,
    );
    expect(fractionOf(indexing())).toBeUndefined();
    expect(describeProgress(NAME, indexing())).toBe(
      `Building a shard from ${NAME}: writing the index of 41,568 passages…`,
    );
    expect(fractionOf({ ...reading, phase: "done" })).toBeUndefined();
    expect(describeProgress(NAME, { ...reading, phase: "done" })).toBe(
      `Built a shard from ${NAME}: 41,568 passages.`,
    );
  });
});
