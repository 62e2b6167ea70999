/**
 * The math grader against the reference's verdicts (tests/unit/math-grader-table.ts), without Python:
 * every pair the reference decides before its symbolic rule, and the symbolic pairs it rejects (the
 * TypeScript stand-in for sympy must never accept what sympy rejects). The symbolic pairs run through
 * real sympy in tests/integration/math-grader.test.ts.
 */
import { describe, expect, it } from "vitest";
import { choiceAnswer, mathEqual, mathEqualAsync, parseDigits } from "../../src/eval/math.ts";
import {
  convertWordNumber,
  extractAnswer,
  gradedAnswerText,
  stripString,
} from "../../src/eval/math-answer.ts";
import { createScorer } from "../../src/eval/score.ts";
import { MATH_GRADER_TABLE } from "./math-grader-table.ts";

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

describe("math grader table", () => {
  it("has at least 80 pairs, both verdicts, and symbolic pairs", () => {
    expect(MATH_GRADER_TABLE.length).toBeGreaterThanOrEqual(80);
    expect(MATH_GRADER_TABLE.filter((c) => c.verdict).length).toBeGreaterThan(30);
    expect(MATH_GRADER_TABLE.filter((c) => !c.verdict).length).toBeGreaterThan(30);
    expect(MATH_GRADER_TABLE.filter((c) => c.sympy).length).toBeGreaterThan(30);
  });

  const decidedWithoutSympy = MATH_GRADER_TABLE.filter((c) => !c.sympy || !c.verdict);
  it.each(decidedWithoutSympy.map((c) => [show(c.pred), show(c.gold), c.verdict, c] as const))(
    "%s vs %s -> %s",
    async (_p, _g, verdict, c) => {
      expect(mathEqual(c.pred, c.gold)).toBe(verdict);
      // The scorer without a symbolic checker gives the same verdict.
      const score = await createScorer()("math", c.pred, { question: "", answer: c.gold });
      expect(score.correct).toBe(verdict);
    },
  );

  it("asks the symbolic checker only what the rules leave open", async () => {
    const asked: [string, string][] = [];
    const symbolic = async (a: string, b: string) => {
      asked.push([a, b]);
      return true;
    };
    expect(await mathEqualAsync("13,138,980", 13138980, symbolic)).toBe(true);
    expect(await mathEqualAsync("5041.98", 5031.98, symbolic)).toBe(false);
    expect(asked).toEqual([]);
    // Both equation forms (and the negated one) before the whole texts.
    const refuse = async (a: string, b: string) => {
      asked.push([a, b]);
      return false;
    };
    expect(await mathEqualAsync("y = 2x + 3", "2x - y = -3", refuse)).toBe(false);
    expect(asked).toEqual([
      ["y - (2x + 3)", "2x - y - (-3)"],
      ["-(y - (2x + 3))", "2x - y - (-3)"],
      ["y = 2x + 3", "2x - y = -3"],
    ]);
  });
});

describe("answer extraction (score_answers.py + the Qwen-math parser)", () => {
  it.each([
    ["\\boxed{18 \\text{ dollars}}", "18"],
    ["so $\\boxed{\\dfrac{3}{4}}$.", "\\frac{3}{4}"],
    ["\\boxed{\\left[ 1, 2 \\right)}", "[1,2)"],
    ["\\boxed 42$ and more", "42"],
    ["\\boxed{x\\in [0, 1]}", "[0,1]"],
    // "x\\in" is dropped only when written without a space (spaces go last).
    ["\\boxed{x \\in [0, 1]}", "x\\in[0,1]"],
    ["\\boxed{\\text{(C)}}", "(C)"],
    ["\\boxed{a}", "a"],
    ["\\boxed{\\frac{a}{b}}", "\\frac{}{b}"],
    ["\\boxed{band}", "b"],
    ["\\boxed{.5}", "0.5"],
    ["\\boxed{2.50}", "2.50"],
    ["\\boxed{2.00 m}", "2"],
    ["no box: 18 dollars", "no box: 18 dollars"],
  ])("%s -> %s", (input, expected) => {
    expect(gradedAnswerText(input)).toBe(expected);
  });

  it("grades values that are not strings as Python's str()", () => {
    expect(gradedAnswerText(42)).toBe("42");
    expect(gradedAnswerText(0.1)).toBe("0.1");
    expect(gradedAnswerText(1e-5)).toBe("1e-05");
    expect(gradedAnswerText(null)).toBe("None");
    expect(gradedAnswerText(true)).toBe("True");
    expect(gradedAnswerText([1, "a"])).toBe("[1, 'a']");
    expect(gradedAnswerText({ x: 1 })).toBe("{'x': 1}");
  });

  it("keeps the parser's quirks", () => {
    expect(extractAnswer("\\boxed{}")).toBe("");
    expect(stripString("\\frac{1}{2}.")).toBe("\\frac{1}{2}");
    expect(stripString("1/2")).toBe("\\frac{1}{2}");
    expect(stripString("01/2")).toBe("01/2");
    expect(stripString("\\sqrt{2}/2")).toBe("\\frac{\\sqrt{2}}{2}");
    expect(convertWordNumber("two hundred thousand")).toBe("200000");
    expect(convertWordNumber("one point five")).toBe("1.5");
    expect(convertWordNumber("007")).toBe("7");
    expect(convertWordNumber("x")).toBe("x");
  });

  it("reads numbers as Python's float() does, and multiple-choice letters", () => {
    expect(parseDigits("1,000.5")).toBe(1000.5);
    expect(parseDigits(" 12 ")).toBe(12);
    expect(parseDigits("1_0")).toBe(10);
    expect(parseDigits("25\\%")).toBe(0.25);
    expect(parseDigits("1__0")).toBeNull();
    expect(parseDigits("\\frac12")).toBeNull();
    expect(choiceAnswer("The answer is (C).")).toBe("C");
    expect(choiceAnswer("ANSWER")).toBe("ANSWER");
  });
});
