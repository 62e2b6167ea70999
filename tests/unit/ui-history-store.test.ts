/**
 * The run history's IndexedDB store (src/ui/history-store.ts) on fake-indexeddb, an in-memory
 * IndexedDB: what a run record holds from its start to its end, interrupted runs, deletion and the limit.
 * The real IndexedDB is exercised in Chromium (tests/e2e/app-history.test.ts).
 */
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { TRAJECTORY_SCHEMA, TRAJECTORY_VERSION, type Trajectory } from "../../src/agent/trajectory.ts";
import { RunHistory } from "../../src/ui/history-store.ts";
import { DEFAULT_VALUES } from "../../src/ui/settings.ts";

let dbs = 0;
/** A store on a database of its own, so tests do not see each other's runs. */
const fresh = (limit?: number) => new RunHistory(`history-test-${++dbs}`, limit);

const trajectory = (question: string): Trajectory => ({
  schema: TRAJECTORY_SCHEMA,
  version: TRAJECTORY_VERSION,
  createdAt: new Date(0).toISOString(),
  question,
  task: question,
  engine: { kind: "replay", label: "replay of a test", isReplay: true },
  settings: { role: "student", promptPack: "default", maxSteps: 1, n: 1 },
  messages: [],
  steps: [],
  status: "answered",
  answer: { nested: ["values", 42] },
  usage: { promptTokens: 0, completionTokens: 0 },
  durationMs: 0,
});

describe("RunHistory", () => {
  it("keeps a run from its start (question, settings without the API key) to its end (trajectory)", async () => {
    const history = fresh();
    const id = await history.begin("Q?", { ...DEFAULT_VALUES, openaiApiKey: "sk-secret", n: "3" });
    const started = await history.get(id);
    expect(started).toMatchObject({ id, question: "Q?", state: "running", settings: { n: "3" } });
    expect(started?.settings).not.toHaveProperty("openaiApiKey");
    await history.finish(id, trajectory("Q?"));
    const finished = await history.get(id);
    expect(finished?.state).toBe("finished");
    expect(finished?.trajectory?.answer).toEqual({ nested: ["values", 42] });
  });

  it("lists newest first, deletes, and marks runs a previous page left running as interrupted", async () => {
    const history = fresh();
    const first = await history.begin("first", DEFAULT_VALUES);
    await history.finish(first, trajectory("first"));
    await history.begin("second", DEFAULT_VALUES);
    await history.begin("third", DEFAULT_VALUES);
    expect((await history.list()).map((r) => r.question)).toEqual(["third", "second", "first"]);

    // A new page: the open database is the same, the runs that were under way are not any more.
    const reloaded = new RunHistory(`history-test-${dbs}`);
    expect((await reloaded.markInterrupted())?.question).toBe("third");
    expect((await reloaded.list()).map((r) => r.state)).toEqual(["interrupted", "interrupted", "finished"]);
    expect(await reloaded.markInterrupted()).toBeUndefined();

    await reloaded.delete(first);
    expect((await reloaded.list()).map((r) => r.question)).toEqual(["third", "second"]);
  });

  it("keeps only the newest runs past its limit", async () => {
    const history = fresh(2);
    for (const q of ["a", "b", "c", "d"]) await history.begin(q, DEFAULT_VALUES);
    expect((await history.list()).map((r) => r.question)).toEqual(["d", "c"]);
  });
});
