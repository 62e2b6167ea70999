/**
 * Writes questions of the micro-student's arithmetic family (src/distill/arithmetic.ts) as a benchmark
 * JSON in the reference layout, for `pocket-agent teach --questions` (training) or `eval --benchmark`
 * (testing). A test set is drawn with another seed and, with --exclude, leaves out every expression of
 * the training set.
 *
 * Usage: node bin/run-ts.js scripts/micro-questions.ts --count N --seed S --out FILE.json
 *          [--name NAME] [--exclude TRAIN.json]
 */
import { readFile, writeFile } from "node:fs/promises";
import { arithmeticQuestions, expressionOf } from "../src/distill/arithmetic.ts";

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const count = Number(flag("count"));
const seed = Number(flag("seed"));
const out = flag("out");
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed) || !out) {
  console.error(
    "usage: micro-questions.ts --count N --seed S --out FILE.json [--name NAME] [--exclude FILE]",
  );
  process.exit(2);
}
const exclude = new Set<string>();
const excludeFile = flag("exclude");
if (excludeFile) {
  const set = JSON.parse(await readFile(excludeFile, "utf8")) as { examples: Array<{ question: string }> };
  for (const example of set.examples) {
    const expression = expressionOf(example.question);
    if (expression) exclude.add(expression);
  }
}
const name = flag("name") ?? `arithmetic_${count}_seed${seed}`;
const examples = arithmeticQuestions(count, seed, exclude);
const benchmark = {
  metadata: {
    dataset_info: {
      name,
      description:
        "What is EXPR? EXPR: 2-4 integers of 1-3 digits joined by +, -, *, optional parentheses (pocket-agent micro-student family)",
      seed,
      count,
      excluded_expressions: exclude.size,
    },
  },
  examples,
};
await writeFile(out, `${JSON.stringify(benchmark, null, 1)}\n`);
console.log(`${out}: ${examples.length} questions (seed ${seed}, ${exclude.size} expressions excluded)`);
