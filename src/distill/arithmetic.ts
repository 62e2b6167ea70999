/**
 * The micro-student's task family and its PROGRAMMATIC TEACHER (a few lines of code, not a model).
 *
 * Questions: "What is EXPR?", EXPR = 2–4 integers of 1–3 digits joined by `+`, `-`, `*`, with optional
 * parentheses around a run of operands (issue 10). The teacher's answer to such a question is one agent
 * step that computes EXPR in Python and hands it to final_answer; served over the OpenAI chat protocol
 * by scripts/arithmetic-teacher.ts, it feeds `pocket-agent teach` like any teacher model would.
 */

/** A seeded uniform sampler in [0, 1) (mulberry32): the same seed always gives the same questions. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPERATORS = ["+", "-", "*"] as const;

/** One expression of the family, e.g. "17*23+1" or "(405-7)*12". */
export function randomExpression(random: () => number): string {
  const pick = (n: number) => Math.floor(random() * n);
  const count = 2 + pick(3);
  const operands = Array.from({ length: count }, () => {
    const digits = 1 + pick(3);
    const low = digits === 1 ? 0 : 10 ** (digits - 1);
    return String(low + pick(10 ** digits - low));
  });
  const operators = Array.from({ length: count - 1 }, () => OPERATORS[pick(3)]!);
  // Parentheses (half of the 3- and 4-operand expressions) around a run of 2 .. count-1 operands.
  let open = -1;
  let close = -1;
  if (count > 2 && random() < 0.5) {
    const length = 2 + pick(count - 2);
    open = pick(count - length + 1);
    close = open + length - 1;
  }
  let text = "";
  for (let i = 0; i < count; i++) {
    if (i > 0) text += operators[i - 1];
    text += (i === open ? "(" : "") + operands[i] + (i === close ? ")" : "");
  }
  return text;
}

/** The value of an expression of the family (integers, + - *, parentheses; * binds tighter). */
export function evaluateExpression(expression: string): number {
  const tokens = expression.match(/\d+|[-+*()]/g) ?? [];
  if (tokens.join("") !== expression.replace(/\s+/g, "")) {
    throw new Error(`not an expression of the family: ${expression}`);
  }
  let at = 0;
  const primary = (): number => {
    const token = tokens[at++];
    if (token === "(") {
      const value = sum();
      if (tokens[at++] !== ")") throw new Error(`unbalanced parentheses: ${expression}`);
      return value;
    }
    if (token === undefined || !/^\d+$/.test(token)) throw new Error(`expected a number: ${expression}`);
    return Number(token);
  };
  const product = (): number => {
    let value = primary();
    while (tokens[at] === "*") {
      at++;
      value *= primary();
    }
    return value;
  };
  const sum = (): number => {
    let value = product();
    while (tokens[at] === "+" || tokens[at] === "-") {
      const op = tokens[at++];
      const right = product();
      value = op === "+" ? value + right : value - right;
    }
    return value;
  };
  const value = sum();
  if (at !== tokens.length) throw new Error(`trailing input: ${expression}`);
  return value;
}

export interface ArithmeticExample {
  id: string;
  question: string;
  answer: number;
}

/**
 * `count` distinct questions drawn with `seed`, none of whose expressions is in `exclude` (so a test
 * set drawn with another seed can leave out every training expression).
 */
export function arithmeticQuestions(
  count: number,
  seed: number,
  exclude: ReadonlySet<string> = new Set(),
): ArithmeticExample[] {
  const random = seededRandom(seed);
  const seen = new Set<string>();
  const examples: ArithmeticExample[] = [];
  while (examples.length < count) {
    const expression = randomExpression(random);
    if (seen.has(expression) || exclude.has(expression)) continue;
    seen.add(expression);
    examples.push({
      id: `arith-${seed}-${examples.length}`,
      question: `What is ${expression}?`,
      answer: evaluateExpression(expression),
    });
  }
  return examples;
}

/** The expression of "What is EXPR?" anywhere in a task text, or undefined. */
export function expressionOf(task: string): string | undefined {
  const match = /What is ([-+*()\d\s]+)\?/.exec(task);
  return match ? match[1]!.trim() : undefined;
}

/** The longest expression of the family: four 3-digit numbers, three operators, two parentheses. */
export const EXPRESSION_WIDTH = 17;

/**
 * The one agent step the programmatic teacher writes for an expression (without the stop sequence).
 * The expression is right-aligned to EXPRESSION_WIDTH with spaces after `result =` (valid Python): then
 * every character of the code's expression sits at the same distance from its copy in the question,
 * whatever the expression's length, so a tiny student copies it with one position-based attention head,
 * which it learns in minutes on a CPU (unaligned, it needs an induction circuit it did not form in our
 * 20-minute budget).
 */
export function teacherStep(expression: string): string {
  const pad = " ".repeat(Math.max(0, EXPRESSION_WIDTH - expression.length));
  return `Thought: Compute it.\nCode:\n\`\`\`py\nresult = ${pad}${expression}\nfinal_answer(result)\n\`\`\``;
}
