/**
 * Fidelity: with the reference prompt pack loaded, the requests this project sends for the scripted
 * completions equal the reference's golden transcripts byte for byte (real Pyodide runs the code).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgent } from "../../src/agent/loop.ts";
import { DEFAULT_PACK } from "../../src/agent/packs/default-pack.ts";
import { loadPromptPack } from "../../src/agent/prompt-pack.ts";
import { createNodeExecutor, type Executor } from "../../src/exec/index.ts";
import { ReplayEngine } from "../../src/llm/replay/replay-engine.ts";
import { golden, sharedText } from "../support/shared.ts";

const pack = loadPromptPack(sharedText("reference/reference_pack.yaml"), "reference_pack.yaml", DEFAULT_PACK);
let executor: Executor;

beforeAll(async () => {
  executor = await createNodeExecutor({});
});
afterAll(async () => {
  await executor?.dispose();
});

describe("golden transcripts of the reference", () => {
  it("A: a two-step computation", async () => {
    const g = golden("A");
    const engine = new ReplayEngine(g.scripted_completions, "golden A");
    const trajectory = await runAgent(g.question, { engine, executor, pack });
    expect(engine.requests.map((r) => r.messages)).toEqual(g.calls.map((c) => c.messages));
    expect(engine.requests.map((r) => r.stop)).toEqual(g.calls.map((c) => c.stop));
    expect(trajectory.status).toBe("answered");
    expect(trajectory.answer).toEqual(g.answer);
  });

  it("C: an execution error, then a parse error, then the answer", async () => {
    const g = golden("C");
    const engine = new ReplayEngine(g.scripted_completions, "golden C");
    const trajectory = await runAgent(g.question, { engine, executor, pack });
    const sent = engine.requests.map((r) => r.messages);
    expect(sent).toHaveLength(g.calls.length);
    expect(sent.slice(0, 2)).toEqual(g.calls.slice(0, 2).map((c) => c.messages));
    const last = sent[2]!;
    const expected = g.calls[2]!.messages;
    expect(last.slice(0, -1)).toEqual(expected.slice(0, -1));
    // The wording of a parse-error observation is ours; its layout is the reference's.
    expect(last.at(-1)!.role).toBe("user");
    expect(last.at(-1)!.content).toMatch(/^Error:\n/);
    expect(last.at(-1)!.content).not.toContain("Call id:");
    expect(last.at(-1)!.content.endsWith(pack.errorRetryHint)).toBe(true);
    expect(trajectory.answer).toEqual(g.answer);
    expect(trajectory.steps.map((s) => [s.execution?.error?.type, s.parseError !== undefined])).toEqual([
      ["ZeroDivisionError", false],
      [undefined, true],
      [undefined, false],
    ]);
  });
});
