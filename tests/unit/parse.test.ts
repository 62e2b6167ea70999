import { describe, expect, it } from "vitest";
import { assistantText, fixFinalAnswerVariable, parseStep } from "../../src/agent/parse.ts";

describe("parseStep: completions a small student writes", () => {
  it("reads a well-formed step", () => {
    const p = parseStep(
      "Thought: I will compute the product first.\nCode:\n```py\nx = 17 * 23\nprint(x)\n```",
    );
    expect(p).toMatchObject({
      thought: "Thought: I will compute the product first.\nCode:",
      code: "x = 17 * 23\nprint(x)",
      unfenced: false,
    });
    expect(p.repairs).toEqual([]);
  });

  it("accepts ```python and bare ``` fences and joins several blocks with a blank line", () => {
    const p = parseStep(
      'Thought: two searches.\nCode:\n```python\na = web_search(query="Ed Wood birth year")\nprint(a)\n```\nand\n```\nb = 2\n```',
    );
    expect(p.code).toBe('a = web_search(query="Ed Wood birth year")\nprint(a)\n\nb = 2');
    expect(p.repairs).toContain("2 code blocks joined");
  });

  it("takes the code of an unclosed last fence (length limit or <end_code> without the fence)", () => {
    const p = parseStep(
      'Thought: search.\nCode:\n```py\nr = web_search(query="Scott Derrickson nationality")\nprint(r)\n',
    );
    expect(p.code).toBe('r = web_search(query="Scott Derrickson nationality")\nprint(r)');
    expect(p.repairs).toContain("unclosed code fence");
  });

  it("drops a hallucinated observation after the code", () => {
    const p = parseStep(
      "Thought: add.\nCode:\n```py\nprint(2 + 2)\n```\nObservation: 4\nThought: done\n```py\nfinal_answer(4)\n```",
    );
    expect(p.code).toBe("print(2 + 2)");
    expect(p.repairs).toContain("text after a stop sequence dropped");
  });

  it("returns no code for prose, so the loop can feed back a parse error", () => {
    expect(parseStep("Thought: a parse problem next.\nNo code here.")).toMatchObject({ code: null });
    expect(parseStep("Thought: The answer is Paris.")).toMatchObject({ code: null });
    expect(parseStep("")).toMatchObject({ code: null, thought: "" });
    expect(parseStep("Final Answer: The capital of France is Paris")).toMatchObject({ code: null });
  });

  it("offers unfenced text as code, for the executor's parser to judge (reference behaviour)", () => {
    const p = parseStep("result = 3 * 7\nfinal_answer(result)");
    expect(p).toMatchObject({ code: "result = 3 * 7\nfinal_answer(result)", unfenced: true });
  });

  it("ignores fences of other languages", () => {
    expect(parseStep("Thought: shell.\n```bash\nls\n```").code).toBeNull();
  });

  it("renames final_answer used as a variable when the action also calls it", () => {
    const p = parseStep("Thought: x\nCode:\n```py\nfinal_answer = 6 * 7\nfinal_answer(final_answer)\n```");
    expect(p.code).toBe("final_answer_variable = 6 * 7\nfinal_answer(final_answer_variable)");
    expect(fixFinalAnswerVariable("final_answer = 3\nprint(final_answer)")).toBe(
      "final_answer = 3\nprint(final_answer)",
    );
    expect(fixFinalAnswerVariable("if final_answer == 3: final_answer(1)")).toBe(
      "if final_answer == 3: final_answer(1)",
    );
  });
});

describe("assistantText", () => {
  it("appends <end_code> after a closing fence, as the reference stores it", () => {
    expect(assistantText("Thought: t\nCode:\n```py\nx = 1\n```\n")).toBe(
      "Thought: t\nCode:\n```py\nx = 1\n```<end_code>",
    );
    expect(assistantText("Thought: no code")).toBe("Thought: no code");
  });

  it("cuts text the engine produced past a stop sequence", () => {
    expect(assistantText("Thought: t\n```py\nx=1\n```<end_code>\nObservation: 1")).toBe(
      "Thought: t\n```py\nx=1\n```<end_code>",
    );
  });
});
