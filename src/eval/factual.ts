/**
 * Factual-QA scoring as in the SQuAD / HotpotQA evaluation scripts: answers are normalised (lower case,
 * punctuation and the articles a/an/the removed, whitespace collapsed) before exact match and token F1.
 */

// string.punctuation of Python: the characters the official scripts strip.
const PUNCTUATION = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");

export function normalizeAnswer(text: string): string {
  const lower = text.toLowerCase();
  let noPunct = "";
  for (const ch of lower) if (!PUNCTUATION.has(ch)) noPunct += ch;
  return noPunct
    .replace(/\b(a|an|the)\b/g, " ")
    .split(/\s+/)
    .filter(Boolean)
    .join(" ");
}

export function exactMatch(prediction: string, gold: string): boolean {
  return normalizeAnswer(prediction) === normalizeAnswer(gold);
}

/**
 * Token-level F1. Like the HotpotQA script, a yes/no/noanswer answer scores 0 against anything but
 * itself, so "yes" does not earn partial credit from a longer sentence.
 */
export function f1Score(prediction: string, gold: string): number {
  const pred = normalizeAnswer(prediction);
  const ref = normalizeAnswer(gold);
  const special = ["yes", "no", "noanswer"];
  if ((special.includes(pred) || special.includes(ref)) && pred !== ref) return 0;
  const predTokens = pred.split(" ").filter(Boolean);
  const refTokens = ref.split(" ").filter(Boolean);
  if (predTokens.length === 0 || refTokens.length === 0)
    return predTokens.length === refTokens.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of refTokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of predTokens) {
    const left = counts.get(t) ?? 0;
    if (left > 0) {
      common++;
      counts.set(t, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / predTokens.length;
  const recall = common / refTokens.length;
  return (2 * precision * recall) / (precision + recall);
}
