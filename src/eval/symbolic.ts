/**
 * The math grader's symbolic rule in sympy, run through an injected Python executor (Pyodide; this
 * module imports nothing from Node). Each side is rebuilt as a sympy expression by math-latex.ts, or
 * read by sympy's Python-syntax parser when it is not LaTeX, or kept as a plain string when neither
 * reads it; then the reference's checks run in order:
 * equal text or structure; `a.equals(b)` or `simplify(a - b) == 0`; for equations, |lhs - rhs| of both
 * equal; numeric values within relative tolerance 1e-4; for matrices of one shape, entries rounded to
 * three decimals equal. Any error inside a check just moves to the next one.
 *
 * Every comparison has a time limit; running out of time counts as "not equal", as in the reference.
 */
import type { SymbolicEqual } from "./math.ts";
import { latexTree, toSympySource } from "./math-latex.ts";

/** The part of an Executor this needs (src/exec's Executor satisfies it). */
export interface PythonRunner {
  run(
    code: string,
    options?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<{ logs: string; output: string; error?: { type: string; message: string } }>;
}

export interface SymbolicOptions {
  /** Time limit of one comparison, ms (default 3000). */
  timeoutMs?: number;
}

/** The default time limit of one symbolic comparison. The reference allows 1 s of CPython; Pyodide is slower. */
export const SYMBOLIC_TIMEOUT_MS = 3000;

/**
 * Loading sympy takes seconds, many more on a busy machine: it is done once, before the first
 * comparison and outside its time limit, so a slow import is not graded as "not equal".
 */
export const SYMPY_IMPORT_TIMEOUT_MS = 120_000;
const SYMPY_IMPORT = "import sympy\nfrom sympy.parsing.sympy_parser import parse_expr";

const CHECK = `
import math
from sympy import *
from sympy.parsing.sympy_parser import parse_expr as _pa_sympy_parse_expr

def _pa_parse_expr(text):
    try:
        return _pa_sympy_parse_expr(text.replace("\\\\\\\\", "\\\\"))
    except Exception:
        return _pa_sympy_parse_expr(text)

def _pa_symbolic_equal(a, b):
    try:
        if str(a) == str(b) or a == b:
            return True
    except Exception:
        pass
    try:
        if a.equals(b) or simplify(a - b) == 0:
            return True
    except Exception:
        pass
    try:
        if abs(a.lhs - a.rhs).equals(abs(b.lhs - b.rhs)):
            return True
    except Exception:
        pass
    try:
        if math.isclose(float(N(b)), float(N(a)), rel_tol=1e-4):
            return True
    except Exception:
        pass
    try:
        if a.shape == b.shape:
            if a.applyfunc(lambda v: round(v, 3)).equals(b.applyfunc(lambda v: round(v, 3))):
                return True
    except Exception:
        pass
    return False
`;

/**
 * The Python expression for one side: the rebuilt sympy expression; for a text that is not LaTeX, sympy's
 * Python-syntax parser (the reference's second parser: `x**2 + 1`, `(1, 2)`); failing both, the text.
 */
export function sympySide(text: string): string {
  const tree = latexTree(text);
  const source = tree === null ? null : toSympySource(tree);
  if (source !== null) return source;
  const literal = JSON.stringify(text);
  return `_pa_parse_expr(${literal})`;
}

/** The program comparing two answer texts; prints PA_SYMBOLIC=True/False. */
export function symbolicProgram(a: string, b: string): string {
  return `${CHECK}
def _pa_side(build, text):
    try:
        return build()
    except Exception:
        return text

print("PA_SYMBOLIC=" + str(bool(_pa_symbolic_equal(
    _pa_side(lambda: ${sympySide(a)}, ${JSON.stringify(a)}),
    _pa_side(lambda: ${sympySide(b)}, ${JSON.stringify(b)}),
))))
`;
}

/** A symbolic checker on `runner`; comparisons are cached and run one at a time. */
export function createSympyChecker(runner: PythonRunner, options: SymbolicOptions = {}): SymbolicEqual {
  const timeoutMs = options.timeoutMs ?? SYMBOLIC_TIMEOUT_MS;
  const cache = new Map<string, boolean>();
  let queue: Promise<unknown> = Promise.resolve();
  let imported = false;
  return (a, b, signal) => {
    const key = JSON.stringify([a, b]);
    const known = cache.get(key);
    if (known !== undefined) return Promise.resolve(known);
    const result = queue.then(async () => {
      if (!imported) {
        imported = true;
        // A failure here shows in the comparison below (e.g. sympy missing), so it is not checked twice.
        await runner.run(SYMPY_IMPORT, { timeoutMs: SYMPY_IMPORT_TIMEOUT_MS, ...(signal ? { signal } : {}) });
      }
      const run = await runner.run(symbolicProgram(a, b), { timeoutMs, ...(signal ? { signal } : {}) });
      // Without sympy every symbolic verdict would silently be "not equal": stop instead.
      if (run.error && /ImportError|ModuleNotFoundError/.test(run.error.type)) {
        throw new Error(`symbolic math check: sympy is not available (${run.error.message})`);
      }
      // Any other error (a timeout included) is "not equal".
      const verdict = !run.error && /PA_SYMBOLIC=True/.test(run.logs);
      if (!run.error || run.error.type === "TimeoutError") cache.set(key, verdict);
      return verdict;
    });
    queue = result.catch(() => undefined);
    return result;
  };
}
