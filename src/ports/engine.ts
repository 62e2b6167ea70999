/**
 * The Engine port: messages in, n completions out. Adapters live in sibling folders
 * (openai/, replay/, webllm/) and must not leak their wire types past this file's shapes.
 */

export type Role = "system" | "user" | "assistant";

export interface ChatMessage {
  role: Role;
  content: string;
}

export interface GenerateRequest {
  messages: ChatMessage[];
  /** Number of completions wanted. Engines without native `n` are called n times by the caller (see sampleN). */
  n?: number;
  stop?: string[];
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  signal?: AbortSignal;
  /** Streaming callback, honoured when n = 1. */
  onToken?: (delta: string) => void;
  /**
   * Server-specific request fields, sent as-is by HTTP adapters and ignored by the others; e.g. vLLM's
   * `continue_final_message` for a first-thought prefix (the last message is an assistant prefix).
   */
  extraBody?: Record<string, unknown>;
}

export type FinishReason = "stop" | "length" | "abort" | "other";

export interface Completion {
  text: string;
  finishReason: FinishReason;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface GenerateResult {
  completions: Completion[];
  usage?: Usage;
  /** The model that answered, as the engine reports it. */
  model: string;
}

export interface EngineInfo {
  /** Adapter kind, e.g. "openai", "replay", "webllm". */
  kind: string;
  /** Human label shown in traces, e.g. "qwen2.5-1.5b @ http://127.0.0.1:8000/v1". */
  label: string;
  /** True when completions are recorded, not generated: every UI and trace must say so. */
  isReplay: boolean;
  /** True when one call can return several completions (`n` > 1). */
  supportsN: boolean;
}

export interface Engine {
  readonly info: EngineInfo;
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /** Frees what the engine holds (a loaded model); engines that hold nothing leave it out. */
  dispose?(): Promise<void>;
}

/** Raised by adapters for failures the user can act on (unreachable server, unknown model, bad reply). */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly code:
      | "unreachable"
      | "http"
      | "bad-response"
      | "timeout"
      | "aborted"
      | "model"
      | "exhausted"
      /** The platform lacks what the engine needs (e.g. WebGPU for web-llm). */
      | "unsupported",
    readonly status?: number,
  ) {
    super(message);
    this.name = "EngineError";
  }
}

/** Sum of two usages, either of which may be missing. */
export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b;
  if (!b) return a;
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
  };
}
