/**
 * The wllama engine (llama.cpp compiled to WebAssembly) in real Chromium without WebGPU, with the REAL
 * micro-student (models/micro/micro-arith.gguf, a model trained by this project; no replay, no scripted
 * server), served by Vite on localhost with cross-origin isolation: the chat template's prompt, the
 * answer, SAG candidates from one prefill, seeds, streaming, abort and context overflow.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GenerateResult } from "../../src/ports/engine.ts";
import { launchChromium, openPage } from "./harness/browser.ts";
import type { PlainRequest, WllamaHarness } from "./harness/pages/wllama-page.ts";
import { type RunningVite, startVite } from "./harness/vite-server.ts";

const PAGE = "tests/e2e/harness/pages/wllama.html";
const SYSTEM = "Write Python; end with <end_code>. Tools: final_answer";
const STOP = ["<end_code>", "Observation:", "Calling tools:"];
const arithmetic = [
  { role: "system", content: SYSTEM },
  { role: "user", content: "New task:\nWhat is 17*23+1?" },
] as const;
// Outside the model's one task family it is unsure of every token, so samples differ.
const offTopic = [
  { role: "system", content: SYSTEM },
  { role: "user", content: "New task:\nTell me about the history of cats and dogs in Egypt." },
] as const;

type Reply = Awaited<ReturnType<WllamaHarness["generate"]>>;

let vite: RunningVite;
let browser: Browser;
let page: Page;

const call = <K extends keyof WllamaHarness>(method: K, ...args: unknown[]) =>
  page.evaluate(
    ([m, a]) => {
      const h = (globalThis as unknown as { wllamaHarness: Record<string, (...x: unknown[]) => unknown> })
        .wllamaHarness;
      return h[m as string]!(...(a as unknown[]));
    },
    [method, args] as const,
  );
const generate = (request: PlainRequest) => call("generate", request) as Promise<Reply>;
const stats = () => call("stats") as Promise<ReturnType<WllamaHarness["stats"]>>;

function ok(reply: Reply): GenerateResult & { pieces: string[] } {
  if (!reply.ok) throw new Error(`generation failed: ${reply.code}: ${reply.message}`);
  return { ...reply.result, pieces: reply.pieces };
}

beforeAll(async () => {
  [vite, browser] = await Promise.all([startVite(), launchChromium()]);
  ({ page } = await openPage(browser, `${vite.url}${PAGE}`));
  await page.waitForFunction(() => document.title === "wllama e2e ready", undefined, { timeout: 60_000 });
  // 256 tokens: room for the questions here, and small enough to overflow on purpose below.
  expect(await call("load", { contextSize: 256 })).toMatch(
    /^micro-arith \(llama\.cpp WebAssembly, CPU, \d+ threads?\)$/,
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await vite?.close();
});

describe("the wllama engine with the real micro-student in Chromium (no WebGPU)", {
  timeout: 120_000,
}, () => {
  it("runs cross-origin isolated, so llama.cpp may use threads", async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.evaluate(() => Boolean((navigator as { gpu?: unknown }).gpu))).toBe(true);
  });

  it("renders the GGUF's own ChatML template", async () => {
    expect(await call("renderPrompt", arithmetic)).toBe(
      `<|im_start|>system\n${SYSTEM}<|im_end|>\n<|im_start|>user\nNew task:\nWhat is 17*23+1?<|im_end|>\n<|im_start|>assistant\n`,
    );
  });

  it("answers with the teacher's code action, streamed piece by piece and cut at <end_code>", async () => {
    const result = ok(
      await generate({ messages: [...arithmetic], stop: STOP, temperature: 0, maxTokens: 120, stream: true }),
    );
    const text = `Thought: Compute it.\nCode:\n\`\`\`py\nresult = ${" ".repeat(10)}17*23+1\nfinal_answer(result)\n\`\`\``;
    expect(result.completions).toEqual([{ text, finishReason: "stop" }]);
    expect(result.pieces.join("")).toBe(text);
    expect(result.pieces.length).toBeGreaterThan(10);
    expect(result.usage?.completionTokens).toBeGreaterThan(0);
    expect(result.usage?.promptTokens).toBeGreaterThan(50);
  });

  it("SAG: n candidates from one prompt evaluation, distinct at temperature 1, the same again for the same seed", async () => {
    const request = { messages: [...offTopic], stop: STOP, temperature: 1, n: 3, maxTokens: 30, seed: 5 };
    const before = (await stats()).prompt;
    const first = ok(await generate(request));
    const after = (await stats()).prompt;
    expect(first.completions).toHaveLength(3);
    expect(new Set(first.completions.map((c) => c.text)).size).toBeGreaterThan(1);
    // The prompt is evaluated once; each later candidate only re-evaluates the last prompt token.
    const promptTokens = first.usage!.promptTokens;
    expect(after.tasks - before.tasks).toBe(3);
    expect(after.evaluated - before.evaluated).toBeLessThanOrEqual(promptTokens + 2);
    expect(after.reused - before.reused).toBeGreaterThanOrEqual(2 * (promptTokens - 1));
    expect(first.usage?.promptTokens).toBe(promptTokens);

    const again = ok(await generate(request));
    expect(again.completions).toEqual(first.completions);
  });

  it("max_tokens ends a completion with finish reason length", async () => {
    const result = ok(await generate({ messages: [...arithmetic], temperature: 0, maxTokens: 5 }));
    // The tokenizer is byte-level: 5 tokens are 5 characters.
    expect(result.completions[0]).toEqual({ text: "Thoug", finishReason: "length" });
  });

  it("aborts mid-generation with an EngineError, and answers the next request", async () => {
    const reply = await generate({
      messages: [...arithmetic],
      stop: STOP,
      temperature: 0,
      maxTokens: 120,
      stream: true,
      abortAfterPieces: 5,
    });
    expect(reply).toMatchObject({ ok: false, code: "aborted", message: "generation cancelled" });
    expect(reply.pieces.length).toBeLessThan(20);
    const next = ok(
      await generate({ messages: [...arithmetic], stop: STOP, temperature: 0, maxTokens: 120 }),
    );
    expect(next.completions[0]!.text).toContain("17*23+1");
  });

  it("keeps a model in this browser's OPFS, verified: the second load makes no request", async () => {
    const downloads: string[] = [];
    const count = (request: { url(): string; method(): string }) => {
      if (request.url().includes("micro-arith")) downloads.push(request.method());
    };
    page.on("request", count);
    try {
      expect(await call("load", { contextSize: 256, store: true })).toMatch(/^micro-arith /);
      expect(downloads).toEqual(["GET"]);
      // From OPFS, without even asking the server whether the file changed (so it works offline).
      expect(await call("load", { contextSize: 256, store: true })).toMatch(/^micro-arith /);
      expect(downloads).toEqual(["GET"]);
    } finally {
      page.off("request", count);
    }
    const result = ok(
      await generate({ messages: [...arithmetic], stop: STOP, temperature: 0, maxTokens: 120 }),
    );
    expect(result.completions[0]!.text).toContain("final_answer(result)");
  });

  it("says the prompt exceeds the context, with both sizes", async () => {
    const reply = await generate({ messages: [{ role: "user", content: "x".repeat(400) }], maxTokens: 10 });
    expect(reply).toMatchObject({ ok: false, code: "model" });
    expect(!reply.ok && reply.message).toMatch(
      /^the prompt is \d+ tokens but micro-arith's context holds 256; /,
    );
  });
});
