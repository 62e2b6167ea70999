/**
 * The web-llm worker: WebGPU inference off the page's thread. It only relays messages to web-llm's own
 * handler; the page talks to it through CreateWebWorkerMLCEngine (src/llm/webllm/load.ts).
 */
import { WebWorkerMLCEngineHandler } from "@mlc-ai/web-llm";

const handler = new WebWorkerMLCEngineHandler();
self.onmessage = (event: MessageEvent) => {
  handler.onmessage(event);
};
