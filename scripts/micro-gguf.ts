/**
 * Second half of scripts/train-micro-student.py: writes the micro-student's GGUF from the weights the
 * Python script dumped (float32, already in ggml layout), with the project's GGUF writer
 * (tests/support/gguf-writer.ts) and the same qwen2 metadata and byte-level vocabulary as the tiny test
 * model (tests/support/tiny-gguf.ts) minus its merges, so that llama.cpp tokenizes byte by byte exactly
 * as the training script did. Then it checks the file with llama.cpp (node-llama-cpp) against the
 * forward pass torch computed for one prompt: the same token ids, the same next-token probabilities
 * (teacher-forced along torch's greedy completion) and the same greedy tokens. A mismatch (a transposed
 * weight, another RoPE layout, a tokenizer difference) fails the script.
 *
 * Usage: node bin/run-ts.js scripts/micro-gguf.ts WEIGHTS.json WEIGHTS.bin OUT.gguf
 */
import { readFile, writeFile } from "node:fs/promises";
import { encodeGguf, type GgufTensor } from "../tests/support/gguf-writer.ts";
import { QWEN25_CHAT_TEMPLATE } from "../tests/support/qwen25-chat-template.ts";
import { qwen2Metadata, SPECIAL_TOKENS, tinyVocabulary } from "../tests/support/tiny-gguf.ts";

interface Manifest {
  config: {
    hidden: number;
    layers: number;
    heads: number;
    kv_heads: number;
    ffn: number;
    context: number;
    eps: number;
    rope_theta: number;
  };
  tensors: Array<{ name: string; dims: number[]; offset: number; count: number }>;
  reference: {
    prompt: string;
    prompt_ids: number[];
    steps: Array<{ token: number; top: Array<[number, number]> }>;
  };
}

const [manifestPath, weightsPath, outPath] = process.argv.slice(2);
if (!manifestPath || !weightsPath || !outPath) {
  console.error("usage: micro-gguf.ts WEIGHTS.json WEIGHTS.bin OUT.gguf");
  process.exit(2);
}
const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as Manifest;
const weights = await readFile(weightsPath);

// 256 byte tokens (id = byte value) in GPT-2's byte-to-unicode spelling, then the ChatML specials.
const tokens = [...tinyVocabulary().tokens.slice(0, 256), ...SPECIAL_TOKENS];
const tokenTypes = tokens.map((_, i) => (i < 256 ? 1 : 3));
const c = manifest.config;
const metadata = qwen2Metadata(
  "pocket-agent micro-student (arithmetic; test/demo model)",
  {
    contextLength: c.context,
    hidden: c.hidden,
    layers: c.layers,
    feedForward: c.ffn,
    heads: c.heads,
    kvHeads: c.kv_heads,
    ropeFreqBase: c.rope_theta,
    rmsEps: c.eps,
  },
  { tokens, tokenTypes, merges: [] },
  QWEN25_CHAT_TEMPLATE,
);
const tensors: GgufTensor[] = manifest.tensors.map((t) => ({
  name: t.name,
  dims: t.dims,
  data: new Float32Array(
    weights.buffer.slice(weights.byteOffset + t.offset, weights.byteOffset + t.offset + t.count * 4),
  ),
}));
const gguf = encodeGguf(metadata, tensors);
await writeFile(outPath, gguf);
console.log(`${outPath}: ${gguf.length} bytes, ${tensors.length} tensors`);

// The check: llama.cpp against torch on the reference prompt.
const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
const llama = await getLlama({
  gpu: false,
  build: "never",
  logLevel: LlamaLogLevel.error,
  progressLogs: false,
});
const model = await llama.loadModel({ modelPath: outPath });
const ref = manifest.reference;
const promptIds = model.tokenize(ref.prompt, true) as number[];
if (promptIds.join(",") !== ref.prompt_ids.join(",")) {
  console.error(`llama.cpp tokens differ from the training tokenizer's:\n${promptIds}\n${ref.prompt_ids}`);
  process.exit(1);
}
const context = await model.createContext({ contextSize: c.context, threads: 1 });
const sequence = context.getSequence();
const generator = sequence.evaluateWithMetadata(
  promptIds as never,
  { probabilities: true },
  { temperature: 1, topK: 0, topP: 1, minP: 0 },
);
let maxDiff = 0;
let argmaxMismatches = 0;
let next = await generator.next();
for (const step of ref.steps) {
  if (next.done) break;
  const probabilities = next.value.probabilities as Map<number, number>;
  const llamaTop = [...probabilities.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  if (llamaTop !== step.token) argmaxMismatches++;
  for (const [token, p] of step.top)
    maxDiff = Math.max(maxDiff, Math.abs((probabilities.get(token) ?? 0) - p));
  next = await generator.next(step.token as never); // teacher-forced along torch's greedy completion
}
await generator.return();
await context.dispose();
await model.dispose();
await llama.dispose();
console.log(
  `llama.cpp vs torch on ${ref.steps.length} greedy steps: same prompt tokens (${promptIds.length}), ` +
    `greedy mismatches ${argmaxMismatches}, max |p_llama - p_torch| over the top-5 ${maxDiff.toExponential(2)}`,
);
if (argmaxMismatches > 0 || maxDiff > 2e-3) {
  console.error("llama.cpp does not compute what torch computed: check the weight layout and RoPE");
  process.exit(1);
}
