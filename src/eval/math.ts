/**
 * Math answer equivalence, after the reference's scorer (Qwen2.5-Math `extract_answer` + `math_equal`):
 * take the last \boxed{...} (or the final_answer value), normalise the LaTeX, then compare as strings,
 * as numbers with a relative tolerance (also against gold/100 and gold*100, as the reference's
 * percentage rule does), element by element for tuples and intervals (bracket kinds ignored, as there), and finally by evaluating both
 * sides numerically with the Compute Engine (\frac{\sqrt{3}}{2} vs 0.866025...).
 */
import { ComputeEngine } from "@cortex-js/compute-engine";

/** Relative tolerance of numeric comparison (the reference uses isclose(rel_tol=1e-4)). */
export const MATH_REL_TOL = 1e-4;

/** The content of the last \boxed{...} / \fbox{...} (nested braces kept), or null when there is none. */
export function extractBoxed(text: string): string | null {
  const at = Math.max(text.lastIndexOf("\\boxed"), text.lastIndexOf("\\fbox"));
  if (at === -1) return null;
  let i = at + (text.startsWith("\\boxed", at) ? 6 : 5);
  if (text[i] !== "{") {
    // "\boxed 5" form: the next token.
    const rest = text.slice(i).trimStart();
    const token = /^[^\s$]+/.exec(rest);
    return token ? token[0] : null;
  }
  let depth = 0;
  const start = i + 1;
  for (; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(start, i);
  }
  return null;
}

/** The answer text a prediction carries: a boxed expression when present, else the value as text. */
export function mathAnswerText(predicted: unknown): string {
  if (predicted === null || predicted === undefined) return "";
  if (typeof predicted === "number") return formatNumber(predicted);
  const text = typeof predicted === "string" ? predicted : JSON.stringify(predicted);
  const tagged = /<answer>([\s\S]*?)<\/answer>/.exec(text);
  const inner = tagged ? tagged[1]! : text;
  return extractBoxed(inner) ?? inner;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(n);
}

/** Canonical LaTeX text for string comparison. */
export function normalizeMath(answer: string): string {
  let s = answer.trim();
  s = s
    .replace(/\n/g, " ")
    .replace(/^\\\[|\\\]$/g, "")
    .replace(/^\\\(|\\\)$/g, "")
    .replace(/\$/g, "");
  s = s.replace(/\\[dt]frac/g, "\\frac");
  s = s.replace(/\\(left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![a-zA-Z])/g, "");
  s = s.replace(/\\(displaystyle|textstyle)(?![a-zA-Z])/g, "");
  s = s.replace(/\\[!,;: ]/g, "").replace(/\\q?quad(?![a-zA-Z])/g, "");
  s = s.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree|°/g, "");
  s = s.replace(/\\%|%/g, "");
  // A trailing unit in \text{...}/\mbox{...}/\mathrm{...} after a value: "5 \text{ cm}" -> "5".
  const unit = /^(.*?\S)\s*\\(text|mbox|mathrm)\{[^{}]*\}$/.exec(s);
  if (unit && /[\d}]$/.test(unit[1]!)) s = unit[1]!;
  s = s.replace(/\\(text|textbf|mbox|mathrm|mathbf)\{([^{}]*)\}/g, "$2");
  // Plain words after a number are units: "18 dollars", "12 inches".
  const words = /^(-?[\d.,]+)\s+[a-zA-Z][a-zA-Z .]*$/.exec(s);
  if (words) s = words[1]!;
  s = s.replace(/\\frac(\d)(\d)/g, "\\frac{$1}{$2}");
  s = s.replace(/\\frac(\d)\{/g, "\\frac{$1}{");
  s = s.replace(/\\frac\{([^{}]*)\}(\d)/g, "\\frac{$1}{$2}");
  s = s.replace(/\\sqrt(\d+)/g, "\\sqrt{$1}");
  // "x = 5" -> "5" (a short name on the left, as the reference strips it).
  const assign = /^\s*([a-zA-Z]\w?)\s*=\s*([^=]+)$/.exec(s);
  if (assign) s = assign[2]!;
  s = s.replace(/\s+/g, "");
  s = s.replace(/\.$/, "");
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, "");
  s = s.replace(/^(-?)\./, "$10.");
  if (/^-?\d+\.\d+$/.test(s)) s = s.replace(/0+$/, "").replace(/\.$/, "");
  if (s === "-0") s = "0";
  return s;
}

let engine: ComputeEngine | undefined;
const numericCache = new Map<string, number | null>();

/** The value of a normalised answer when it is a finite real constant, else null. */
export function numericValue(normalized: string): number | null {
  if (normalized === "") return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(normalized)) return Number(normalized);
  const cached = numericCache.get(normalized);
  if (cached !== undefined) return cached;
  let value: number | null = null;
  try {
    engine ??= new ComputeEngine();
    const result = engine.parse(normalized).N().valueOf();
    if (typeof result === "number" && Number.isFinite(result)) value = result;
  } catch {
    value = null;
  }
  numericCache.set(normalized, value);
  return value;
}

export function numbersClose(a: number, b: number, relTol = MATH_REL_TOL): boolean {
  if (a === b) return true;
  return Math.abs(a - b) <= relTol * Math.max(Math.abs(a), Math.abs(b));
}

/** True when the prediction equals the gold answer under the rules in this file's header. */
export function mathEqual(predicted: unknown, gold: unknown): boolean {
  const pred = normalizeMath(mathAnswerText(predicted));
  const ref = normalizeMath(typeof gold === "number" ? formatNumber(gold) : mathAnswerText(gold));
  return normalizedEqual(pred, ref, true);
}

function normalizedEqual(pred: string, ref: string, percentage: boolean): boolean {
  if (pred === "" || ref === "") return false;
  if (pred === ref) return true;
  if (pred.toLowerCase() === ref.toLowerCase() && !/\d/.test(ref)) return true;

  const predParts = splitTuple(pred);
  const refParts = splitTuple(ref);
  if (predParts || refParts) {
    if (!predParts || !refParts || predParts.items.length !== refParts.items.length) return false;
    // Like the reference, the bracket kinds are not compared: (a, b) equals [a, b].
    return predParts.items.every((p, i) => normalizedEqual(p, refParts.items[i]!, false));
  }

  const a = numericValue(pred);
  const b = numericValue(ref);
  if (a === null || b === null) return false;
  const candidates = percentage ? [b, b / 100, b * 100] : [b];
  return candidates.some((c) => numbersClose(a, c));
}

interface TupleParts {
  items: string[];
}

/** "(a,b)" / "[a,b)" / "a,b" split at top-level commas; null for a single value. */
function splitTuple(s: string): TupleParts | null {
  let body = s;
  const first = s[0];
  const last = s[s.length - 1];
  if ((first === "(" || first === "[") && (last === ")" || last === "]") && enclosesAll(s)) {
    body = s.slice(1, -1);
  }
  const items: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of body) {
    if ("([{".includes(ch)) depth++;
    else if (")]}".includes(ch)) depth--;
    if (ch === "," && depth === 0) {
      items.push(current);
      current = "";
    } else current += ch;
  }
  items.push(current);
  if (items.length < 2) return null;
  return { items };
}

/** True when the first bracket closes at the last character (so "(1,2)+(3,4)" is not one tuple). */
function enclosesAll(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if ("([{".includes(s[i]!)) depth++;
    else if (")]}".includes(s[i]!)) depth--;
    if (depth === 0 && i < s.length - 1) return false;
  }
  return true;
}
