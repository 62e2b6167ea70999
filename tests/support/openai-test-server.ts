/**
 * A small OpenAI-compatible HTTP server for tests: answers /v1/chat/completions with scripted
 * completions (cut at the request's stop sequences, as a real server does), supports `n` and
 * streaming, lists /v1/models, records every request, and can be told to fail.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: {
    model: string;
    messages: { role: string; content: string }[];
    stop?: string[];
    n?: number;
    stream?: boolean;
    temperature?: number;
    top_p?: number;
    seed?: number;
  };
}

export interface TestServerOptions {
  completions: string[];
  model?: string;
  /** Status codes to answer with, in order, before serving normally (e.g. [503, 429]). */
  failures?: number[];
  /** Ignore `n` and always return one choice (like llama.cpp server / Ollama). */
  ignoreN?: boolean;
  /** Answer with this raw body instead of JSON. */
  rawReply?: string;
}

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  remaining(): number;
  close(): Promise<void>;
  /** Stops at once, as a crashed server would: open connections are dropped too. */
  kill(): Promise<void>;
}

export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const model = options.model ?? "test-student";
  const failures = [...(options.failures ?? [])];
  const requests: RecordedRequest[] = [];
  let next = 0;

  const take = (stop: string[] | undefined): string => {
    const text = options.completions[next++];
    if (text === undefined) throw new Error("test server ran out of completions");
    let end = text.length;
    for (const s of stop ?? []) {
      const at = text.indexOf(s);
      if (at !== -1 && at < end) end = at;
    }
    return text.slice(0, end);
  };

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const path = req.url ?? "";
    if (req.method === "GET" && path.endsWith("/models")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: model, object: "model" }] }));
      return;
    }
    const body = JSON.parse(raw || "{}") as RecordedRequest["body"];
    requests.push({ path, headers: req.headers, body });
    const failure = failures.shift();
    if (failure) {
      res.writeHead(failure, { "content-type": "application/json", "retry-after": "0" });
      res.end(JSON.stringify({ error: { message: `injected failure ${failure}` } }));
      return;
    }
    if (options.rawReply !== undefined) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(options.rawReply);
      return;
    }
    if (body.model !== model) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `The model \`${body.model}\` does not exist.` } }));
      return;
    }
    const n = options.ignoreN ? 1 : (body.n ?? 1);
    let texts: string[];
    try {
      texts = Array.from({ length: n }, () => take(body.stop));
    } catch (error) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: (error as Error).message } }));
      return;
    }
    const usage = { prompt_tokens: raw.length >> 2, completion_tokens: texts.join("").length >> 2 };
    if (body.stream) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const text = texts[0]!;
      for (let i = 0; i < text.length; i += 7) {
        res.write(
          `data: ${JSON.stringify({ model, choices: [{ index: 0, delta: { content: text.slice(i, i + 7) } }] })}\n\n`,
        );
      }
      res.write(
        `data: ${JSON.stringify({ model, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`,
      );
      res.write(`data: ${JSON.stringify({ model, choices: [], usage })}\n\n`);
      res.end("data: [DONE]\n\n");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${requests.length}`,
        object: "chat.completion",
        model,
        choices: texts.map((content, index) => ({
          index,
          message: { role: "assistant", content },
          finish_reason: "stop",
        })),
        usage,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    remaining: () => options.completions.length - next,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    kill: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
