/**
 * What the web-llm worker (workers/llm.worker.ts, worker-host.ts) offers the page through comlink. Types
 * only: the page imports this file and never web-llm itself, whose 6 MB stay in the worker.
 */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequestNonStreaming,
  ChatCompletionRequestStreaming,
  InitProgressReport,
} from "@mlc-ai/web-llm";
import type { EngineError } from "../../ports/engine.ts";
import type { ModelChoice } from "./model-config.ts";

/** A model file load.ts checks when web-llm fails to load, to say which URL is wrong (explainLoadFailure). */
export interface ModelFile {
  url: string;
  expect: "json" | "wasm";
}

/**
 * The outcome of a load. A failure is a value, not a rejection, because an error crossing comlink keeps
 * only its message, and the page needs the code and the files to probe.
 */
export type LoadReply =
  | { ok: true; modelId: string }
  | {
      ok: false;
      /** The model id when the choice resolved (undefined: the choice itself is wrong). */
      modelId?: string;
      /** web-llm's error as text ("Name: message"), or the resolution error's message. */
      text: string;
      code: EngineError["code"];
      /** The model's files, to probe when web-llm's reason is a bare "Request failed". */
      files: ModelFile[];
    };

export interface WebLLMWorkerApi {
  /**
   * Resolves the choice against web-llm's prebuilt list (relative custom URLs against `pageUrl`, the
   * page's address, since the worker's own differs) and loads the model, reporting progress.
   */
  load(
    choice: ModelChoice,
    pageUrl: string | undefined,
    onProgress: (report: InitProgressReport) => void,
  ): Promise<LoadReply>;
  complete(request: ChatCompletionRequestNonStreaming): Promise<ChatCompletion>;
  /** Starts a streaming completion; its chunks are pulled one by one with streamNext. */
  streamStart(request: ChatCompletionRequestStreaming): Promise<number>;
  streamNext(stream: number): Promise<IteratorResult<ChatCompletionChunk, undefined>>;
  interruptGenerate(): Promise<void>;
  unload(): Promise<void>;
}
