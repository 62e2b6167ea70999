/**
 * The web-llm worker: WebGPU inference off the page's thread, and the only place web-llm's code loads.
 * The page talks to it through comlink (src/llm/webllm/worker-client.ts).
 */
import { serveWebLLM } from "../src/llm/webllm/worker-host.ts";

serveWebLLM(self as unknown as Parameters<typeof serveWebLLM>[0]);
