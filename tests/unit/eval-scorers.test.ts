/**
 * Scorers on real answers from the reference's benchmark files (read in place from ../shared) and on
 * the normalisations that trip string comparison.
 */
import { describe, expect, it } from "vitest";
import { parseBenchmark } from "../../src/eval/benchmark.ts";
import { exactMatch, f1Score, normalizeAnswer } from "../../src/eval/factual.ts";
import { extractAnswer, mathEqual, stripString } from "../../src/eval/math.ts";
import { scoreAnswer } from "../../src/eval/score.ts";
import { sharedText } from "../support/shared.ts";

const bench = (file: string) => parseBenchmark(sharedText(`data/benchmarks/${file}`), file);
const gold = (file: string, id: string) => {
  const example = bench(file).examples.find((e) => e.id === id);
  if (!example) throw new Error(`${file} has no example ${id}`);
  return example.answer;
};

describe("factual EM / F1 (SQuAD normalisation)", () => {
  it("normalises case, punctuation, articles and whitespace", () => {
    expect(normalizeAnswer("  The Titan-IIIE,  rocket. ")).toBe("titaniiie rocket");
    expect(normalizeAnswer("An Apple a day")).toBe("apple day");
  });

  it("matches real Bamboogle / MuSiQue / HotpotQA answers written differently", () => {
    expect(exactMatch("James Madison", String(gold("bamboogle_125_20250507.json", "0")))).toBe(true);
    expect(exactMatch("Titan IIIE.", String(gold("bamboogle_125_20250507.json", "1")))).toBe(true);
    expect(
      exactMatch("denver", String(gold("musique_500_20250504.json", "3hop1__454441_55349_651302"))),
    ).toBe(true);
    const coahuila = String(gold("hotpotqa_500_20250422.json", "5a85eed75542996432c5713b"));
    expect(coahuila).toBe("Coahuila, Mexico");
    expect(exactMatch("Coahuila Mexico", coahuila)).toBe(true);
    expect(exactMatch("Mexico", coahuila)).toBe(false);
    expect(f1Score("Mexico", coahuila)).toBeCloseTo(2 / 3, 10);
  });

  it("gives F1 partial credit by token overlap, and none for yes/no mismatches", () => {
    expect(f1Score("President Nixon", "President Richard Nixon")).toBeCloseTo(0.8, 10);
    expect(f1Score("no", "yes")).toBe(0);
    expect(f1Score("yes it is", "yes")).toBe(0);
    expect(f1Score("yes", "Yes.")).toBe(1);
    expect(f1Score("", "Denver")).toBe(0);
  });

  it("scores a factual final answer with EM and F1", () => {
    expect(scoreAnswer("fact", "Cahiers du cinéma", "Cahiers du cinéma")).toMatchObject({
      correct: true,
      em: 1,
      f1: 1,
    });
    expect(scoreAnswer("fact", "the Cahiers", "Cahiers du cinéma")).toMatchObject({ correct: false, em: 0 });
    expect(scoreAnswer("fact", null, "Denver")).toMatchObject({ correct: false, em: 0, f1: 0 });
  });
});

describe("math: answer extraction (the reference's score_answers.py + Qwen-math parser)", () => {
  it("takes the last boxed group with nested braces, normalised", () => {
    expect(extractAnswer("first \\boxed{1}, so the answer is \\boxed{\\frac{9}{14}}.")).toBe("\\frac{9}{14}");
    expect(extractAnswer("$\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}$")).toBe("(3,\\frac{\\pi}{2})");
    expect(extractAnswer("\\boxed 42$")).toBe("42");
    // An unclosed box keeps everything after it (the old grader gave up).
    expect(extractAnswer("\\boxed{unclosed")).toBe("unclosed");
  });

  it("extracts only from a string containing 'boxed' (\\fbox is graded as written, unlike the old grader)", () => {
    expect(scoreAnswer("math", "\\fbox{7}", "7")).toMatchObject({ extracted: "\\fbox{7}", correct: false });
    expect(scoreAnswer("math", "so \\boxed{9}", "9")).toEqual({ correct: true, extracted: "9" });
  });
});

describe("math: the parser's normalisation (strip_string)", () => {
  // Corrected where the old grader went further than the reference: "30°" keeps its sign, "1,000,000"
  // keeps its commas (the number rule drops them later), and unit words are removed only from a list.
  it.each([
    ["\\dfrac{17}{50}", "\\frac{17}{50}"],
    ["\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"],
    ["90^\\circ", "90"],
    ["145^{\\circ}", "145"],
    ["30°", "30°"],
    ["\\frac{270}7\\text{ degrees}", "\\frac{270}7"],
    ["\\text{Evelyn}", "Evelyn"],
    ["11\\sqrt2", "11\\sqrt{2}"],
    ["\\frac12", "\\frac{1}{2}"],
    ["x = 5", "5"],
    ["8.0", "8"],
    ["13138980.00", "13138980"],
    ["1,000,000", "1,000,000"],
    ["$18$ dollars", "18dollars"],
    ["18 inches", "18"],
    ["50\\%", "50"],
    [".5", "0.5"],
  ])("%s -> %s", (input, expected) => {
    expect(stripString(input)).toBe(expected);
  });
});

describe("math equivalence on real answers", () => {
  const MATH = "math_500_20250414.json";
  it("accepts the same value written another way", () => {
    expect(mathEqual("The answer is $\\boxed{(3, \\frac{\\pi}{2})}$", gold(MATH, "0"))).toBe(true);
    expect(mathEqual("\\boxed{\\frac{14}{3}}", gold(MATH, "2"))).toBe(true);
    expect(mathEqual("14/3", gold(MATH, "2"))).toBe(true);
    expect(mathEqual("4.666666", gold(MATH, "2"))).toBe(true);
    expect(mathEqual("\\frac{17}{50}", gold(MATH, "162"))).toBe(true);
    expect(mathEqual("0.34", gold(MATH, "162"))).toBe(true);
    expect(mathEqual("11 \\sqrt{2}", gold(MATH, "31"))).toBe(true);
    expect(mathEqual("(6, 31, -1)", gold(MATH, "60"))).toBe(true);
    expect(mathEqual("Evelyn", gold(MATH, "4"))).toBe(true);
  });

  it("rejects different values", () => {
    expect(mathEqual("\\boxed{\\frac{3}{14}}", gold(MATH, "2"))).toBe(false);
    expect(mathEqual("(3, \\pi)", gold(MATH, "0"))).toBe(false);
    expect(mathEqual("(6, 31)", gold(MATH, "60"))).toBe(false);
    expect(mathEqual("10\\sqrt{2}", gold(MATH, "31"))).toBe(false);
    expect(mathEqual("", gold(MATH, "3"))).toBe(false);
    expect(mathEqual(null, gold(MATH, "3"))).toBe(false);
  });

  it("rejects what the reference rejects even where the old grader accepted", () => {
    // Gold "90^\circ" is never normalised; sympy's LaTeX parser reads it as 90**circ, not 90.
    expect(gold(MATH, "7")).toBe("90^\\circ");
    expect(mathEqual("90", gold(MATH, "7"))).toBe(false);
    expect(mathEqual("\\boxed{90^\\circ}", gold(MATH, "7"))).toBe(false);
    expect(mathEqual("90^\\circ", gold(MATH, "7"))).toBe(true);
    // Same with a unit inside the gold.
    expect(gold(MATH, "166")).toBe("\\frac{270}7\\text{ degrees}");
    expect(mathEqual("\\frac{270}{7}", gold(MATH, "166"))).toBe(false);
  });

  it("follows the reference's percentage rule: between plain numbers only", () => {
    expect(mathEqual("0.5", "50")).toBe(true);
    expect(mathEqual("5", "50")).toBe(false);
    // The old grader applied it to evaluated expressions too (75 vs 3/4); the reference does not.
    expect(mathEqual("75", "\\frac{3}{4}")).toBe(false);
  });

  it("compares GSM-Hard float answers with a relative tolerance", () => {
    const GSM = "gsm_hard_500_20250507.json";
    expect(gold(GSM, "1309")).toBe(13138980);
    expect(mathEqual(13138980, gold(GSM, "1309"))).toBe(true);
    expect(mathEqual("13,138,980", gold(GSM, "1309"))).toBe(true);
    expect(mathEqual("\\boxed{13138980}", gold(GSM, "1309"))).toBe(true);
    expect(gold(GSM, "457")).toBe(561161.7000000001);
    expect(mathEqual("561161.7", gold(GSM, "457"))).toBe(true);
    expect(mathEqual(5031.98, gold(GSM, "1209"))).toBe(true);
    expect(mathEqual(5041.98, gold(GSM, "1209"))).toBe(false);
  });

  it("handles AIME integers and OlymMATH expressions", () => {
    expect(mathEqual("\\boxed{116}", gold("aime_90_20250504.json", "0"))).toBe(true);
    expect(mathEqual("\\boxed{117}", gold("aime_90_20250504.json", "0"))).toBe(false);
    const OLYM = "olymath_200_20250511.json";
    expect(mathEqual("\\boxed{-14+4\\sqrt{15}}", gold(OLYM, "1"))).toBe(true);
    expect(mathEqual("3.6", gold(OLYM, "3"))).toBe(true);
    expect(mathEqual("131072", gold(OLYM, "9"))).toBe(true);
    expect(mathEqual("[-\\frac18, \\frac{1}{8}]", gold(OLYM, "8"))).toBe(true);
    expect(mathEqual("[-\\frac18, \\frac{1}{4}]", gold(OLYM, "8"))).toBe(false);
    // The reference compares the elements only, so the bracket kind does not matter.
    expect(mathEqual("(-\\frac18, \\frac{1}{8})", gold(OLYM, "8"))).toBe(true);
  });

  // Plain-number sets: every gold answer, boxed in a sentence, matches itself. (The MATH-style sets
  // are not all accepted, by the reference either: a boxed answer is normalised and the gold is not,
  // so e.g. a boxed "90^\circ" is graded as "90" against the gold "90^\circ".)
  it.each(["gsm_hard_500_20250507.json", "aime_90_20250504.json"])(
    "accepts every gold answer of %s in a boxed sentence",
    (file) => {
      const rejected = bench(file)
        .examples.filter((e) => !mathEqual(`The answer is $\\boxed{${e.answer}}$.`, e.answer))
        .map((e) => e.id);
      expect(rejected).toEqual([]);
    },
  );

  it("accepts every MATH-500 gold answer given unboxed as final_answer(gold)", () => {
    const rejected = bench(MATH)
      .examples.filter((e) => !mathEqual(String(e.answer), e.answer))
      .map((e) => e.id);
    expect(rejected).toEqual([]);
  });
});
