/**
 * The Node executor against real Pyodide: reference semantics of prints, last value, errors, truncation,
 * final_answer, tools and isolated candidates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeExecutor, type Executor } from "../../src/exec/index.ts";

let ex: Executor;

beforeAll(async () => {
  ex = await createNodeExecutor({ maxOutputChars: 100, maxPrintChars: 60 });
});
afterAll(async () => {
  await ex?.dispose();
});

describe("reference semantics", () => {
  it("keeps the namespace across runs and forgets it on reset", async () => {
    await ex.reset();
    expect((await ex.run("x = 5")).output).toBe("5");
    expect((await ex.run("x * 2")).output).toBe("10");
    await ex.reset();
    const r = await ex.run("x");
    expect(r.error?.type).toBe("NameError");
    expect(r.error?.message).toBe(
      "Code execution failed at line 'x' due to: NameError: name 'x' is not defined",
    );
  });

  it.each([
    ["x = 5", "5"],
    ["a, b = 1, 2", "(1, 2)"],
    ["n = 1\nn += 4", "5"],
    ["lst = [1]\nlst[0] = 7", "7"],
    ["for i in range(4):\n    i * 10\n", "30"],
    ["for i in range(3):\n    print(i)\n", "None"],
    ["if True:\n    'yes'\nelse:\n    'no'", "yes"],
    ["k = 0\nwhile k < 3:\n    k += 1\n", "None"],
    ["class C:\n    pass", "<class 'smolagents.local_python_executor.C'>"],
    ["import math", "None"],
    ["print('hello')", "None"],
    ["3 + 4\nprint(1)", "None"],
    ["", "None"],
    ["'text'", "text"],
  ])("last value of %j is %j", async (code, output) => {
    await ex.reset();
    const r = await ex.run(code);
    expect(r.error).toBeUndefined();
    expect(r.output).toBe(output);
  });

  it("gives a def the reference's last output: the str() of the closure its interpreter builds", async () => {
    await ex.reset();
    const r = await ex.run("def f():\n    return 1");
    expect(r.error).toBeUndefined();
    expect(r.output).toMatch(/^<function create_function\.<locals>\.new_func at 0x[0-9a-f]+>$/);
    expect((await ex.run("async def g():\n    return 1")).output).toMatch(/^<function create_function/);
  });

  it("captures prints as the reference does (space-joined + newline, sep/end ignored)", async () => {
    const r = await ex.run("print('a', 1)\nprint('b', end='')\nprint()");
    expect(r.logs).toBe("a 1\nb\n\n");
  });

  it("reports the failing top-level statement and keeps earlier prints", async () => {
    const r = await ex.run("print('before')\ny = 1 / 0\nprint('after')");
    expect(r.logs).toBe("before\n");
    expect(r.output).toBe("None");
    expect(r.error).toEqual({
      type: "ZeroDivisionError",
      message: "Code execution failed at line 'y = 1 / 0' due to: ZeroDivisionError: division by zero",
    });
  });

  it("reports a syntax error in the reference's parse-error layout", async () => {
    const r = await ex.run("x = (1 +");
    expect(r.error?.type).toBe("SyntaxError");
    expect(r.error?.message).toMatch(/^Code parsing failed on line 1 due to: SyntaxError\n/);
  });

  it("truncates output and logs keeping head and tail", async () => {
    const r = await ex.run("s = 'a' * 50 + 'b' * 100 + 'c' * 50\nprint(s)\ns");
    const note = (n: number) => `\n..._This content has been truncated to stay below ${n} characters_...\n`;
    expect(r.output).toBe(`${"a".repeat(50)}${note(100)}${"c".repeat(50)}`);
    // logs include print's newline: 201 chars, keep 30 + 30
    expect(r.logs).toBe(`${"a".repeat(30)}${note(60)}${"c".repeat(29)}\n`);
  });

  it("keeps only head and tail of a huge print stream, same result as truncating the whole", async () => {
    const r = await ex.run("for i in range(2000):\n    print('line', i)\n");
    expect(r.logs.startsWith("line 0\nline 1\nline 2\nline 3\nli")).toBe(true);
    expect(r.logs.endsWith("line 1998\nline 1999\n")).toBe(true);
    expect(r.logs).toContain("truncated to stay below 60 characters");
  });

  it("final_answer stops the action and returns JSON values or str()", async () => {
    const r = await ex.run("print('x')\nfinal_answer({'a': [1, 2.5, None, True]})\nprint('never')");
    expect(r.isFinalAnswer).toBe(true);
    expect(r.finalAnswer).toEqual({ a: [1, 2.5, null, true] });
    expect(r.output).toBe("{'a': [1, 2.5, None, True]}");
    expect(r.logs).toBe("x\n");
    const t = await ex.run("final_answer((1, 2))");
    expect(t.finalAnswer).toBe("(1, 2)");
    const big = await ex.run("final_answer(2**80)");
    expect(big.finalAnswer).toBe(String(2n ** 80n));
    const plain = await ex.run("1 + 1");
    expect(plain.isFinalAnswer).toBe(false);
    expect(plain.finalAnswer).toBeUndefined();
  });

  it("final_answer cannot be swallowed by except Exception", async () => {
    const r = await ex.run("try:\n    final_answer(3)\nexcept Exception:\n    pass\n");
    expect(r.isFinalAnswer).toBe(true);
    expect(r.finalAnswer).toBe(3);
  });

  it("refuses to overwrite a tool name", async () => {
    const r = await ex.run("final_answer = 3");
    expect(r.error?.message).toContain("Cannot assign to name 'final_answer'");
  });

  it("user functions and classes see the namespace", async () => {
    await ex.reset();
    await ex.run(
      "base = 10\ndef add(v):\n    return base + v\nclass P:\n    def get(self):\n        return add(1)",
    );
    expect((await ex.run("P().get()")).output).toBe("11");
    expect(
      (await ex.run("class Q(P):\n    def get(self):\n        return super().get() + 1\nQ().get()")).output,
    ).toBe("12");
  });
});

describe("web_search without a shard", () => {
  it("raises a clear Python exception", async () => {
    const r = await ex.run("web_search('capital of France')");
    expect(r.error?.type).toBe("RuntimeError");
    expect(r.error?.message).toContain("no Wikipedia shard is configured");
  });

  it.each([
    ["web_search(3)", "TypeError", "'query' must be a string, not int"],
    ["web_search('   ')", "ValueError", "non-empty string"],
    ["web_search()", "TypeError", "missing required argument"],
    ["web_search('a', 'b')", "TypeError", "exactly one argument"],
  ])("validates %s", async (code, type, text) => {
    const r = await ex.run(code);
    expect(r.error?.type).toBe(type);
    expect(r.error?.message).toContain(text);
  });
});

describe("isolated candidates", () => {
  it("runs each candidate on its own copy and commits without re-running", async () => {
    await ex.reset();
    await ex.run("items = [1]\ncount = 0\ndef bump():\n    global count\n    count += 1\n    return count");
    const a = await ex.runCandidate("items.append(2)\nbump()\nprint(items, count)");
    const b = await ex.runCandidate("items.append(3)\nprint(items, count)");
    expect(a.logs).toBe("[1, 2] 1\n");
    expect(b.logs).toBe("[1, 3] 0\n");
    expect(a.reused).toBe(false);
    const again = await ex.runCandidate("items.append(2)\nbump()\nprint(items, count)");
    expect(again.reused).toBe(true);
    expect(again.candidateId).toBe(a.candidateId);
    expect(again.logs).toBe(a.logs);
    // The committed namespace is untouched until commit.
    expect((await ex.run("(items, count)")).output).toBe("([1], 0)");
    await ex.commitCandidate(a.candidateId);
    // Adopted as is: not executed again (count would be 2 and items [1, 2, 2]).
    expect((await ex.run("(items, count)")).output).toBe("([1, 2], 1)");
    await expect(ex.commitCandidate(b.candidateId)).rejects.toThrow(/no pending candidate/);
  });

  it("keeps aliasing inside a candidate copy", async () => {
    await ex.reset();
    await ex.run("a = [1]\nb = a");
    const c = await ex.runCandidate("a.append(2)\nb");
    expect(c.output).toBe("[1, 2]");
    await ex.discardCandidates();
    expect((await ex.run("b")).output).toBe("[1]");
  });

  it("reports errors and final answers per candidate", async () => {
    await ex.reset();
    const bad = await ex.runCandidate("print('p')\n1/0");
    const done = await ex.runCandidate("final_answer('x')");
    expect(bad.error?.type).toBe("ZeroDivisionError");
    expect(bad.logs).toBe("p\n");
    expect(done.isFinalAnswer).toBe(true);
    expect(done.finalAnswer).toBe("x");
    await ex.discardCandidates();
  });
});

describe("bad input", () => {
  it("rejects non-string code with a clear error and keeps working", async () => {
    await expect(ex.run(42 as unknown as string)).rejects.toThrow(/code must be a string/);
    await expect(ex.run("1", { timeoutMs: -1 })).rejects.toThrow(/timeoutMs must be a positive number/);
    expect((await ex.run("2")).output).toBe("2");
  });

  it("rejects bad options at creation", async () => {
    await expect(createNodeExecutor({ maxOutputChars: 0 })).rejects.toThrow(/maxOutputChars/);
    await expect(createNodeExecutor({ authorizedImports: [""] })).rejects.toThrow(/authorizedImports/);
  });
});

describe("set-up failure", () => {
  it("rejects with the reason when Pyodide cannot be loaded", async () => {
    await expect(createNodeExecutor({ indexURL: "/nonexistent/pyodide/" })).rejects.toThrow(
      /python worker: set-up failed/,
    );
  });
});
