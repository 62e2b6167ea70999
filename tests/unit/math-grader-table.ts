/**
 * (prediction, gold, reference verdict) for the math grader. Each verdict follows the reference's code
 * (Nardien/agent-distillation: score_answers.py extracts a boxed answer only from a string containing
 * "boxed", else grades str() of the value; then qwen_math_grader.math_equal(pred, gold, timeout=True)).
 * The comment above each group names the rule of the reference that decides it.
 *
 * `sympy: true` marks pairs decided by the reference's symbolic_equal, i.e. by sympy's LaTeX parser
 * (where every letter, `i`, `e` and `\pi` included, is a free symbol) and then, in order: equal text or
 * structure, `equals`/`simplify(a - b) == 0`, |lhs - rhs| for equations, numeric values within 1e-4,
 * matrices rounded to 3 decimals. Those run through real sympy in tests/integration/math-grader.test.ts;
 * the others need no Python and also run in tests/unit/math-grader.test.ts.
 */
export interface GraderCase {
  pred: unknown;
  gold: string | number;
  verdict: boolean;
  sympy?: true;
}

const c = (pred: unknown, gold: string | number, verdict: boolean, sympy?: "sympy"): GraderCase =>
  sympy ? { pred, gold, verdict, sympy: true } : { pred, gold, verdict };

export const MATH_GRADER_TABLE: GraderCase[] = [
  // Extraction (score_answers.py): a boxed answer goes through extract_answer + strip_string, which
  // drops a trailing \text{unit}, known unit words, \$, degrees, \%, and turns \dfrac / \frac12 / 1/2,
  // \sqrt2, word numbers, "x =" and j (for i) into canonical text; the gold is never normalised.
  c("\\boxed{18 \\text{ dollars}}", "18", true),
  c("The answer is \\boxed{18} dollars.", "18", true),
  c("\\boxed{12 inches}", "12", true),
  c("\\boxed{\\$18}", "18", true),
  c("\\boxed{50\\%}", "50", true),
  c("\\boxed{90^\\circ}", "90", true),
  c("\\boxed{\\dfrac{1}{2}}", "\\frac{1}{2}", true),
  c("\\boxed{\\frac12}", "\\frac{1}{2}", true),
  c("\\boxed{1/2}", "\\frac{1}{2}", true),
  c("\\boxed{\\sqrt2}", "\\sqrt{2}", true),
  c("\\boxed{x = 5}", "5", true),
  c("\\boxed{k=5}", "5", true),
  c("\\boxed{\\text{Evelyn}}", "Evelyn", true),
  c("\\boxed{five}", "5", true),
  c("\\boxed{twenty-one}", "21", true),
  c("\\boxed{3+4j}", "3+4i", true),
  c("\\boxed{4.0}", "4", true),
  c("\\boxed{1,000}", "1000", true),
  c("\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "\\left( 3, \\frac{\\pi}{2} \\right)", true),
  c("\\boxed{(-\\infty,\\infty)}", "\\mathbb{R}", true),
  c("\\boxed{\\text{(C)}}", "C", true),
  // The Minerva form is looked for before the box: "final answer is $5$. I hope".
  c("The final answer is $5$. I hope it is correct. \\boxed{4}", "5", true),
  // ...and the unit words are matched as written ("dollars" is not one of them), so they stay.
  c("\\boxed{18 dollars}", "18", false, "sympy"),
  // \text{five} is unwrapped after the word-number step, so it stays a word.
  c("\\boxed{\\text{five}}", "5", false, "sympy"),

  // Unboxed answers are str() of the value, not normalised: units and words stay, and sympy's parser
  // reads them as products of symbols (18*d*o*l*l*a*r*s), which never equal a number.
  c("18 dollars", "18", false, "sympy"),
  c("12 inches", "12", false, "sympy"),
  c("five", "5", false, "sympy"),
  c("the answer is 7", "7", false, "sympy"),
  c("90^\\circ", "90", false, "sympy"),

  // Multiple choice: a gold letter A-E matches the prediction's last standalone letter (choice rule);
  // a gold \text{(C)} matches C once \text, braces and parentheses are dropped (bracket rule).
  c("C", "\\text{(C)}", true),
  c("\\text{(C)}", "C", true),
  c("The answer is C", "C", true),
  c("(C)", "C", true),
  c("c", "C", true),
  c("(B)", "C", false, "sympy"),
  c("A or C", "A", false, "sympy"),
  c("D", "\\text{(C)}", false, "sympy"),

  // Plain numbers (float() after dropping commas; "50%" and "50\%" are 0.5): isclose(rel_tol=1e-4)
  // against gold, gold/100 and gold*100, and nothing else is tried when both sides are numbers.
  c("13138980", 13138980, true),
  c(13138980, 13138980, true),
  c("13,138,980", 13138980, true),
  c("561161.7", 561161.7000000001, true),
  c(5031.98, 5031.98, true),
  c(5041.98, 5031.98, false),
  c("100.01", "100", true),
  c("100.02", "100", false),
  c("0.5", "50", true),
  c("75", "0.75", true),
  c("5", "50", false),
  c("50%", "0.5", true),
  c("50\\%", "50", true),
  c("1e3", "1000", true),
  c("1_000", "1000", true),
  c("18.0", "18", true),
  c("-0", "0", true),
  c("0.1", "0.2", false),

  // Numbers against expressions: no percentage rule there; symbolic_equal compares numeric values
  // (1e-4), and sympy's parser reads \pi as a free symbol, so it has no numeric value at all.
  c("4.666666", "\\frac{14}{3}", true, "sympy"),
  c("75", "\\frac{3}{4}", false, "sympy"),
  c("\\frac{\\sqrt{3}}{2}", "0.866025", true, "sympy"),
  c("0.866", "\\frac{\\sqrt{3}}{2}", true, "sympy"),
  c("0.87", "\\frac{\\sqrt{3}}{2}", false, "sympy"),
  c("15.556349", "11\\sqrt{2}", true, "sympy"),
  c("3.14159265", "\\pi", false, "sympy"),
  c("3.14", "\\pi", false, "sympy"),
  c("\\pi", "3.14159", false, "sympy"),
  c("2\\pi", "6.283185", false, "sympy"),
  c("1.5708", "\\frac{\\pi}{2}", false, "sympy"),
  c("\\frac{\\pi}{2}", "\\frac{\\pi}{2}", true),
  c(0.5, "\\frac{1}{2}", true, "sympy"),
  c("14/3", "\\frac{14}{3}", true, "sympy"),
  c("\\sqrt{2}/2", "\\frac{\\sqrt{2}}{2}", true, "sympy"),

  // Tuples and intervals: with \left/\right/\text, braces, parentheses and spaces dropped the texts
  // may already agree; else "(...)" / "[...]" on both sides are split at every comma and compared
  // pair by pair (bracket kinds are never compared).
  c("(6, 31, -1)", "(6,31,-1)", true),
  c("[-\\frac18, \\frac{1}{8}]", "[-\\frac{1}{8},\\frac{1}{8}]", true),
  c("[1, 2]", "(1, 2)", true),
  c([1, 2], "(1, 2)", true),
  c("\\{1, 2\\}", "\\{1,2\\}", true),
  c("(1, 4.5)", "(1,\\frac{9}{2})", true, "sympy"),
  c("(0.6,2.6667]", "(\\frac{3}{5},\\frac{8}{3}]", true, "sympy"),
  c("(6, 31)", "(6, 31, -1)", false, "sympy"),
  c("(3, \\pi)", "\\left( 3, \\frac{\\pi}{2} \\right)", false, "sympy"),
  c("[-\\frac18, \\frac{1}{4}]", "[-\\frac{1}{8},\\frac{1}{8}]", false, "sympy"),
  c("(1,2)", "(2,1)", false, "sympy"),

  // Matrices (pmatrix/bmatrix on both sides): the same shape, entry by entry.
  c("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1 & 2\\\\ 3 & 4\\end{pmatrix}", true),
  c("\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", true),
  c(
    "\\begin{pmatrix}0.5&1\\\\3&4\\end{pmatrix}",
    "\\begin{pmatrix}\\frac{1}{2}&1\\\\3&4\\end{pmatrix}",
    true,
    "sympy",
  ),
  c("\\begin{pmatrix}1&2\\\\3&5\\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", false, "sympy"),
  c("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\\\3\\end{pmatrix}", false, "sympy"),
  // A matrix against a tuple gold: the gold is rewritten from "{a,b}" groups, and "(1,2)" has none.
  c("\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}", "(1,2)", false, "sympy"),

  // Equations: one "=" on each side compares lhs - (rhs) symbolically, also negated (so rearranged
  // forms match); "v = ..." with a short left side against a value compares the right side.
  c("y = 2x + 3", "2x - y = -3", true, "sympy"),
  c("-34x-45y+20z-100=0", "34x+45y-20z+100=0", true, "sympy"),
  c("y = 2x + 3", "y = 2x + 4", false, "sympy"),
  c("x = 5", "5", true),
  c("y = x^2", "x^2", true),
  c("5", "x = 5", true),
  c("area = 5", "5", false, "sympy"),

  // Symbolic equality (sympy): expressions with free symbols.
  c("(x+1)^2", "x^2+2x+1", true, "sympy"),
  c("p - q", "-q + p", true, "sympy"),
  c("\\frac{x}{7}+\\frac{2}{7}", "\\frac{x+2}{7}", true, "sympy"),
  c("\\sec^2(y)", "\\tan^2(y)+1", true, "sympy"),
  c("x^2-1", "(x-1)(x+1)", true, "sympy"),
  c("2\\sqrt{2}", "\\sqrt{8}", true, "sympy"),
  c("3+4i", "4i+3", true, "sympy"),
  c(
    "\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{2\\sqrt{33}+15}",
    "\\frac{\\sqrt{\\sqrt{11}+\\sqrt{194}}}{15+2\\sqrt{33}}",
    true,
    "sympy",
  ),
  c("x+1", "x+2n+1", false, "sympy"),
  c("2x", "x", false, "sympy"),
  c("\\frac{1+\\sqrt{5}}{2}", "2", false, "sympy"),
  // `i` and `e` are plain symbols to sympy's LaTeX parser: no complex arithmetic, no Euler identity.
  c("(1+2i)(1-2i)", "5", false, "sympy"),
  c("e^{i\\pi}", "-1", false, "sympy"),

  // The gold is never normalised, and sympy's LaTeX parser reads commands as symbols: a gold in
  // degrees is 90**circ, which neither "90" nor a boxed 90^\circ (normalised to "90") equals; its
  // numbers may group thousands with commas (10,080); a letter before parentheses is a function call.
  c("90", "90^\\circ", false, "sympy"),
  c("\\boxed{90^\\circ}", "90^\\circ", false, "sympy"),
  c("90^\\circ", "90^\\circ", true),
  c("10,080", "10,\\!080", true, "sympy"),
  c("x(x+1)", "x^2+x", false, "sympy"),
  // The unit list holds single letters ("a"), stripped from a boxed answer wherever they stand alone.
  c("\\boxed{(a+5)(b+2)}", "(a+5)(b+2)", false, "sympy"),

  // Python-syntax answers (e.g. str() of a sympy result): sympy's LaTeX parser rejects "**", so its
  // Python parser reads the text; but "sqrt(2)" is valid LaTeX to it: s*q*r*t(2), t a function.
  c("x**2 + 1", "x^2+1", true, "sympy"),
  c("2*x + 1", "1+2x", true, "sympy"),
  c("sqrt(2)/2", "\\frac{\\sqrt{2}}{2}", false, "sympy"),

  // Text and empty answers.
  c("Evelyn", "Evelyn", true),
  c("evelyn", "Evelyn", true),
  c("", "5", false),
  c(null, "5", false, "sympy"),
];
