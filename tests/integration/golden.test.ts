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

  // The two cases below have no golden file; their expected messages are spelled out from the reference's
  // code (smolagents provide_final_answer and get_clean_message_list with flatten_messages_as_text=True,
  // as its VLLMServerModel and SFT preprocessing use), on top of golden A's reference messages.
  it("A, budget spent after step 1: the final-answer call (memory without system prompt, task cut at IMPORTANT:, merged with no separator)", async () => {
    const g = golden("A");
    const engine = new ReplayEngine([g.scripted_completions[0]!, "It is 392."], "golden A, budget 1");
    const trajectory = await runAgent(g.question, { engine, executor, pack, maxSteps: 1 });
    expect(trajectory.status).toBe("fallback");
    const [, task, assistant, observation] = g.calls[1]!.messages;
    const post = "Based on the above, please provide an answer to the following user task:\n" + g.question;
    expect(engine.requests[1]!.messages).toEqual([
      { role: "system", content: pack.finalAnswerPre },
      task,
      assistant,
      { role: "user", content: observation!.content + post },
    ]);
    // The reference's final-answer call has no stop sequences.
    expect(engine.requests[1]!.stop).toBeUndefined();
  });

  it("C, logs printed before an error: both observations merge into one user message with no separator", async () => {
    const engine = new ReplayEngine(
      [
        "Thought: try.\nCode:\n```py\nprint('partial')\n1/0\n```<end_code>",
        "Thought: done.\nCode:\n```py\nfinal_answer(1)\n```<end_code>",
      ],
      "logs then error",
    );
    await runAgent("Divide.", { engine, executor, pack });
    const observation = engine.requests[1]!.messages.at(-1)!;
    expect(observation).toEqual({
      role: "user",
      content:
        "Call id: call_1\nObservation:\nExecution logs:\npartial\n" +
        "Call id: call_1\nError:\nCode execution failed at line '1/0' due to: ZeroDivisionError: division by zero\n" +
        pack.errorRetryHint,
    });
  });

  it("sends chat_template_kwargs on every request when the pack says so (the reference: enable_thinking false)", async () => {
    const thinkingOff = loadPromptPack(
      `${sharedText("reference/reference_pack.yaml")}\nchat_template_kwargs:\n  enable_thinking: false\n`,
      "reference_pack.yaml + chat_template_kwargs",
      DEFAULT_PACK,
    );
    const g = golden("A");
    const engine = new ReplayEngine([g.scripted_completions[0]!, "392"], "golden A, kwargs");
    await runAgent(g.question, { engine, executor, pack: thinkingOff, maxSteps: 1 });
    expect(engine.requests.map((r) => r.extraBody)).toEqual([
      { chat_template_kwargs: { enable_thinking: false } },
      { chat_template_kwargs: { enable_thinking: false } },
    ]);
    // Without the key nothing extra is sent.
    const plain = new ReplayEngine([g.scripted_completions[0]!, "392"], "golden A, no kwargs");
    await runAgent(g.question, { engine: plain, executor, pack, maxSteps: 1 });
    expect(plain.requests.map((r) => r.extraBody)).toEqual([undefined, undefined]);
  });
});
