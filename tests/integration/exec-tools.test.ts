/**
 * web_search bridged from Python to the TypeScript retrieval in the same worker, over a real shard.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeExecutor, type Executor } from "../../src/exec/index.ts";
import { buildShardBytes } from "../../src/retrieval/shard-writer.ts";

const passages = [
  { title: "Paris", text: "Paris is the capital and most populous city of France." },
  { title: "Berlin", text: "Berlin is the capital and largest city of Germany." },
  { title: "Madrid", text: "Madrid is the capital of Spain." },
  { title: "Lyon", text: "Lyon is a city in France on the Rhone." },
];

let ex: Executor;
let broken: Executor;

beforeAll(async () => {
  [ex, broken] = await Promise.all([
    createNodeExecutor({ shard: { bytes: buildShardBytes(passages) }, searchTopK: 2 }),
    createNodeExecutor({ shard: { bytes: new Uint8Array([1, 2, 3]) } }),
  ]);
});
afterAll(async () => {
  await Promise.all([ex?.dispose(), broken?.dispose()]);
});

describe("web_search", () => {
  it("returns the reference layout with the top k passages, synchronously inside Python", async () => {
    const r = await ex.run("res = web_search('capital of France')\nprint(res)\nlen(res) > 0");
    expect(r.error).toBeUndefined();
    expect(r.output).toBe("True");
    expect(r.logs.startsWith("\nRetrieved documents:\n\n===== Document 0, similarity: ")).toBe(true);
    expect(r.logs).toContain('"Paris"\nParis is the capital and most populous city of France.');
    expect(r.logs.match(/===== Document \d/g)).toHaveLength(2);
  });

  it("can be called in a loop and its result used as a str", async () => {
    const r = await ex.run(
      "found = [t for q, t in [('Germany', 'Berlin'), ('Spain', 'Madrid'), ('Rhone', 'Lyon')] if f'\"{t}\"' in web_search(q)]\nfound",
    );
    expect(r.error).toBeUndefined();
    expect(r.output).toBe("['Berlin', 'Madrid', 'Lyon']");
  });

  it("reports a shard that cannot be opened as a clear Python error", async () => {
    const r = await broken.run("web_search('anything')");
    expect(r.error?.type).toBe("RuntimeError");
    expect(r.error?.message).toContain("web_search failed: the shard could not be opened");
  });
});
