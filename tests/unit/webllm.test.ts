import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequestNonStreaming,
  ChatCompletionRequestStreaming,
  MLCEngineConfig,
} from "@mlc-ai/web-llm";
import { prebuiltAppConfig } from "@mlc-ai/web-llm";
import { describe, expect, it } from "vitest";
import { runAgent } from "../../src/agent/loop.ts";
import { explainLoadFailure, loadWebLLMEngine } from "../../src/llm/webllm/load.ts";
import { chatConfigUrl, customModelRecord, resolveModel } from "../../src/llm/webllm/model-config.ts";
import { SUGGESTED_WEBLLM_MODELS } from "../../src/llm/webllm/models.ts";
import { checkWebGPU } from "../../src/llm/webllm/webgpu.ts";
import { type MLCEngineLike, toWebLLMMessages, WebLLMEngine } from "../../src/llm/webllm/webllm-engine.ts";
import { webLLMWorkerApi } from "../../src/llm/webllm/worker-host.ts";
import { EngineError } from "../../src/ports/engine.ts";
import type { Executor } from "../../src/ports/executor.ts";

type Request = ChatCompletionRequestNonStreaming | ChatCompletionRequestStreaming;

/** A stand-in for web-llm's worker engine: same request/reply shapes, scripted texts, real interrupt. */
class ScriptedMLCEngine implements MLCEngineLike {
  readonly requests: Request[] = [];
  interrupts = 0;
  unloaded = false;
  private interrupted = false;

  constructor(
    private readonly texts: string[],
    private readonly options: { tokenDelayMs?: number; fail?: unknown } = {},
  ) {}

  chatCompletion(request: ChatCompletionRequestNonStreaming): Promise<ChatCompletion>;
  chatCompletion(request: ChatCompletionRequestStreaming): Promise<AsyncIterable<ChatCompletionChunk>>;
  async chatCompletion(request: Request): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>> {
    this.requests.push(request);
    this.interrupted = false;
    if (this.options.fail !== undefined) throw this.options.fail;
    if (request.stream) return this.chunks();
    const n = request.n ?? 1;
    const texts = this.texts.splice(0, n);
    return {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 0,
      model: "student-mlc",
      choices: texts.map((text, index) => ({
        index,
        finish_reason: "stop",
        logprobs: null,
        message: { role: "assistant", content: text },
      })),
      usage: {
        prompt_tokens: 120,
        completion_tokens: 9 * n,
        total_tokens: 120 + 9 * n,
        extra: {
          e2e_latency_s: 0,
          prefill_tokens_per_s: 0,
          decode_tokens_per_s: 0,
          time_to_first_token_s: 0,
          time_per_output_token_s: 0,
        },
      },
    } satisfies ChatCompletion;
  }

  private async *chunks(): AsyncGenerator<ChatCompletionChunk> {
    const text = this.texts.shift() ?? "";
    const base = { id: "c", object: "chat.completion.chunk" as const, created: 0, model: "student-mlc" };
    for (const piece of text.match(/[\s\S]{1,4}/g) ?? []) {
      if (this.options.tokenDelayMs) await new Promise((r) => setTimeout(r, this.options.tokenDelayMs));
      if (this.interrupted) {
        yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: "abort" }] };
        return;
      }
      yield { ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] };
    }
    yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
    yield {
      ...base,
      choices: [],
      usage: {
        prompt_tokens: 50,
        completion_tokens: 7,
        total_tokens: 57,
        extra: {
          e2e_latency_s: 0,
          prefill_tokens_per_s: 0,
          decode_tokens_per_s: 0,
          time_to_first_token_s: 0,
          time_per_output_token_s: 0,
        },
      },
    };
  }

  interruptGenerate(): void {
    this.interrupts++;
    this.interrupted = true;
  }

  async unload(): Promise<void> {
    this.unloaded = true;
  }
}

const messages = [
  { role: "system" as const, content: "You solve tasks with Python." },
  { role: "user" as const, content: "New task:\nWhat is 6*7?" },
];

describe("checkWebGPU", () => {
  it("fails clearly when navigator.gpu is missing", async () => {
    const error = await checkWebGPU({ userAgent: "old browser" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe("unsupported");
    expect((error as EngineError).message).toMatch(
      /^WebGPU is not available in this browser: navigator\.gpu is missing/,
    );
  });

  it("fails clearly when the browser has WebGPU but no adapter", async () => {
    const error = await checkWebGPU({ gpu: { requestAdapter: async () => null } }).catch((e: unknown) => e);
    expect((error as EngineError).message).toMatch(
      /^WebGPU is not available in this browser: no GPU adapter/,
    );
  });

  it("fails clearly when requesting the adapter throws", async () => {
    const gpu = {
      requestAdapter: async () => {
        throw new Error("GPU process crashed");
      },
    };
    const error = await checkWebGPU({ gpu }).catch((e: unknown) => e);
    expect((error as EngineError).message).toContain("GPU process crashed");
  });

  it("passes with an adapter and describes it", async () => {
    const adapter = { info: { vendor: "acme", architecture: "rdna9" } };
    await expect(checkWebGPU({ gpu: { requestAdapter: async () => adapter } })).resolves.toEqual({
      adapter: "acme rdna9",
    });
  });
});

describe("model records", () => {
  it("builds a custom record with absolute URLs resolved against the page", () => {
    const record = customModelRecord(
      {
        modelId: "student-0.5b",
        modelUrl: "models/student/",
        modelLibUrl: "/libs/student-webgpu.wasm",
        contextWindowSize: 4096,
      },
      "https://example.test/app/index.html",
    );
    expect(record).toEqual({
      model_id: "student-0.5b",
      model: "https://example.test/app/models/student/",
      model_lib: "https://example.test/libs/student-webgpu.wasm",
      overrides: { context_window_size: 4096 },
    });
    expect(chatConfigUrl(record)).toBe(
      "https://example.test/app/models/student/resolve/main/mlc-chat-config.json",
    );
    expect(chatConfigUrl({ ...record, model: "https://hf.test/u/m/resolve/v2/" })).toBe(
      "https://hf.test/u/m/resolve/v2/mlc-chat-config.json",
    );
  });

  it("rejects a library that is not a .wasm, a bad URL and an empty id with clear errors", () => {
    const base = "https://example.test/";
    expect(() => customModelRecord({ modelId: "s", modelUrl: "m/", modelLibUrl: "lib.js" }, base)).toThrow(
      /must name the compiled \.wasm/,
    );
    expect(() =>
      customModelRecord({ modelId: "s", modelUrl: "ftp://x/m", modelLibUrl: "a.wasm" }, base),
    ).toThrow(/must be http\(s\)/);
    expect(() => customModelRecord({ modelId: " ", modelUrl: "m/", modelLibUrl: "a.wasm" }, base)).toThrow(
      /model id is empty/,
    );
    expect(() =>
      customModelRecord(
        { modelId: "s", modelUrl: "m/", modelLibUrl: "a.wasm", contextWindowSize: 0.5 },
        base,
      ),
    ).toThrow(/context window/);
  });

  it("finds prebuilt models, can widen their context window, and names unknown ones", () => {
    const plain = resolveModel({ prebuilt: "Qwen2.5-0.5B-Instruct-q4f16_1-MLC" });
    expect(plain.appConfig.model_list).toHaveLength(1);
    expect(plain.record.overrides?.context_window_size).toBe(4096);
    const wide = resolveModel({ prebuilt: "Qwen2.5-0.5B-Instruct-q4f16_1-MLC", contextWindowSize: 8192 });
    expect(wide.appConfig.model_list[0]?.overrides?.context_window_size).toBe(8192);
    expect(wide.record.model_lib).toBe(plain.record.model_lib);
    expect(() =>
      resolveModel({ prebuilt: "Qwen2.5-0.5B-Instruct-q4f16_1-MLC", contextWindowSize: -1 }),
    ).toThrow(/context window must be a positive whole number/);
    expect(() => resolveModel({ prebuilt: "no-such-model" })).toThrow(/no prebuilt model "no-such-model"/);
  });
});

describe("WebLLMEngine", () => {
  it("maps sampling fields and stop sequences to web-llm, and reads choices, usage and model", async () => {
    const fake = new ScriptedMLCEngine(["Thought: multiply.\nCode:\n```py\nprint(6*7)\n```<end_code>junk"]);
    const engine = new WebLLMEngine(fake, "student-mlc");
    const result = await engine.generate({
      messages,
      stop: ["<end_code>", "Observation:"],
      temperature: 0.4,
      topP: 0.8,
      maxTokens: 256,
      seed: 3,
    });
    expect(fake.requests[0]).toEqual({
      messages,
      n: 1,
      stream: false,
      stop: ["<end_code>", "Observation:"],
      temperature: 0.4,
      top_p: 0.8,
      max_tokens: 256,
      seed: 3,
    });
    expect(result.completions).toEqual([
      { text: "Thought: multiply.\nCode:\n```py\nprint(6*7)\n```", finishReason: "stop" },
    ]);
    expect(result.usage).toEqual({ promptTokens: 120, completionTokens: 9 });
    expect(result.model).toBe("student-mlc");
    expect(engine.info).toMatchObject({ kind: "webllm", isReplay: false, supportsN: true });
  });

  it("asks for n choices in one non-streaming call", async () => {
    const fake = new ScriptedMLCEngine(["a", "b", "c"]);
    const result = await new WebLLMEngine(fake, "m").generate({ messages, n: 3, onToken: () => {} });
    expect(result.completions.map((c) => c.text)).toEqual(["a", "b", "c"]);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ n: 3, stream: false });
  });

  it("streams tokens when n = 1 and reads usage from the last chunk", async () => {
    const fake = new ScriptedMLCEngine(["Thought: go.\nCode:\n```py\nx = 1\n```"]);
    const pieces: string[] = [];
    const result = await new WebLLMEngine(fake, "m").generate({ messages, onToken: (d) => pieces.push(d) });
    expect(fake.requests[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join("")).toBe("Thought: go.\nCode:\n```py\nx = 1\n```");
    expect(result.completions[0]).toEqual({ text: pieces.join(""), finishReason: "stop" });
    expect(result.usage).toEqual({ promptTokens: 50, completionTokens: 7 });
  });

  it("interrupts web-llm on abort and reports a cancelled generation", async () => {
    const fake = new ScriptedMLCEngine(["x".repeat(400)], { tokenDelayMs: 2 });
    const controller = new AbortController();
    const pieces: string[] = [];
    const pending = new WebLLMEngine(fake, "m").generate({
      messages,
      signal: controller.signal,
      onToken: (d) => {
        pieces.push(d);
        if (pieces.length === 3) controller.abort();
      },
    });
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe("aborted");
    expect(fake.interrupts).toBe(1);
    expect(pieces.length).toBeLessThan(100);
  });

  it("does not call web-llm when already aborted", async () => {
    const fake = new ScriptedMLCEngine(["a"]);
    const error = await new WebLLMEngine(fake, "m")
      .generate({ messages, signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect((error as EngineError).code).toBe("aborted");
    expect(fake.requests).toHaveLength(0);
  });

  it("turns web-llm's string rejections into clear EngineErrors", async () => {
    const fake = new ScriptedMLCEngine([], {
      fail: "ContextWindowSizeExceededError: Prompt tokens exceed context window size",
    });
    const error = await new WebLLMEngine(fake, "m").generate({ messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).message).toMatch(/no longer fits the model's context window/);
  });

  it("refuses conversations web-llm cannot take, before calling it", async () => {
    expect(() => toWebLLMMessages([...messages, { role: "assistant", content: "Thought:" }])).toThrow(
      /ends with a message of role assistant/,
    );
    expect(() => toWebLLMMessages([messages[1]!, messages[0]!, messages[1]!])).toThrow(
      /system message only as the first/,
    );
    const fake = new ScriptedMLCEngine(["a"]);
    await expect(new WebLLMEngine(fake, "m").generate({ messages, seed: 1.5 })).rejects.toThrow(
      /seed must be an integer/,
    );
    expect(fake.requests).toHaveLength(0);
  });

  it("drives the agent loop like any engine (n = 1, final_answer)", async () => {
    const fake = new ScriptedMLCEngine(["Thought: answer.\nCode:\n```py\nfinal_answer(42)\n```"]);
    const executor: Executor = {
      reset: async () => {},
      run: async (code) => ({
        logs: "",
        output: "42",
        isFinalAnswer: code.includes("final_answer"),
        finalAnswer: 42,
        durationMs: 1,
      }),
      runCandidate: async () => {
        throw new Error("not used");
      },
      commitCandidate: async () => {},
      discardCandidates: async () => {},
      dispose: async () => {},
    };
    const trajectory = await runAgent("What is 6*7?", { engine: new WebLLMEngine(fake, "m"), executor });
    expect(trajectory.status).toBe("answered");
    expect(trajectory.answer).toBe(42);
    expect(fake.requests[0]?.stop).toEqual(expect.arrayContaining(["<end_code>", "Observation:"]));
  });
});

describe("loadWebLLMEngine", () => {
  const custom = {
    custom: {
      modelId: "student",
      modelUrl: "https://models.test/student/",
      modelLibUrl: "https://models.test/student.wasm",
    },
  };
  const gpu = { gpu: { requestAdapter: async () => ({}) } };

  it("checks WebGPU before starting a worker", async () => {
    let spawned = 0;
    const error = await loadWebLLMEngine({
      model: custom,
      navigator: {},
      spawnWorker: () => {
        spawned++;
        return { terminate() {} };
      },
    }).catch((e: unknown) => e);
    expect((error as EngineError).message).toMatch(/^WebGPU is not available in this browser/);
    expect(spawned).toBe(0);
  });

  it("passes the custom record and reports progress", async () => {
    let config: MLCEngineConfig | undefined;
    const progress: number[] = [];
    const engine = await loadWebLLMEngine({
      model: custom,
      navigator: gpu,
      spawnWorker: () => ({ terminate() {} }),
      onProgress: (p) => progress.push(p.fraction),
      connect: () =>
        webLLMWorkerApi(async (modelId, cfg) => {
          config = cfg;
          expect(modelId).toBe("student");
          for (const fraction of [0, 0.5, 1])
            cfg.initProgressCallback?.({ progress: fraction, timeElapsed: 1, text: "" });
          return new ScriptedMLCEngine([]);
        }),
    });
    expect(engine.modelId).toBe("student");
    expect(config?.appConfig?.model_list[0]).toMatchObject({
      model_id: "student",
      model: "https://models.test/student/",
      model_lib: "https://models.test/student.wasm",
    });
    expect(progress).toEqual([0, 0.5, 1]);
  });

  it("explains a failed download with the URL and HTTP status, and stops the worker", async () => {
    let terminated = false;
    const fetched: string[] = [];
    const error = await loadWebLLMEngine({
      model: custom,
      navigator: gpu,
      spawnWorker: () => ({
        terminate() {
          terminated = true;
        },
      }),
      connect: () =>
        webLLMWorkerApi(async () => {
          throw "TypeError: Failed to execute 'add' on 'Cache': Request failed";
        }),
      fetch: (async (url: string) => {
        fetched.push(url);
        return new Response("not found", { status: 404, statusText: "Not Found" });
      }) as typeof fetch,
    }).catch((e: unknown) => e);
    expect(terminated).toBe(true);
    expect(fetched).toEqual(["https://models.test/student/resolve/main/mlc-chat-config.json"]);
    expect((error as EngineError).code).toBe("http");
    expect((error as EngineError).message).toMatch(
      /^could not load model student: downloading https:\/\/models\.test\/student\/resolve\/main\/mlc-chat-config\.json failed: HTTP 404 Not Found/,
    );
  });

  it("talks to web-llm in its worker: streams tokens through it, names an unknown model, ends the worker on unload", async () => {
    let terminated = 0;
    const worker = {
      terminate() {
        terminated++;
      },
    };
    const scripted = new ScriptedMLCEngine(["Thought: hi.\n```py\nfinal_answer(1)\n```"]);
    const engine = await loadWebLLMEngine({
      model: { prebuilt: SUGGESTED_WEBLLM_MODELS[0]! },
      navigator: gpu,
      spawnWorker: () => worker,
      connect: () => webLLMWorkerApi(async () => scripted),
    });
    const tokens: string[] = [];
    const result = await engine.generate({
      messages: [{ role: "user", content: "hi" }],
      onToken: (t) => tokens.push(t),
    });
    expect(result.completions[0]!.text).toBe("Thought: hi.\n```py\nfinal_answer(1)\n```");
    expect(tokens.join("")).toBe(result.completions[0]!.text);
    await engine.unload();
    expect([scripted.unloaded, terminated]).toEqual([true, 1]);
    const unknown = await loadWebLLMEngine({
      model: { prebuilt: "no-such-model" },
      navigator: gpu,
      spawnWorker: () => worker,
      connect: () => webLLMWorkerApi(async () => scripted),
    }).catch((e: unknown) => e);
    expect((unknown as EngineError).message).toMatch(/^web-llm has no prebuilt model "no-such-model"/);
    expect(terminated).toBe(2);
  });

  it("says which URL cannot be reached when the network fails", async () => {
    const reason = await explainLoadFailure([{ url: "https://a.test/x", expect: "json" }], (async () => {
      throw new TypeError("Failed to fetch");
    }) as typeof fetch);
    expect(reason).toMatch(/cannot reach https:\/\/a\.test\/x \(Failed to fetch\)/);
  });

  it("recognises a host's HTML page or a non-wasm library in place of the model's files", async () => {
    const serve = (body: string | Uint8Array) =>
      (async () => new Response(body as BodyInit)) as unknown as typeof fetch;
    const html = await explainLoadFailure(
      [{ url: "https://a.test/c.json", expect: "json" }],
      serve("<!doctype html><p>app"),
    );
    expect(html).toMatch(
      /^https:\/\/a\.test\/c\.json is not the model's mlc-chat-config\.json \(the server answered with an HTML page/,
    );
    const js = await explainLoadFailure(
      [{ url: "https://a.test/l.wasm", expect: "wasm" }],
      serve("export default 1"),
    );
    expect(js).toMatch(/is not a WebAssembly model library;/);
    const fine = await explainLoadFailure(
      [
        { url: "https://a.test/c.json", expect: "json" },
        { url: "https://a.test/l.wasm", expect: "wasm" },
      ],
      (async (url: string) =>
        new Response(
          url.endsWith(".json")
            ? ' {"model_type": "qwen2"}'
            : new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
        )) as unknown as typeof fetch,
    );
    expect(fine).toBeUndefined();
  });

  it("keeps web-llm's reason when the files download fine", async () => {
    const error = await loadWebLLMEngine({
      model: custom,
      navigator: gpu,
      spawnWorker: () => ({ terminate() {} }),
      connect: () =>
        webLLMWorkerApi(async () => {
          throw new Error("ShaderF16SupportError: this model needs shader-f16");
        }),
      fetch: (async (url: string) =>
        new Response(
          url.endsWith(".wasm") ? new Uint8Array([0, 0x61, 0x73, 0x6d]) : "{}",
        )) as unknown as typeof fetch,
    }).catch((e: unknown) => e);
    expect((error as EngineError).message).toBe(
      "could not load model student: Error: ShaderF16SupportError: this model needs shader-f16",
    );
  });
});

describe("suggested models", () => {
  it("are all in web-llm's prebuilt list", () => {
    const known = new Set(prebuiltAppConfig.model_list.map((r) => r.model_id));
    for (const id of SUGGESTED_WEBLLM_MODELS) expect(known.has(id), id).toBe(true);
  });
});
