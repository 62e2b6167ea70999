/**
 * A tiny real model for tests: a qwen2-architecture GGUF with seeded random weights (2 layers, hidden
 * 64), a byte-level BPE tokenizer of 256 byte tokens + a few merges + the ChatML special tokens, and
 * Qwen2.5's chat template. llama.cpp loads and runs it like any Qwen2.5 GGUF; it writes gibberish, so
 * tests check behaviour (lengths, seeds, stops, aborts, counts), never quality.
 *
 * The special tokens are kept from ever being sampled (see `outputWeights`), so generation always runs
 * to max_tokens unless a stop sequence or an abort ends it: tests can rely on "length".
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodeGguf, type GgufTensor, type GgufValue } from "./gguf-writer.ts";
import { QWEN25_CHAT_TEMPLATE } from "./qwen25-chat-template.ts";

export interface TinyShape {
  layers: number;
  hidden: number;
  feedForward: number;
  heads: number;
  kvHeads: number;
  contextLength: number;
}

export const TINY_MODEL: Readonly<TinyShape> = {
  layers: 2,
  hidden: 64,
  feedForward: 128,
  heads: 4,
  kvHeads: 2,
  contextLength: 512,
};

export const SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] as const;

/** Pairs merged by the tokenizer, most frequent English pairs first ("Ġ" is GPT-2's byte for a space). */
// biome-ignore format: a table reads better packed
const MERGES = [
  "Ġ t", "Ġ a", "h e", "i n", "r e", "o n", "e r", "a n", "a t", "e n", "e s", "o r", "i s", "i t",
  "o u", "a r", "Ġ s", "Ġ w", "Ġ o", "Ġ c", "n d", "e d", "Ġ b", "Ġ f", "Ġ m", "Ġ p", "Ġ i", "Ġ h",
  "Ġ d", "a l", "l e", "s t", "t o", "n t", "Ġt he", "in g", "Ġ (", ") )", "Ċ Ċ", "Ġ =",
];

/** GPT-2's byte-to-character table: printable bytes stand for themselves, the rest map above U+0100. */
function byteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = printable.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  }
  return table;
}

export interface TinyVocabulary {
  tokens: string[];
  tokenTypes: number[];
  merges: string[];
}

/** llama.cpp token types: 1 normal, 3 control. */
export function tinyVocabulary(): TinyVocabulary {
  const tokens = byteToUnicode();
  for (const merge of MERGES) tokens.push(merge.replace(" ", ""));
  const tokenTypes = tokens.map(() => 1);
  for (const special of SPECIAL_TOKENS) {
    tokens.push(special);
    tokenTypes.push(3);
  }
  if (new Set(tokens).size !== tokens.length) throw new Error("tiny vocabulary has a duplicate token");
  return { tokens, tokenTypes, merges: MERGES };
}

/** A seeded normal sampler (mulberry32 + Box-Muller): the same seed always writes the same file. */
function gaussian(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

function randomTensor(name: string, dims: number[], std: number, normal: () => number): GgufTensor {
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = normal() * std;
  return { name, dims, data };
}

function onesTensor(name: string, size: number): GgufTensor {
  return { name, dims: [size], data: new Float32Array(size).fill(1) };
}

/**
 * Hidden dimension 0 is a constant "bias" channel: every token embedding has 1 there and no layer
 * writes to it (row 0 of attn_output and ffn_down is zero), so after the final norm it stays positive.
 * The output rows of the special tokens put a large negative weight on it, so they are never sampled.
 */
function modelTensors(
  shape: TinyShape,
  vocabSize: number,
  specialIds: readonly number[],
  seed: number,
): GgufTensor[] {
  const { hidden, feedForward, heads, kvHeads, layers } = shape;
  const kvDim = (hidden / heads) * kvHeads;
  const normal = gaussian(seed);
  const embedding = randomTensor("token_embd.weight", [hidden, vocabSize], 0.5, normal);
  for (let t = 0; t < vocabSize; t++) embedding.data[t * hidden] = 1;
  const output = randomTensor("output.weight", [hidden, vocabSize], 0.3, normal);
  for (let t = 0; t < vocabSize; t++) output.data[t * hidden] = specialIds.includes(t) ? -100 : 0;

  const tensors: GgufTensor[] = [embedding];
  for (let layer = 0; layer < layers; layer++) {
    const blk = `blk.${layer}`;
    const attnOutput = randomTensor(`${blk}.attn_output.weight`, [hidden, hidden], 0.1, normal);
    attnOutput.data.fill(0, 0, hidden);
    const ffnDown = randomTensor(`${blk}.ffn_down.weight`, [feedForward, hidden], 0.1, normal);
    ffnDown.data.fill(0, 0, feedForward);
    tensors.push(
      onesTensor(`${blk}.attn_norm.weight`, hidden),
      randomTensor(`${blk}.attn_q.weight`, [hidden, hidden], 0.2, normal),
      randomTensor(`${blk}.attn_q.bias`, [hidden], 0.02, normal),
      randomTensor(`${blk}.attn_k.weight`, [hidden, kvDim], 0.2, normal),
      randomTensor(`${blk}.attn_k.bias`, [kvDim], 0.02, normal),
      randomTensor(`${blk}.attn_v.weight`, [hidden, kvDim], 0.2, normal),
      randomTensor(`${blk}.attn_v.bias`, [kvDim], 0.02, normal),
      attnOutput,
      onesTensor(`${blk}.ffn_norm.weight`, hidden),
      randomTensor(`${blk}.ffn_gate.weight`, [hidden, feedForward], 0.2, normal),
      randomTensor(`${blk}.ffn_up.weight`, [hidden, feedForward], 0.2, normal),
      ffnDown,
    );
  }
  tensors.push(onesTensor("output_norm.weight", hidden), output);
  return tensors;
}

/** The shape of a qwen2 decoder, as its GGUF metadata states it. */
export interface Qwen2Shape {
  contextLength: number;
  hidden: number;
  layers: number;
  feedForward: number;
  heads: number;
  kvHeads: number;
  ropeFreqBase: number;
  rmsEps: number;
}

/**
 * The metadata of a qwen2 GGUF with a GPT-2-style byte-level vocabulary and ChatML specials (end of turn
 * <|im_end|>, padding and BOS <|endoftext|>, no BOS added); the chat template is left out when null.
 */
export function qwen2Metadata(
  name: string,
  shape: Qwen2Shape,
  vocab: TinyVocabulary,
  chatTemplate: string | null,
): Array<[string, GgufValue]> {
  const id = (token: string) => vocab.tokens.indexOf(token);
  const metadata: Array<[string, GgufValue]> = [
    ["general.architecture", { type: "string", value: "qwen2" }],
    ["general.name", { type: "string", value: name }],
    ["general.file_type", { type: "u32", value: 0 }],
    ["qwen2.context_length", { type: "u32", value: shape.contextLength }],
    ["qwen2.embedding_length", { type: "u32", value: shape.hidden }],
    ["qwen2.block_count", { type: "u32", value: shape.layers }],
    ["qwen2.feed_forward_length", { type: "u32", value: shape.feedForward }],
    ["qwen2.attention.head_count", { type: "u32", value: shape.heads }],
    ["qwen2.attention.head_count_kv", { type: "u32", value: shape.kvHeads }],
    ["qwen2.rope.freq_base", { type: "f32", value: shape.ropeFreqBase }],
    ["qwen2.attention.layer_norm_rms_epsilon", { type: "f32", value: shape.rmsEps }],
    ["tokenizer.ggml.model", { type: "string", value: "gpt2" }],
    ["tokenizer.ggml.pre", { type: "string", value: "qwen2" }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: vocab.tokens }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.tokenTypes }],
    ["tokenizer.ggml.merges", { type: "string[]", value: vocab.merges }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: id("<|im_end|>") }],
    ["tokenizer.ggml.padding_token_id", { type: "u32", value: id("<|endoftext|>") }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: id("<|endoftext|>") }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: false }],
  ];
  if (chatTemplate !== null)
    metadata.push(["tokenizer.chat_template", { type: "string", value: chatTemplate }]);
  return metadata;
}

export interface TinyGgufOptions {
  /** Chat template stored as tokenizer.chat_template (default: Qwen2.5's; null: none). */
  chatTemplate?: string | null;
  seed?: number;
  /** A larger (or smaller) random decoder of the same kind, e.g. for benchmarks; default TINY_MODEL. */
  shape?: Partial<TinyShape>;
}

/** The bytes of the tiny model's GGUF file. */
export function tinyGguf(options: TinyGgufOptions = {}): Buffer {
  const vocab = tinyVocabulary();
  const m = { ...TINY_MODEL, ...options.shape };
  const chatTemplate = options.chatTemplate === undefined ? QWEN25_CHAT_TEMPLATE : options.chatTemplate;
  const metadata = qwen2Metadata(
    "tiny-random-qwen2 (test model)",
    { ...m, ropeFreqBase: 1_000_000, rmsEps: 1e-6 },
    vocab,
    chatTemplate,
  );
  const id = (token: string) => vocab.tokens.indexOf(token);
  const specialIds = SPECIAL_TOKENS.map(id);
  return encodeGguf(metadata, modelTensors(m, vocab.tokens.length, specialIds, options.seed ?? 1234));
}

/** Writes the tiny model into `dir` and returns its path. */
export async function writeTinyGguf(
  dir: string,
  options: TinyGgufOptions = {},
  name = "tiny-qwen2.gguf",
): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, tinyGguf(options));
  return path;
}
