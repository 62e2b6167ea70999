import { afterEach, describe, expect, it } from "vitest";
import { OpenAIEngine } from "../../src/llm/openai/openai-engine.ts";
import { EngineError } from "../../src/ports/engine.ts";
import { startTestServer, type TestServer } from "../support/openai-test-server.ts";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const step = "Thought: compute.\nCode:\n```py\nprint(6 * 7)\n```<end_code>\nObservation: 42";

describe("OpenAIEngine against a local OpenAI-compatible server", () => {
  it("sends the chat-completions request and reads choices, usage and model", async () => {
    server = await startTestServer({ completions: [step] });
    const engine = new OpenAIEngine({ baseUrl: server.url, model: "test-student", apiKey: "sk-local" });
    const result = await engine.generate({
      messages: [{ role: "user", content: "hi" }],
      stop: ["<end_code>", "Observation:"],
      temperature: 0.4,
      topP: 0.8,
      seed: 7,
    });
    expect(result.completions).toEqual([
      { text: "Thought: compute.\nCode:\n```py\nprint(6 * 7)\n```", finishReason: "stop" },
    ]);
    expect(result.model).toBe("test-student");
    expect(result.usage?.completionTokens).toBeGreaterThan(0);
    const req = server.requests[0]!;
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.headers.authorization).toBe("Bearer sk-local");
    expect(req.body).toMatchObject({
      model: "test-student",
      stop: ["<end_code>", "Observation:"],
      temperature: 0.4,
      top_p: 0.8,
      seed: 7,
    });
    expect(req.body.n).toBeUndefined();
  });

  it("asks for n completions in one call", async () => {
    server = await startTestServer({ completions: ["a", "b", "c"] });
    const engine = new OpenAIEngine({ baseUrl: server.url, model: "test-student" });
    const result = await engine.generate({ messages: [{ role: "user", content: "q" }], n: 3 });
    expect(result.completions.map((c) => c.text)).toEqual(["a", "b", "c"]);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.body.n).toBe(3);
  });

  it("falls back to one call per completion when the server ignores n, and remembers", async () => {
    server = await startTestServer({ completions: ["a", "b", "c", "d", "e"], ignoreN: true });
    const engine = new OpenAIEngine({ baseUrl: server.url, model: "test-student" });
    const first = await engine.generate({ messages: [{ role: "user", content: "q" }], n: 3, seed: 10 });
    expect(first.completions.map((c) => c.text)).toEqual(["a", "b", "c"]);
    expect(engine.info.supportsN).toBe(false);
    expect(server.requests.map((r) => r.body.seed)).toEqual([10, 10, 11]);
    await engine.generate({ messages: [{ role: "user", content: "q" }], n: 2 });
    expect(server.requests.slice(3).map((r) => r.body.n)).toEqual([undefined, undefined]);
  });

  it("streams tokens when n = 1 and a listener is given", async () => {
    server = await startTestServer({ completions: [step] });
    const engine = new OpenAIEngine({ baseUrl: server.url, model: "test-student" });
    const pieces: string[] = [];
    const result = await engine.generate({
      messages: [{ role: "user", content: "q" }],
      stop: ["<end_code>"],
      onToken: (d) => pieces.push(d),
    });
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join("")).toBe(result.completions[0]!.text);
    expect(result.completions[0]!.text).toBe("Thought: compute.\nCode:\n```py\nprint(6 * 7)\n```");
    expect(result.usage?.promptTokens).toBeGreaterThan(0);
    expect(server.requests[0]!.body.stream).toBe(true);
  });

  it("reads a plain JSON reply to a streaming request, and refuses one without choices", async () => {
    const whole = {
      model: "m",
      choices: [{ index: 0, message: { content: "whole" }, finish_reason: "stop" }],
    };
    server = await startTestServer({ completions: [], rawReply: JSON.stringify(whole) });
    const engine = new OpenAIEngine({ baseUrl: server.url, model: "test-student" });
    const pieces: string[] = [];
    const result = await engine.generate({
      messages: [{ role: "user", content: "q" }],
      onToken: (d) => pieces.push(d),
    });
    expect(result.completions[0]!.text).toBe("whole");
    expect(pieces).toEqual(["whole"]);
    await server.close();
    server = await startTestServer({ completions: [], rawReply: "{}" });
    const bare = new OpenAIEngine({ baseUrl: server.url, model: "test-student" });
    await expect(
      bare.generate({ messages: [{ role: "user", content: "q" }], onToken: () => {} }),
    ).rejects.toThrow(/no `choices` array/);
  });

  it("retries 503 and 429 with backoff, then succeeds", async () => {
    server = await startTestServer({ completions: ["ok"], failures: [503, 429] });
    const engine = new OpenAIEngine({ baseUrl: server.url, model: "test-student", backoffMs: 1 });
    const result = await engine.generate({ messages: [{ role: "user", content: "q" }] });
    expect(result.completions[0]!.text).toBe("ok");
    expect(server.requests).toHaveLength(3);
  });

  it("gives up after the retry budget with the server's message", async () => {
    server = await startTestServer({ completions: ["ok"], failures: [500, 500, 500] });
    const engine = new OpenAIEngine({
      baseUrl: server.url,
      model: "test-student",
      backoffMs: 1,
      maxRetries: 2,
    });
    await expect(engine.generate({ messages: [{ role: "user", content: "q" }] })).rejects.toThrow(
      /HTTP 500: injected failure 500/,
    );
  });

  it("names the served models when the model is wrong", async () => {
    server = await startTestServer({ completions: ["ok"] });
    const engine = new OpenAIEngine({ baseUrl: server.url, model: "qwen-typo" });
    const error = await engine
      .generate({ messages: [{ role: "user", content: "q" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe("model");
    expect((error as Error).message).toMatch(/model "qwen-typo" is not served .* it serves: test-student/);
  });

  it("says the server is unreachable", async () => {
    const closed = await startTestServer({ completions: [] });
    await closed.close();
    const engine = new OpenAIEngine({ baseUrl: closed.url, model: "m", maxRetries: 1, backoffMs: 1 });
    await expect(engine.generate({ messages: [{ role: "user", content: "q" }] })).rejects.toThrow(
      /cannot reach http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: ECONNREFUSED; is the server running\?/,
    );
  });

  it("fails at once on a refused connection instead of retrying it", async () => {
    let calls = 0;
    const refused = Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    const engine = new OpenAIEngine({
      baseUrl: "http://127.0.0.1:9/v1",
      model: "m",
      maxRetries: 3,
      backoffMs: 1,
      fetch: async () => {
        calls++;
        throw refused;
      },
    });
    await expect(engine.generate({ messages: [{ role: "user", content: "q" }] })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    expect(calls).toBe(1);
  });

  it("in a page, names CORS as a cause of a cross-origin failure, with how to allow the origin", async () => {
    let calls = 0;
    const engine = new OpenAIEngine({
      baseUrl: "http://127.0.0.1:8000/v1",
      model: "m",
      pageOrigin: "http://localhost:5173",
      fetch: async () => {
        calls++;
        throw new TypeError("Failed to fetch");
      },
    });
    const error = await engine
      .generate({ messages: [{ role: "user", content: "q" }] })
      .catch((e: unknown) => e);
    expect((error as EngineError).code).toBe("unreachable");
    const message = (error as Error).message;
    expect(message).toMatch(
      /either no server answers there, or it does not allow requests from http:\/\/localhost:5173 \(CORS/,
    );
    expect(message).toContain(`--allowed-origins '["http://localhost:5173"]'`);
    expect(message).toContain("--cors-origins http://localhost:5173");
    expect(message).toContain("OLLAMA_ORIGINS=http://localhost:5173");
    expect(message).not.toMatch(/is the server running/);
    expect(calls).toBe(1);

    // The same opaque failure from the page's own origin is no CORS matter.
    const sameOrigin = new OpenAIEngine({
      baseUrl: "http://localhost:5173/v1",
      model: "m",
      pageOrigin: "http://localhost:5173",
      maxRetries: 0,
      fetch: async () => {
        throw new TypeError("Failed to fetch");
      },
    });
    await expect(sameOrigin.generate({ messages: [{ role: "user", content: "q" }] })).rejects.toThrow(
      /Failed to fetch; is the server running\?/,
    );
  });

  it("rejects a reply that is not JSON, or has no choices", async () => {
    server = await startTestServer({ completions: [], rawReply: "<html>proxy error</html>" });
    const engine = new OpenAIEngine({ baseUrl: server.url, model: "test-student" });
    await expect(engine.generate({ messages: [{ role: "user", content: "q" }] })).rejects.toThrow(
      /reply is not JSON: <html>proxy error/,
    );
    await server.close();
    server = await startTestServer({ completions: [], rawReply: '{"object":"chat.completion"}' });
    const engine2 = new OpenAIEngine({ baseUrl: server.url, model: "test-student" });
    await expect(engine2.generate({ messages: [{ role: "user", content: "q" }] })).rejects.toThrow(
      /no `choices` array/,
    );
  });

  it("times out a silent server and stops on abort", async () => {
    const { createServer } = await import("node:http");
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    try {
      const engine = new OpenAIEngine({
        baseUrl: `http://127.0.0.1:${port}/v1`,
        model: "m",
        timeoutMs: 100,
        maxRetries: 0,
      });
      await expect(engine.generate({ messages: [{ role: "user", content: "q" }] })).rejects.toThrow(
        /no reply within 100 ms/,
      );
      const controller = new AbortController();
      const pending = new OpenAIEngine({ baseUrl: `http://127.0.0.1:${port}/v1`, model: "m" }).generate({
        messages: [{ role: "user", content: "q" }],
        signal: controller.signal,
      });
      controller.abort();
      await expect(pending).rejects.toThrow(/cancelled/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
