/**
 * Math answer equivalence with the reference's verdicts (Nardien/agent-distillation scores math with
 * the Qwen-math `math_equal`, after `math-answer.ts` picks the graded text). The rules, in order:
 *
 * 1. equal after trimming and lower-casing;
 * 2. a gold letter A-E matches the last standalone letter A-E of the prediction (`\text{(C)}` vs `C`);
 * 3. when both sides are plain numbers (Python float syntax, commas dropped, `50%` / `50\%` = 0.5):
 *    relative tolerance 1e-4 against gold, gold/100 and gold*100 — and no further rule when both are numbers;
 * 4. an empty prediction is wrong;
 * 5. with `\left`, `\right`, `\text`, braces, parentheses (and enclosing brackets in some cases) and
 *    spaces removed, equal ignoring case;
 * 6. `(...)`/`[...]` on both sides: split at every comma, the same count, each pair by these rules;
 * 7. two matrices (pmatrix/bmatrix): same shape, each entry by these rules;
 * 8. one `=` on both sides: `lhs - (rhs)` symbolically equal (or its negation); `x = v` against a value
 *    without `=` (left side of at most two characters): `v` by these rules;
 * 9. symbolic equality (`symbolic.ts` in Pyodide, each check with a time limit; a timeout is "not equal").
 *
 * The rules live in one generator that yields each symbolic comparison it needs, so the same code runs
 * synchronously without Python (`mathEqual`: symbolic checks answered by `approxSymbolicEqual`, numbers
 * and text only) and asynchronously with sympy (`mathEqualAsync`).
 */
import { gradedAnswerText, pythonStr } from "./math-answer.ts";
import { approxSymbolicEqual } from "./math-latex.ts";

export { extractAnswer, gradedAnswerText, stripString } from "./math-answer.ts";

/** Relative tolerance of numeric comparison (the reference's isclose(rel_tol=1e-4)). */
export const MATH_REL_TOL = 1e-4;

/** Decides whether two answer texts are symbolically equal (the reference's `symbolic_equal`). */
export type SymbolicEqual = (a: string, b: string, signal?: AbortSignal) => Promise<boolean>;

interface SymbolicRequest {
  a: string;
  b: string;
}

type Steps = Generator<SymbolicRequest, boolean, boolean>;

/** Python's math.isclose with rel_tol only. */
export function numbersClose(a: number, b: number, relTol = MATH_REL_TOL): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= relTol * Math.max(Math.abs(a), Math.abs(b));
}

const PY_FLOAT = /^[+-]?(?:(?:\d(?:_?\d)*)(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;

/** Python's float() of a text, or null where it raises. */
export function pythonFloat(text: string): number | null {
  const s = text.trim();
  if (PY_FLOAT.test(s)) return Number(s.replace(/_/g, ""));
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (!special) return null;
  if (special[2]!.toLowerCase() === "nan") return Number.NaN;
  return special[1] === "-" ? -Infinity : Infinity;
}

/** A plain number: commas dropped, then float(), or a percentage (`50%`, `50\%`) as a fraction. */
export function parseDigits(text: string): number | null {
  let s = text.replace(/,/g, "");
  const value = pythonFloat(s);
  if (value !== null) return value;
  if (!s.endsWith("%")) return null;
  s = s.slice(0, -1);
  if (s.endsWith("\\")) s = s.slice(0, -1);
  const pct = pythonFloat(s);
  return pct === null ? null : pct / 100;
}

/** The letter a multiple-choice prediction names: its last standalone A-E, else the cleaned text. */
export function choiceAnswer(pred: string): string {
  let s = pred
    .replace(/^\n+|\n+$/g, "")
    .replace(/\.+$/, "")
    .replace(/\/+$/, "");
  s = s.replace(/^ +| +$/g, "").replace(/^:+/, "");
  const letters = s.toUpperCase().match(/(?<![\p{L}\p{N}_])[A-E](?![\p{L}\p{N}_])/gu);
  const picked = letters ? letters[letters.length - 1]! : s.trim().replace(/^\.+|\.+$/g, "");
  return picked.replace(/\.+$/, "").replace(/\/+$/, "");
}

const pyStrip = (s: string) => s.trim();
const pyLen = (s: string) => [...s].length;
const count = (s: string, sub: string) => s.split(sub).length - 1;

/** The reference's rewrite of a gold answer into pmatrix form when only the prediction is a matrix. */
function toPmatrix(text: string): string {
  const found = /\{.*,.*\}/.exec(text.trim());
  if (!found) return "";
  const inner = found[0].replace(/^[{}]+|[{}]+$/g, "");
  return `\\begin{pmatrix}${inner.replace(/,/g, "\\")}\\end{pmatrix}`;
}

function stripChars(s: string, chars: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && chars.includes(s[start]!)) start++;
  while (end > start && chars.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

const MATRIX_BEGIN = /^\\begin\{[pb]matrix\}/;
const MATRIX_END = /\\end\{[pb]matrix\}$/;

function* equalSteps(prediction: string, reference: string): Steps {
  if (pyStrip(prediction).toLowerCase() === pyStrip(reference).toLowerCase()) return true;
  if (["A", "B", "C", "D", "E"].includes(reference) && choiceAnswer(prediction) === reference) return true;

  const p = parseDigits(prediction);
  const r = parseDigits(reference);
  if (p !== null && r !== null) return [r / 100, r, r * 100].some((g) => numbersClose(g, p));

  if (prediction === "") return false;

  const pred = pyStrip(prediction);
  let ref = pyStrip(reference);
  if (pred.includes("pmatrix") && !ref.includes("pmatrix")) ref = toPmatrix(ref);

  let predStr = pred;
  let refStr = ref;
  for (const s of ["\\left", "\\right", "\\text"]) {
    predStr = predStr.replaceAll(s, "");
    refStr = refStr.replaceAll(s, "");
  }
  if (
    (pred.startsWith("[") && pred.endsWith("]") && !ref.startsWith("(")) ||
    (pred.startsWith("(") && pred.endsWith(")") && !ref.startsWith("["))
  ) {
    predStr = stripChars(predStr, "[]()");
    refStr = stripChars(refStr, "[]()");
  }
  predStr = predStr.replace(/[{}() ]/g, "");
  refStr = refStr.replace(/[{}() ]/g, "");
  if (predStr.toLowerCase() === refStr.toLowerCase()) return true;

  const bracketed = /^[([].+[)\]]/;
  if (bracketed.test(pred) && bracketed.test(ref)) {
    const predParts = pred.slice(1, -1).split(",");
    const refParts = ref.slice(1, -1).split(",");
    if (predParts.length === refParts.length) {
      let all = true;
      for (let i = 0; i < predParts.length; i++) {
        if (!(yield* equalSteps(predParts[i]!, refParts[i]!))) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
  }

  if (MATRIX_BEGIN.test(pred) && MATRIX_END.test(pred) && MATRIX_BEGIN.test(ref) && MATRIX_END.test(ref)) {
    const rows = (m: string) =>
      m
        .slice("\\begin{pmatrix}".length, -"\\end{pmatrix}".length)
        .split("\\\\")
        .map((line) => line.trim())
        .filter((line) => line !== "");
    const predRows = rows(pred);
    const refRows = rows(ref);
    let matched = predRows.length === refRows.length;
    for (let i = 0; matched && i < predRows.length; i++) {
      const a = predRows[i]!.split("&");
      const b = refRows[i]!.split("&");
      if (a.length !== b.length) matched = false;
      for (let j = 0; matched && j < a.length; j++) {
        if (!(yield* equalSteps(a[j]!, b[j]!))) matched = false;
      }
    }
    if (matched) return true;
  }

  if (count(pred, "=") === 1 && count(ref, "=") === 1) {
    const [pl, pr] = pred.split("=") as [string, string];
    const [rl, rr] = ref.split("=") as [string, string];
    const predDiff = `${pl.trim()} - (${pr.trim()})`;
    const refDiff = `${rl.trim()} - (${rr.trim()})`;
    if (yield { a: predDiff, b: refDiff }) return true;
    if (yield { a: `-(${predDiff})`, b: refDiff }) return true;
  } else if (count(pred, "=") === 1 && pyLen(pred.split("=")[0]!.trim()) <= 2 && !ref.includes("=")) {
    if (yield* equalSteps(pred.split("=")[1]!, ref)) return true;
  } else if (count(ref, "=") === 1 && pyLen(ref.split("=")[0]!.trim()) <= 2 && !pred.includes("=")) {
    if (yield* equalSteps(pred, ref.split("=")[1]!)) return true;
  }

  return yield { a: pred, b: ref };
}

/** The graded texts of a prediction and a gold answer (see math-answer.ts). */
export function gradedPair(predicted: unknown, gold: unknown): { pred: string; gold: string } | null {
  // A missing prediction is graded as Python's "None", as the reference's str(None) is.
  if (gold === null || gold === undefined) return null;
  return { pred: gradedAnswerText(predicted), gold: pythonStr(gold) };
}

/**
 * The verdict without Python: every rule above, with symbolic checks reduced to what can be decided
 * in TypeScript (equal texts, or both sides constant expressions with close values; see math-latex.ts).
 */
export function mathEqual(predicted: unknown, gold: unknown): boolean {
  const pair = gradedPair(predicted, gold);
  if (!pair) return false;
  return mathEqualTexts(pair.pred, pair.gold);
}

/** `mathEqual` on already graded texts. */
export function mathEqualTexts(pred: string, gold: string): boolean {
  const steps = equalSteps(pred, gold);
  let next = steps.next();
  while (!next.done) next = steps.next(approxSymbolicEqual(next.value.a, next.value.b));
  return next.value;
}

/** The verdict with symbolic checks answered by `symbolic` (sympy); without it, as `mathEqual`. */
export async function mathEqualAsync(
  predicted: unknown,
  gold: unknown,
  symbolic?: SymbolicEqual,
  signal?: AbortSignal,
): Promise<boolean> {
  const pair = gradedPair(predicted, gold);
  if (!pair) return false;
  if (!symbolic) return mathEqualTexts(pair.pred, pair.gold);
  return mathEqualTextsAsync(pair.pred, pair.gold, symbolic, signal);
}

export async function mathEqualTextsAsync(
  pred: string,
  gold: string,
  symbolic: SymbolicEqual,
  signal?: AbortSignal,
): Promise<boolean> {
  const steps = equalSteps(pred, gold);
  let next = steps.next();
  while (!next.done) {
    // Cheap cases first: equal texts or constant values decide without Python.
    const { a, b } = next.value;
    const verdict = approxSymbolicEqual(a, b) || (await symbolic(a, b, signal));
    next = steps.next(verdict);
  }
  return next.value;
}
