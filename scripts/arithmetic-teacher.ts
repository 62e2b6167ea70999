/**
 * A PROGRAMMATIC TEACHER, NOT A MODEL: an OpenAI-compatible chat-completions endpoint that answers the
 * micro-student's arithmetic questions ("What is EXPR?") with one agent step computing EXPR in Python
 * (src/distill/arithmetic.ts). It lets `pocket-agent teach` produce the micro-student's training data
 * through the project's own pipeline (teach -> filter -> sft export), as a large teacher model would.
 *
 * Usage: node bin/run-ts.js scripts/arithmetic-teacher.ts [--port 8123]
 *        (then: pocket-agent teach --base-url http://127.0.0.1:8123/v1 --model arithmetic-teacher ...)
 * It serves until killed. A task that is not of the family gets a step that calls final_answer(None).
 */
import { createServer } from "node:http";
import { expressionOf, teacherStep } from "../src/distill/arithmetic.ts";

const MODEL = "arithmetic-teacher (programmatic, not a model)";
const portFlag = process.argv.indexOf("--port");
const port = portFlag >= 0 ? Number(process.argv[portFlag + 1]) : 8123;

interface ChatRequest {
  messages?: Array<{ role: string; content: string }>;
  n?: number;
  stop?: string[];
  stream?: boolean;
}

function reply(request: ChatRequest): string {
  const task = request.messages?.find((m) => m.role === "user")?.content ?? "";
  const expression = expressionOf(task);
  let text = expression
    ? teacherStep(expression)
    : "Thought: This is not an arithmetic question.\nCode:\n```py\nfinal_answer(None)\n```";
  // As a server does: the text ends before the first stop sequence (the agent adds <end_code> back).
  for (const stop of request.stop ?? []) {
    const at = text.indexOf(stop);
    if (at >= 0) text = text.slice(0, at);
  }
  return text;
}

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url?.endsWith("/models")) {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ object: "list", data: [{ id: MODEL, object: "model" }] }));
    return;
  }
  if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
    res.statusCode = 404;
    res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
    return;
  }
  let body = "";
  req.on("data", (chunk: Buffer) => {
    body += chunk.toString("utf8");
  });
  req.on("end", () => {
    let request: ChatRequest;
    try {
      request = JSON.parse(body) as ChatRequest;
    } catch {
      res.statusCode = 400;
      res.end(JSON.stringify({ error: { message: "body is not JSON" } }));
      return;
    }
    const text = reply(request);
    const usage = { prompt_tokens: body.length, completion_tokens: text.length };
    if (request.stream) {
      res.setHeader("content-type", "text/event-stream");
      const chunk = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
      chunk({ model: MODEL, choices: [{ index: 0, delta: { role: "assistant", content: text } }] });
      chunk({ model: MODEL, choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage });
      res.end("data: [DONE]\n\n");
      return;
    }
    const n = request.n ?? 1;
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        object: "chat.completion",
        model: MODEL,
        choices: Array.from({ length: n }, (_, index) => ({
          index,
          message: { role: "assistant", content: text },
          finish_reason: "stop",
        })),
        usage: { ...usage, completion_tokens: usage.completion_tokens * n },
      }),
    );
  });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`${MODEL}: http://127.0.0.1:${port}/v1`);
});
