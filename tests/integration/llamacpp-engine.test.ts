/**
 * LlamaCppEngine on a real llama.cpp (node-llama-cpp's prebuilt binary) running a real GGUF: the tiny
 * random qwen2 model of tests/support/tiny-gguf.ts. It writes gibberish, so these tests check what does
 * not depend on quality: template, token counts, lengths, seeds, stops, streaming, abort, overflow and
 * how much of the prompt is evaluated when n candidates share it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LlamaCppEngine, loadLlamaCppEngine } from "../../src/llm/llamacpp/index.ts";
import { type ChatMessage, EngineError } from "../../src/ports/engine.ts";
import { TINY_MODEL, tinyVocabulary, writeTinyGguf } from "../support/tiny-gguf.ts";

let dir: string;
let engine: LlamaCppEngine;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocket-agent-llamacpp-"));
  // One thread: the test machine's two cores are shared, and llama.cpp's threads spin while they wait.
  // Two sequences: n = 3 then runs a batch of two candidates side by side and a batch of one.
  engine = await loadLlamaCppEngine({
    modelPath: await writeTinyGguf(dir),
    gpu: false,
    threads: 1,
    parallel: 2,
  });
});
afterAll(async () => {
  await engine?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** A fresh conversation per test, so no test depends on what another left in the cache. */
function conversation(task: string): ChatMessage[] {
  return [
    { role: "system", content: "You are a test agent." },
    { role: "user", content: `New task:\n${task}` },
  ];
}

describe("LlamaCppEngine on a real GGUF", () => {
  it("describes itself as llama.cpp with the model file, not a replay", () => {
    expect(engine.info).toEqual({
      kind: "llamacpp",
      label: "llama.cpp: tiny-qwen2.gguf",
      isReplay: false,
      supportsN: true,
    });
    expect(engine.contextSize).toBe(TINY_MODEL.contextLength);
  });

  it("renders the GGUF's own chat template and tokenizes its special tokens as single tokens", async () => {
    const messages = conversation("What is 2+2?");
    const prompt = engine.renderPrompt(messages);
    expect(prompt).toBe(
      "<|im_start|>system\nYou are a test agent.<|im_end|>\n<|im_start|>user\nNew task:\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    );
    const tokens = engine.tokenizePrompt(prompt);
    const vocab = tinyVocabulary().tokens;
    expect(tokens[0]).toBe(vocab.indexOf("<|im_start|>"));
    expect(tokens.filter((t) => t === vocab.indexOf("<|im_end|>"))).toHaveLength(2);

    const result = await engine.generate({ messages, maxTokens: 12, temperature: 1, seed: 3 });
    expect(result.usage).toEqual({ promptTokens: tokens.length, completionTokens: 12 });
    expect(result.completions).toHaveLength(1);
    expect(result.completions[0]!.finishReason).toBe("length");
    expect(result.completions[0]!.text.length).toBeGreaterThan(0);
    expect(result.model).toBe("tiny-qwen2.gguf");
  });

  it("gives the same text for the same seed and different text for other seeds (temperature 1)", async () => {
    const messages = conversation("seeds");
    const sample = async (seed: number) =>
      (await engine.generate({ messages, maxTokens: 16, temperature: 1, seed })).completions[0]!.text;
    const first = await sample(11);
    expect(await sample(11)).toBe(first);
    const others = [await sample(12), await sample(13), await sample(14)];
    expect(others.some((text) => text !== first)).toBe(true);
  });

  it("samples n candidates from one evaluation of the shared prompt", async () => {
    const messages = conversation("three candidates, one prefill");
    const prefix = engine.tokenizePrompt(engine.renderPrompt(messages)).length - 1;
    const maxTokens = 8;
    const before = { ...engine.promptStats, decoded: engine.decodedTokens };
    const result = await engine.generate({ messages, n: 3, maxTokens, temperature: 1, topP: 1, seed: 5 });

    expect(result.completions).toHaveLength(3);
    for (const c of result.completions) expect(c.finishReason).toBe("length");
    expect(new Set(result.completions.map((c) => c.text)).size).toBeGreaterThanOrEqual(2);
    expect(result.usage).toEqual({ promptTokens: prefix + 1, completionTokens: 3 * maxTokens });

    // The prompt (but its last token, evaluated with each candidate) was evaluated at most once; the
    // second sequence got a copy of the cache, and the third candidate reused the first sequence's.
    const evaluated = engine.promptStats.evaluated - before.evaluated;
    const copied = engine.promptStats.copied - before.copied;
    const reused = engine.promptStats.reused - before.reused;
    expect(evaluated).toBeLessThanOrEqual(prefix);
    expect(copied).toBe(prefix);
    expect(evaluated + copied + reused).toBe(3 * prefix);
    // llama.cpp's own meter agrees: one prompt, then per candidate its last prompt token and the tokens
    // fed back, where three independent requests would have decoded the prompt three times.
    const decoded = engine.decodedTokens - before.decoded;
    expect(decoded).toBeLessThanOrEqual(prefix + 3 * maxTokens);
  });

  it("gives candidate i the text of a single request with seed + i, batched or not", async () => {
    const messages = conversation("candidates and seeds");
    const together = await engine.generate({ messages, n: 3, maxTokens: 10, temperature: 1, seed: 40 });
    const alone = [];
    for (const seed of [40, 41, 42]) {
      alone.push(
        (await engine.generate({ messages, maxTokens: 10, temperature: 1, seed })).completions[0]!.text,
      );
    }
    expect(together.completions.map((c) => c.text)).toEqual(alone);
  });

  it("cuts the text at a stop sequence and reports finish reason stop", async () => {
    const messages = conversation("stop sequences");
    const free = (await engine.generate({ messages, maxTokens: 40, temperature: 1, seed: 21 }))
      .completions[0]!;
    // A two-character piece from the middle of the free text that contains no half-decoded byte.
    let at = Math.floor(free.text.length / 2);
    while (at < free.text.length - 2 && free.text.slice(at, at + 2).includes("\uFFFD")) at++;
    const stop = free.text.slice(at, at + 2);
    expect(stop).toHaveLength(2);

    const cut = await engine.generate({ messages, maxTokens: 40, temperature: 1, seed: 21, stop: [stop] });
    expect(cut.completions[0]!.text).toBe(free.text.slice(0, free.text.indexOf(stop)));
    expect(cut.completions[0]!.finishReason).toBe("stop");
    expect(cut.usage!.completionTokens).toBeLessThan(40);
  });

  it("streams deltas that add up to the final text", async () => {
    const deltas: string[] = [];
    const result = await engine.generate({
      messages: conversation("streaming"),
      maxTokens: 40,
      temperature: 1,
      seed: 8,
      onToken: (delta) => deltas.push(delta),
    });
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(result.completions[0]!.text);
  });

  it("stops when aborted mid-generation with an 'aborted' EngineError, and keeps working", async () => {
    const controller = new AbortController();
    let deltas = 0;
    const aborted = engine.generate({
      messages: conversation("abort"),
      maxTokens: 400,
      temperature: 1,
      seed: 1,
      signal: controller.signal,
      onToken: () => {
        if (++deltas === 3) controller.abort();
      },
    });
    await expect(aborted).rejects.toMatchObject({ name: "EngineError", code: "aborted" });
    expect(deltas).toBeLessThan(10);

    const after = await engine.generate({ messages: conversation("abort"), maxTokens: 4, temperature: 0 });
    expect(after.completions[0]!.finishReason).toBe("length");
  });

  it("stops all candidates of a batch when aborted", async () => {
    const messages = conversation("abort a batch");
    const request = { messages, n: 3, maxTokens: 400, temperature: 1, seed: 9 };
    const t0 = performance.now();
    await engine.generate(request);
    const fullTime = performance.now() - t0;

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), fullTime / 4);
    const t1 = performance.now();
    await expect(engine.generate({ ...request, signal: controller.signal })).rejects.toMatchObject({
      code: "aborted",
    });
    clearTimeout(timer);
    expect(performance.now() - t1).toBeLessThan(fullTime * 0.9);
    // Every sequence is usable again.
    const after = await engine.generate({ messages, n: 2, maxTokens: 3, temperature: 1, seed: 1 });
    expect(after.completions).toHaveLength(2);
  });

  it("refuses a request whose signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      engine.generate({ messages: conversation("x"), signal: controller.signal }),
    ).rejects.toMatchObject({ code: "aborted" });
  });

  it("says clearly when the prompt does not fit the context", async () => {
    const long = "lorem ipsum dolor sit amet ".repeat(200);
    const error = await engine.generate({ messages: conversation(long) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe("model");
    expect((error as EngineError).message).toMatch(
      /^the prompt is \d+ tokens but tiny-qwen2\.gguf's context holds 512/,
    );
  });

  it("ends at the context's end with finish reason length instead of shifting the context", async () => {
    const messages = conversation("fill the context");
    const promptTokens = engine.tokenizePrompt(engine.renderPrompt(messages)).length;
    const result = await engine.generate({ messages, maxTokens: 10_000, temperature: 1, seed: 2 });
    expect(result.completions[0]!.finishReason).toBe("length");
    expect(result.usage!.completionTokens).toBe(TINY_MODEL.contextLength - promptTokens);
  });

  it("serves concurrent requests one after another on its one sequence", async () => {
    const messages = conversation("concurrency");
    const [a, b] = await Promise.all([
      engine.generate({ messages, maxTokens: 6, temperature: 1, seed: 4 }),
      engine.generate({ messages, maxTokens: 6, temperature: 1, seed: 4 }),
    ]);
    expect(a.completions[0]!.text).toBe(b.completions[0]!.text);
  });
});

describe("loadLlamaCppEngine", () => {
  it("uses whatever chat template the GGUF carries, and refuses a GGUF without one", async () => {
    const template = "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}[assistant] ";
    const custom = await loadLlamaCppEngine({
      modelPath: await writeTinyGguf(dir, { chatTemplate: template }, "custom-template.gguf"),
      gpu: false,
      threads: 1,
    });
    try {
      expect(custom.renderPrompt(conversation("x"))).toBe(
        "[system] You are a test agent.\n[user] New task:\nx\n[assistant] ",
      );
    } finally {
      await custom.dispose();
    }

    const bare = await loadLlamaCppEngine({
      modelPath: await writeTinyGguf(dir, { chatTemplate: null }, "no-template.gguf"),
      gpu: false,
      threads: 1,
    });
    try {
      await expect(bare.generate({ messages: conversation("x") })).rejects.toThrow(
        /no-template\.gguf has no chat template/,
      );
    } finally {
      await bare.dispose();
    }
  });

  it("names a missing model file", async () => {
    await expect(loadLlamaCppEngine({ modelPath: join(dir, "missing.gguf") })).rejects.toThrow(
      /model file not found: .*missing\.gguf/,
    );
  });
});
