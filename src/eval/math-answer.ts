/**
 * Which text of a math prediction is graded, as the reference's scorer decides it
 * (Nardien/agent-distillation, score_answers.py + the Qwen2.5-Math parser it imports):
 *
 * - a prediction that is a string containing "boxed" has its answer extracted: the content of the last
 *   "boxed" group (brace-matched), then cleaned by the parser's string normalisation (`stripString`);
 * - anything else is graded as Python's `str()` of the value, with no normalisation at all. So
 *   `final_answer("18 dollars")` is compared as "18 dollars", and `final_answer(42)` as "42".
 *
 * The gold answer is never normalised (only `str()`-ed).
 *
 * Everything here is this project's own code written from the reference's behaviour.
 */

/** Python's `str()` of a final-answer value, as far as a JSON value can tell it. */
export function pythonStr(value: unknown): string {
  if (typeof value === "string") return value;
  return pythonRepr(value);
}

function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return pythonFloatText(value);
  if (typeof value === "string") {
    // Python prefers single quotes, and switches to double quotes when the text holds a single quote only.
    if (value.includes("'") && !value.includes('"')) return `"${value}"`;
    return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  }
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`).join(", ")}}`;
  }
  return String(value);
}

/**
 * A JS number as Python prints it. JSON cannot tell 42 from 42.0, so integral values print as ints
 * (the grader compares both as numbers, so the verdict does not depend on it).
 */
function pythonFloatText(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return String(n);
  // Python's repr uses exponent form from 1e16 and below 1e-4, with a two-digit exponent at least.
  const abs = Math.abs(n);
  if (abs >= 1e16 || abs < 1e-4) {
    const [mant, exp] = n.toExponential().split("e") as [string, string];
    const sign = exp.startsWith("-") ? "-" : "+";
    const digits = exp.replace(/^[+-]/, "").padStart(2, "0");
    return `${mant}e${sign}${digits}`;
  }
  return String(n);
}

/** The text of a math prediction that the reference grades (see the header). */
export function gradedAnswerText(predicted: unknown): string {
  if (typeof predicted === "string" && predicted.includes("boxed")) return extractAnswer(predicted);
  return pythonStr(predicted);
}

/** The content after the last "boxed": a brace-balanced group, or the text up to the next `$`. */
function lastBoxed(text: string): string {
  const parts = text.split("boxed");
  const tail = parts[parts.length - 1]!;
  if (tail.length === 0) return "";
  if (tail[0] !== "{") return tail.split("$")[0]!.trim();
  let depth = 1;
  let out = "";
  for (const ch of tail.slice(1)) {
    if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) break;
    out += ch;
  }
  return out;
}

/** The parser's answer extraction for MATH-style data (the boxed case and the Minerva "final answer is $...$. I hope" case). */
export function extractAnswer(text: string): string {
  const s = text.replaceAll("\u043a\u0438", "");
  let pred: string;
  if (s.includes("final answer is $") && s.includes("$. I hope")) {
    pred = s.slice(s.indexOf("final answer is $") + "final answer is $".length);
    pred = pred.slice(0, pred.indexOf("$. I hope") === -1 ? undefined : pred.indexOf("$. I hope")).trim();
  } else if (s.includes("boxed")) {
    pred = lastBoxed(s);
  } else {
    // Not reached through gradedAnswerText (which asks only for texts containing "boxed").
    const numbers = s.replace(/,/g, "").match(/-?\d*\.?\d+/g);
    pred = numbers ? numbers[numbers.length - 1]! : "";
  }
  pred = pred.replace(/\n\s*/g, "");
  if (pred.startsWith(":")) pred = pred.slice(1);
  if (pred.endsWith(".")) pred = pred.slice(0, -1);
  if (pred.endsWith("/")) pred = pred.slice(0, -1);
  return stripString(pred);
}

// Units the parser strips (mostly from MathQA), each also with an "s" appended. They are regular
// expressions there (so "." matches any character), tried in this order, twice over.
// biome-ignore format: a long word list reads better packed
const UNIT_WORDS = [
  "east", "degree", "mph", "kmph", "ft", "m sqaure", " m east", "sq m", "deg", "mile", "q .", "monkey",
  "prime", "ratio", "profit of rs", "rd", "o", "gm", "p . m", "lb", "tile", "per", "dm", "lt", "gain", "ab",
  "way", "west", "a .", "b .", "c .", "d .", "e .", "f .", "g .", "h .", "t", "a", "h", "no change", "men",
  "soldier", "pie", "bc", "excess", "st", "inches", "noon", "percent", "by", "gal", "kmh", "c", "acre",
  "rise", "a . m", "th", "π r 2", "sq", "mark", "l", "toy", "coin", "sq . m", "gallon", "° f", "profit",
  "minw", "yr", "women", "feet", "am", "pm", "hr", "cu cm", "square", "v â € ™", "are", "rupee", "rounds",
  "cubic", "cc", "mtr", "s", "ohm", "number", "kmph", "day", "hour", "minute", "min", "second", "man",
  "woman", "sec", "cube", "mt", "sq inch", "mp", "∏ cm ³", "hectare", "more", "sec", "unit", "cu . m",
  "cm 2", "rs .", "rs", "kg", "g", "month", "km", "m", "cm", "mm", "apple", "liter", "loss", "yard", "pure",
  "year", "increase", "decrease", "d", "less", "Surface", "litre", "pi sq m", "s .", "metre", "meter",
  "inch",
];
const UNITS = [...UNIT_WORDS, ...UNIT_WORDS.map((u) => `${u}s`)];
// Python's \W on str patterns is Unicode-aware: anything but letters, digits and "_".
const NON_WORD = "[^\\p{L}\\p{N}_]";
const UNIT_PATTERNS = UNITS.map((u) => new RegExp(`(^|${NON_WORD})${u}($|${NON_WORD})`, "gu"));

/** The parser's `strip_string` (with units stripped): the normalisation applied to an extracted answer. */
export function stripString(input: string): string {
  let s = input.trim().replace(/\n/g, "");
  s = s.replace(/\.+$/, "");
  s = s.replaceAll("\\!", "");
  s = s.replace(/\\begin\{array\}\{.*?\}/g, "\\begin{pmatrix}").replace(/\\end\{array\}/g, "\\end{pmatrix}");
  s = s.replaceAll("bmatrix", "pmatrix");
  s = s.replaceAll("tfrac", "frac").replaceAll("dfrac", "frac");
  s = s.replaceAll("\\neq", "\\ne").replaceAll("\\leq", "\\le").replaceAll("\\geq", "\\ge");
  s = s.replaceAll("\\left", "").replaceAll("\\right", "");
  s = s.replaceAll("\\{", "{").replaceAll("\\}", "}");

  // A trailing \text{...} is a unit, unless it is the whole answer.
  const withoutUnit = s.replace(/\\text\{.*?\}$/, "").trim();
  if (withoutUnit !== "" && withoutUnit !== s) s = withoutUnit;

  for (let round = 0; round < 2; round++) {
    for (const pattern of UNIT_PATTERNS) {
      const next = s.replace(pattern, "$1$2");
      if (next !== "") s = next;
    }
  }

  s = s.replaceAll("^{\\circ}", "").replaceAll("^\\circ", "");
  s = s.replaceAll("\\$", "").replaceAll("$", "");
  s = s.replaceAll("\\(", "").replaceAll("\\)", "");
  s = convertWordNumber(s);
  s = s.replace(/\\text\{(.*?)\}/g, "$1");
  for (const key of ["x=", "y=", "z=", "x\\in", "y\\in", "z\\in", "x\\to", "y\\to", "z\\to"]) {
    s = s.replaceAll(key, "");
  }
  s = s.replaceAll("\\emptyset", "{}");
  s = s.replaceAll("(-\\infty,\\infty)", "\\mathbb{R}");
  s = s.replaceAll("\\%", "").replaceAll("%", "");
  s = s.replaceAll(" .", " 0.").replaceAll("{.", "{0.");
  // (The parser's "drop enclosing brackets of an alphanumeric string" test can never pass: the
  // brackets themselves are not alphanumeric. Nothing to do.)
  s = s.replaceAll("infinity", "\\infty");
  if (!s.includes("\\infty")) s = s.replaceAll("inf", "\\infty");
  s = s.replaceAll("+\\inity", "\\infty");
  s = s.replaceAll("and", "");
  s = s.replaceAll("\\mathbf", "");
  s = s.replace(/\\mbox\{.*?\}/g, "");
  if (s.includes("j") && !s.includes("i")) s = s.replaceAll("j", "i");
  s = s.replace(/(\d+)\.0*([^\d])/g, "$1$2");
  s = s.replace(/(\d+)\.0*$/, "$1");
  if (s.length === 0) return s;
  if (s[0] === ".") s = `0${s}`;
  const sides = s.split("=");
  if (sides.length === 2 && sides[0]!.length <= 2) s = sides[1]!;
  s = s.replace(/\\sqrt([\p{L}\p{N}_]+)/gu, "\\sqrt{$1}");
  s = s.replaceAll(" ", "");
  s = fixFracs(s);
  s = fixSlash(s);
  return s;
}

/** `\frac12` -> `\frac{1}{2}`, `\frac1{72}` -> `\frac{1}{72}`; the text is kept when a \frac has < 2 characters after it. */
function fixFracs(s: string): string {
  const pieces = s.split("\\frac");
  let out = pieces[0]!;
  for (const piece of pieces.slice(1)) {
    out += "\\frac";
    if (piece.length > 0 && piece[0] === "{") {
      out += piece;
      continue;
    }
    if (piece.length < 2) return s;
    const a = piece[0]!;
    const b = piece[1]!;
    const rest = piece.slice(2);
    out += b !== "{" ? `{${a}}{${b}}${rest}` : `{${a}}${b}${rest}`;
  }
  return out;
}

/** `a/b` of two plain integers (or anything holding "sqrt") -> `\frac{a}{b}`. */
function fixSlash(s: string): string {
  const parts = s.split("/");
  if (parts.length !== 2) return s;
  const side = (t: string): string | null => {
    if (t.includes("sqrt")) return t;
    // Python's int() then str(): only the canonical spelling survives the round trip check below.
    return /^-?(0|[1-9]\d*)$/.test(t) ? t : null;
  };
  const a = side(parts[0]!);
  const b = side(parts[1]!);
  if (a === null || b === null || s !== `${a}/${b}` || a === "-0" || b === "-0") return s;
  return `\\frac{${a}}{${b}}`;
}

const NUMBER_WORDS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
  hundred: 100,
  thousand: 1000,
  million: 1000000,
  billion: 1000000000,
};
const DECIMAL_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

/**
 * The parser's word-number step (the `word2number` package's `word_to_num`, text kept on failure):
 * digits-only text becomes its integer, and a text containing English number words becomes the number
 * those words spell, all other words ignored ("one" -> "1", "twenty-one" -> "21", "x plus one" -> "1").
 */
export function convertWordNumber(text: string): string {
  const value = wordToNumber(text);
  return value === null ? text : value;
}

function wordToNumber(text: string): string | null {
  const sentence = text.replace(/-/g, " ").toLowerCase();
  if (/^[0-9]+$/.test(sentence)) return BigInt(sentence).toString();
  const words = sentence
    .trim()
    .split(/\s+/)
    .filter((w) => w in NUMBER_WORDS || w === "point");
  if (words.length === 0) return null;
  const count = (w: string) => words.filter((x) => x === w).length;
  if (count("thousand") > 1 || count("million") > 1 || count("billion") > 1 || count("point") > 1)
    return null;
  let decimals: string[] = [];
  let clean = words;
  const point = words.indexOf("point");
  if (point !== -1) {
    decimals = words.slice(point + 1);
    clean = words.slice(0, point);
  }
  const bi = clean.indexOf("billion");
  const mi = clean.indexOf("million");
  const th = clean.indexOf("thousand");
  if ((th > -1 && (th < mi || th < bi)) || (mi > -1 && mi < bi)) return null;
  const form = (ws: string[]): number => {
    const n = ws.map((w) => NUMBER_WORDS[w]!);
    if (n.length === 0) throw new Error("empty");
    if (n.length === 4) return n[0]! * n[1]! + n[2]! + n[3]!;
    if (n.length === 3) return n[0]! * n[1]! + n[2]!;
    if (n.length === 2) return n.includes(100) ? n[0]! * n[1]! : n[0]! + n[1]!;
    return n[0]!;
  };
  let total = 0;
  try {
    if (clean.length === 1) total += NUMBER_WORDS[clean[0]!]!;
    else if (clean.length > 1) {
      if (bi > -1) total += form(clean.slice(0, bi)) * 1e9;
      if (mi > -1) total += form(bi > -1 ? clean.slice(bi + 1, mi) : clean.slice(0, mi)) * 1e6;
      if (th > -1) {
        const from = mi > -1 ? mi + 1 : bi > -1 ? bi + 1 : 0;
        total += form(clean.slice(from, th)) * 1000;
      }
      const last = clean.length - 1;
      if (th > -1 && th !== last) total += form(clean.slice(th + 1));
      else if (mi > -1 && mi !== last) total += form(clean.slice(mi + 1));
      else if (bi > -1 && bi !== last) total += form(clean.slice(bi + 1));
      else if (th === -1 && mi === -1 && bi === -1) total += form(clean);
    }
  } catch {
    return null;
  }
  if (decimals.length > 0 && decimals.every((w) => DECIMAL_DIGITS.includes(w))) {
    // A float then; other words after "point" make the decimal part the integer 0.
    const value = total + Number(`0.${decimals.map((w) => NUMBER_WORDS[w]).join("")}`);
    return Number.isInteger(value) ? `${value}.0` : pythonFloatText(value);
  }
  return String(total);
}
