/**
 * LaTeX answers as expression trees, for the symbolic rule of the math grader.
 *
 * The reference parses each side with sympy's LaTeX parser, whose conventions decide verdicts: every
 * letter is a free symbol (so `i` and `e` are symbols, not the imaginary unit or Euler's number), `\pi`
 * is the *symbol* pi (so it never evaluates to 3.14159...), `\log` is the natural logarithm, `\infty` is infinity.
 * This module reads LaTeX with the Compute Engine's parser (no canonicalisation) and rebuilds the tree
 * with those conventions, as sympy source (`toSympySource`) or as a constant value (`constantValue`).
 * A text it cannot represent (Python syntax such as `x**2`, sets, tuples, text, unknown commands) is
 * left to sympy's Python-syntax parser in symbolic.ts, and failing that stays a plain string, as the
 * reference does with what its LaTeX parser rejects.
 */
import { ComputeEngine } from "@cortex-js/compute-engine";

type Node = unknown;

let engine: ComputeEngine | undefined;
const treeCache = new Map<string, Node | null>();

/** The parse tree of an answer text, or null when it is not an expression this module can represent. */
export function latexTree(text: string): Node | null {
  const cached = treeCache.get(text);
  if (cached !== undefined) return cached;
  let tree: Node | null = null;
  // "**" is no LaTeX: the reference's LaTeX parser rejects it (and sympy's Python parser takes over).
  const cleaned = text.includes("**")
    ? ""
    : text
        .replace(/\\[dt]frac/g, "\\frac")
        // The LaTeX parser's one-digit fraction arguments: \frac12, \frac{270}7.
        .replace(/\\frac(\d)/g, "\\frac{$1}")
        .replace(/(\\frac\{[^{}]*\})(\d)/g, "$1{$2}")
        .replace(/\\(left|right)(?![a-zA-Z])/g, "")
        // Spacing commands are skipped like whitespace.
        .replace(/\\(q?quad)(?![a-zA-Z])|\\[,;:!]/g, "")
        // Its numbers may group thousands with commas (spaces between tokens ignored): 10,080 is 10080.
        .replace(/\d+(?:\s*,\s*\d{3})+(?!\d)/g, (n) => n.replace(/[\s,]/g, ""))
        // \text is just another command name there: a symbol "text" times the group after it.
        .replace(/\\text(?![a-zA-Z])/g, "\\mathit{text}")
        .trim();
  if (cleaned !== "") {
    try {
      engine ??= new ComputeEngine();
      const json = engine.parse(cleaned, { canonical: false }).json;
      tree = supported(json) ? json : null;
    } catch {
      tree = null;
    }
  }
  if (treeCache.size > 5000) treeCache.clear();
  treeCache.set(text, tree);
  return tree;
}

const FUNCTIONS: Record<string, string> = {
  Sin: "sin",
  Cos: "cos",
  Tan: "tan",
  Sec: "sec",
  Csc: "csc",
  Cot: "cot",
  Arcsin: "asin",
  Arccos: "acos",
  Arctan: "atan",
  Sinh: "sinh",
  Cosh: "cosh",
  Tanh: "tanh",
  Exp: "exp",
  Abs: "Abs",
  Factorial: "factorial",
  Floor: "floor",
  Ceil: "ceiling",
};

const CONSTANT_SYMBOLS: Record<string, string> = {
  Pi: "Symbol('pi')",
  PositiveInfinity: "oo",
  NegativeInfinity: "-oo",
  ExponentialE: "Symbol('e')",
  ImaginaryUnit: "Symbol('i')",
};

function isSymbolName(name: string): boolean {
  // Single letters and lower-case names (Greek letters); the parser's other names are functions or sets.
  return /^[A-Za-z]$/.test(name) || /^[a-z]+$/.test(name) || name in CONSTANT_SYMBOLS;
}

function supported(node: Node): boolean {
  return toSympySource(node) !== null;
}

function numberSource(node: Node): string | null {
  if (typeof node === "number") {
    if (!Number.isFinite(node)) return null;
    return Number.isInteger(node) && Math.abs(node) < 2 ** 53 ? `Integer(${node})` : `Float('${node}')`;
  }
  if (node && typeof node === "object" && !Array.isArray(node) && "num" in node) {
    const text = String((node as { num: unknown }).num);
    if (/^-?\d+$/.test(text)) return `Integer('${text}')`;
    if (/^-?[\d.]+(e[+-]?\d+)?$/i.test(text)) return `Float('${text}')`;
  }
  return null;
}

/** sympy source building the expression unevaluated, as the LaTeX parser does; null when unsupported. */
export function toSympySource(node: Node): string | null {
  const num = numberSource(node);
  if (num !== null) return num;
  if (typeof node === "string") {
    if (node.startsWith("'")) return null; // a text
    if (node in CONSTANT_SYMBOLS) return CONSTANT_SYMBOLS[node]!;
    const name = node.replace(/_italic$/, "");
    return isSymbolName(name) ? `Symbol(${JSON.stringify(name)})` : null;
  }
  if (!Array.isArray(node) || typeof node[0] !== "string") return null;
  const [head, ...rawArgs] = node as [string, ...Node[]];
  const args = rawArgs.map(toSympySource);
  if (head !== "Delimiter" && head !== "At" && args.some((a) => a === null)) return null;
  const a = args as string[];
  const chain = (fn: string, items: string[]) =>
    items.reduce((acc, item) => `${fn}(${acc}, ${item}, evaluate=False)`);
  switch (head) {
    case "Add":
      return a.length ? chain("Add", a) : null;
    case "Subtract":
      return a.length === 2 ? `Add(${a[0]}, Mul(-1, ${a[1]}, evaluate=False), evaluate=False)` : null;
    case "Negate":
      return a.length === 1 ? `(-(${a[0]}))` : null;
    case "Multiply":
      return a.length ? chain("Mul", a) : null;
    case "InvisibleOperator":
      return juxtaposition(rawArgs);
    case "Divide":
      return a.length === 2 ? `Mul(${a[0]}, Pow(${a[1]}, -1, evaluate=False), evaluate=False)` : null;
    case "Rational":
      return a.length === 2 ? `Rational(${a[0]}, ${a[1]})` : null;
    case "Power":
      return a.length === 2 ? `Pow(${a[0]}, ${a[1]}, evaluate=False)` : null;
    case "Sqrt":
      return a.length === 1 ? `sqrt(${a[0]}, evaluate=False)` : null;
    case "Root":
      return a.length === 2 ? `root(${a[0]}, ${a[1]}, evaluate=False)` : null;
    case "Ln":
      return a.length === 1 ? `log(${a[0]})` : null;
    case "Log":
      return a.length === 1 ? `log(${a[0]})` : a.length === 2 ? `log(${a[0]}, ${a[1]})` : null;
    case "Lb":
      return a.length === 1 ? `log(${a[0]}, 2)` : null;
    // Commands the LaTeX parser reads as plain symbols: 90^\\circ is 90**circ, 1 \\pm 2 is 1*pm*2.
    case "Degrees":
      return a.length === 1 ? `Pow(${a[0]}, Symbol('circ'), evaluate=False)` : null;
    case "PlusMinus":
      return a.length === 2
        ? `Mul(Mul(${a[0]}, Symbol('pm'), evaluate=False), ${a[1]}, evaluate=False)`
        : null;
    case "Equal":
      return a.length === 2 ? `Eq(${a[0]}, ${a[1]}, evaluate=False)` : null;
    case "Less":
      return a.length === 2 ? `Lt(${a[0]}, ${a[1]}, evaluate=False)` : null;
    case "LessEqual":
      return a.length === 2 ? `Le(${a[0]}, ${a[1]}, evaluate=False)` : null;
    case "Greater":
      return a.length === 2 ? `Gt(${a[0]}, ${a[1]}, evaluate=False)` : null;
    case "GreaterEqual":
      return a.length === 2 ? `Ge(${a[0]}, ${a[1]}, evaluate=False)` : null;
    case "Delimiter": {
      // A parenthesised single expression; "(1, 2)" (a sequence) is not an expression.
      const inner = rawArgs[0];
      if (Array.isArray(inner) && inner[0] === "Sequence") return null;
      return args[0] ?? null;
    }
    case "At": {
      // x_1 -> the symbol "x_{1}", as the LaTeX parser names subscripted letters.
      const [base, sub] = rawArgs;
      if (typeof base !== "string" || !isSymbolName(base)) return null;
      const subText = typeof sub === "number" || typeof sub === "string" ? String(sub) : null;
      return subText === null ? null : `Symbol(${JSON.stringify(`${base}_{${subText}}`)})`;
    }
    case "Matrix": {
      const rows = rawArgs[0];
      if (!Array.isArray(rows) || rows[0] !== "List") return null;
      const out: string[] = [];
      for (const row of rows.slice(1)) {
        if (!Array.isArray(row) || row[0] !== "List") return null;
        const cells = row.slice(1).map(toSympySource);
        if (cells.some((c) => c === null)) return null;
        out.push(`[${cells.join(", ")}]`);
      }
      return `Matrix([${out.join(", ")}])`;
    }
    default: {
      const fn = FUNCTIONS[head];
      return fn && a.length === 1 ? `${fn}(${a[0]}, evaluate=False)` : null;
    }
  }
}

/** A parenthesised group: its items (one, or several for "(a, b)"), or null for other brackets. */
function parenItems(node: Node): Node[] | null {
  if (!Array.isArray(node) || node[0] !== "Delimiter") return null;
  const [, inner, delims] = node as [string, Node, Node?];
  if (delims !== undefined && delims !== "'(,)'" && delims !== "'()'") return null;
  if (Array.isArray(inner) && inner[0] === "Sequence") return inner.slice(1);
  return [inner];
}

/**
 * Implicit multiplication, except that a letter (or command name) right before a parenthesised group is
 * a function call for the LaTeX parser: x(x+1) is the function x applied to x + 1, not x**2 + x.
 */
function juxtaposition(items: Node[]): string | null {
  const factors: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const call = i + 1 < items.length ? parenItems(items[i + 1]) : null;
    if (typeof item === "string" && call && toSympySource(item)?.startsWith("Symbol(")) {
      const args = call.map(toSympySource);
      if (args.some((x) => x === null)) return null;
      const name = item === "Pi" ? "pi" : item.replace(/_italic$/, "");
      factors.push(`Function(${JSON.stringify(name)})(${args.join(", ")})`);
      i++;
      continue;
    }
    const source = toSympySource(item);
    if (source === null) return null;
    factors.push(source);
  }
  if (factors.length === 0) return null;
  return factors.reduce((acc, f) => `Mul(${acc}, ${f}, evaluate=False)`);
}

const NUMERIC_FUNCTIONS: Record<string, (x: number) => number> = {
  Sin: Math.sin,
  Cos: Math.cos,
  Tan: Math.tan,
  Sec: (x) => 1 / Math.cos(x),
  Csc: (x) => 1 / Math.sin(x),
  Cot: (x) => 1 / Math.tan(x),
  Arcsin: Math.asin,
  Arccos: Math.acos,
  Arctan: Math.atan,
  Exp: Math.exp,
  Ln: Math.log,
  Lb: Math.log2,
  Abs: Math.abs,
};

/**
 * The real value of a tree without free symbols (`\pi` is a symbol here, as for the reference's
 * parser), or null; complex or undefined values are null too (sympy's float() refuses them).
 */
export function constantValue(node: Node): number | null {
  const value = evaluate(node);
  return value === null || !Number.isFinite(value) ? null : value;
}

function evaluate(node: Node): number | null {
  if (typeof node === "number") return node;
  if (node && typeof node === "object" && !Array.isArray(node) && "num" in node) {
    const v = Number((node as { num: unknown }).num);
    return Number.isNaN(v) ? null : v;
  }
  if (!Array.isArray(node)) return null;
  const [head, ...rest] = node as [string, ...Node[]];
  if (head === "Delimiter") {
    const inner = rest[0];
    if (Array.isArray(inner) && inner[0] === "Sequence") return null;
    return evaluate(inner);
  }
  const v = rest.map(evaluate);
  if (v.some((x) => x === null) || v.length === 0) return null;
  const n = v as number[];
  const real = (x: number) => (Number.isNaN(x) ? null : x);
  switch (head) {
    case "Add":
      return n.reduce((s, x) => s + x, 0);
    case "Subtract":
      return n.length === 2 ? n[0]! - n[1]! : null;
    case "Negate":
      return n.length === 1 ? -n[0]! : null;
    case "Multiply":
    case "InvisibleOperator":
      return n.reduce((s, x) => s * x, 1);
    case "Divide":
    case "Rational":
      return n.length === 2 && n[1] !== 0 ? n[0]! / n[1]! : null;
    case "Power":
      return n.length === 2 ? real(n[0]! ** n[1]!) : null;
    case "Sqrt":
      return n.length === 1 ? real(Math.sqrt(n[0]!)) : null;
    case "Root":
      return n.length === 2 ? real(n[0]! ** (1 / n[1]!)) : null;
    case "Log":
      return n.length === 1
        ? real(Math.log(n[0]!))
        : n.length === 2
          ? real(Math.log(n[0]!) / Math.log(n[1]!))
          : null;
    default: {
      const fn = NUMERIC_FUNCTIONS[head];
      return fn && n.length === 1 ? real(fn(n[0]!)) : null;
    }
  }
}

/**
 * What the symbolic rule decides without Python: equal texts (the same parse), or two constant
 * expressions whose values agree within the relative tolerance 1e-4. Anything else is "not equal"
 * here; with sympy available, `symbolic.ts` decides it.
 */
export function approxSymbolicEqual(a: string, b: string): boolean {
  if (a === b) return true;
  const ta = latexTree(a);
  const tb = latexTree(b);
  if (ta === null || tb === null) return false;
  const va = constantValue(ta);
  const vb = constantValue(tb);
  if (va === null || vb === null) return false;
  if (va === vb) return true;
  return Math.abs(va - vb) <= 1e-4 * Math.max(Math.abs(va), Math.abs(vb));
}
