/**
 * Bounded outputs (issue 9 point 3): a huge final answer, exception message, print or repr is cut in
 * Python before it crosses to JavaScript, so no single action can abort or wedge the host; the episode
 * goes on afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeExecutor, type Executor } from "../../src/exec/index.ts";

const MAX_OUTPUT = 20_000;
const MAX_PRINT = 50_000;
const MAX_ERROR = 20_000;
// The truncation notice adds at most this much to a cut value.
const NOTICE = 100;

let ex: Executor;

beforeAll(async () => {
  ex = await createNodeExecutor({ timeoutMs: 30_000 });
});
afterAll(async () => {
  await ex?.dispose();
});

describe("bounded outputs", () => {
  it("final_answer('x' * 6 * 10**8) is cut to maxOutputChars and the episode goes on", async () => {
    await ex.run("kept = 41");
    const r = await ex.run("final_answer('x' * 6 * 10**8)");
    expect(r.error).toBeUndefined();
    expect(r.isFinalAnswer).toBe(true);
    expect(r.output.length).toBeLessThanOrEqual(MAX_OUTPUT + NOTICE);
    expect(r.output).toContain(`truncated to stay below ${MAX_OUTPUT} characters`);
    expect(typeof r.finalAnswer).toBe("string");
    expect((r.finalAnswer as string).length).toBeLessThanOrEqual(MAX_OUTPUT + NOTICE);
    expect((await ex.run("kept + 1")).output).toBe("42");
  }, 120_000);

  it("a huge JSON final answer falls back to its cut str()", async () => {
    const r = await ex.run("final_answer(['y' * 1000] * 10**5)");
    expect(r.isFinalAnswer).toBe(true);
    expect(typeof r.finalAnswer).toBe("string");
    expect((r.finalAnswer as string).startsWith("['yyy")).toBe(true);
    expect((r.finalAnswer as string).length).toBeLessThanOrEqual(MAX_OUTPUT + NOTICE);
    // A small one stays JSON, as before.
    expect((await ex.run("final_answer({'a': [1, 2.5, None, 'b']})")).finalAnswer).toEqual({
      a: [1, 2.5, null, "b"],
    });
  }, 60_000);

  it("raise ValueError('x' * 6 * 10**8) gives a cut error message", async () => {
    const r = await ex.run("raise ValueError('x' * 6 * 10**8)");
    expect(r.error?.type).toBe("ValueError");
    expect(r.error?.message.startsWith("Code execution failed at line 'raise ValueError(")).toBe(true);
    expect(r.error?.message.length).toBeLessThanOrEqual(MAX_ERROR + NOTICE);
    expect((await ex.run("kept + 1")).output).toBe("42");
  }, 120_000);

  it("a huge exception class name and a huge statement are cut too", async () => {
    const r = await ex.run("E = type('E' * 10**6, (Exception,), {})\nraise E('boom')");
    expect(r.error?.type.length).toBeLessThanOrEqual(200 + NOTICE);
    expect(r.error?.message.length).toBeLessThanOrEqual(MAX_ERROR + NOTICE);
  }, 60_000);

  it("a huge print keeps the reference's head/tail layout within maxPrintChars", async () => {
    const r = await ex.run("print('a' * 10**6 + 'b' * 3 * 10**8 + 'c' * 10**6)\nprint('end')");
    expect(r.error).toBeUndefined();
    expect(r.logs.length).toBeLessThanOrEqual(MAX_PRINT + NOTICE);
    expect(r.logs.startsWith("a".repeat(MAX_PRINT / 2))).toBe(true);
    expect(r.logs.endsWith(`${"c".repeat(MAX_PRINT / 2 - 5)}\nend\n`)).toBe(true);
    expect(r.logs).toContain(
      `\n..._This content has been truncated to stay below ${MAX_PRINT} characters_...\n`,
    );
  }, 120_000);

  it("a huge repr as the last value is cut to maxOutputChars", async () => {
    const r = await ex.run(
      "class R:\n    def __repr__(self):\n        return 'r' * 3 * 10**8\n    def __str__(self):\n        return 'r' * 3 * 10**8\nR()",
    );
    expect(r.error).toBeUndefined();
    expect(r.output.length).toBeLessThanOrEqual(MAX_OUTPUT + NOTICE);
  }, 120_000);

  it("a value whose __eq__ raises a huge message while the result is built stays bounded", async () => {
    const r = await ex.run(
      "class F(float):\n    def __eq__(self, o):\n        raise ValueError('z' * 10**8)\n    def __str__(self):\n        return 'F'\nfinal_answer(F(1.0))",
    );
    expect(r.isFinalAnswer).toBe(true);
    expect(r.finalAnswer).toBe("F");
  }, 60_000);

  it("web_search refuses a huge query before it crosses to JavaScript", async () => {
    const r = await ex.run("web_search('q' * 10**7)");
    expect(r.error?.type).toBe("ValueError");
    expect(r.error?.message).toContain("'query' is too long (10000000 characters; at most 10000)");
  });
});
