/**
 * Loads a GGUF file into node-llama-cpp and wraps it as a LlamaCppEngine. Only prebuilt llama.cpp
 * binaries are used (they come as npm packages with node-llama-cpp): nothing is downloaded or compiled
 * at run time, so a machine without a matching binary gets a clear error instead of a build attempt.
 */
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { EngineError } from "../../ports/engine.ts";
import { LlamaCppEngine } from "./llamacpp-engine.ts";

export interface LlamaCppLoadOptions {
  /** Path of the .gguf file. */
  modelPath: string;
  /** Context window in tokens (default: the model's training context, at most 8192). */
  contextSize?: number;
  /** "auto" uses a GPU when llama.cpp finds one (default); false forces the CPU. */
  gpu?: "auto" | false;
  /**
   * Context sequences, i.e. how many candidates of a request get their own copy of the prompt's KV cache
   * (default 1: each candidate then re-uses the one sequence). Each one costs a KV cache.
   */
  parallel?: number;
  /** CPU threads for evaluation (default: node-llama-cpp's choice, the machine's math cores). */
  threads?: number;
}

/** Large enough for a 5-step agent run with retrieved passages, small enough for a laptop's memory. */
const DEFAULT_MAX_CONTEXT = 8192;

export async function loadLlamaCppEngine(options: LlamaCppLoadOptions): Promise<LlamaCppEngine> {
  const file = await stat(options.modelPath).catch(() => undefined);
  if (!file?.isFile()) throw new EngineError(`model file not found: ${options.modelPath}`, "model");

  // Imported here so that commands which never run a local model do not load the native addon.
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  let llama: Awaited<ReturnType<typeof getLlama>>;
  try {
    llama = await getLlama({
      gpu: options.gpu ?? "auto",
      build: "never",
      logLevel: LlamaLogLevel.error,
      progressLogs: false,
    });
  } catch (error) {
    throw new EngineError(
      `llama.cpp cannot run on this machine (no usable prebuilt binary of node-llama-cpp): ${message(error)}`,
      "unsupported",
    );
  }
  try {
    const model = await llama.loadModel({ modelPath: options.modelPath });
    try {
      const contextSize = options.contextSize ?? Math.min(model.trainContextSize, DEFAULT_MAX_CONTEXT);
      const context = await model.createContext({
        contextSize,
        sequences: options.parallel ?? 1,
        ...(options.threads ? { threads: options.threads } : {}),
      });
      return new LlamaCppEngine({
        model,
        sequences: Array.from({ length: context.totalSequences }, () => context.getSequence()),
        modelName: basename(options.modelPath),
        dispose: async () => {
          await context.dispose();
          await model.dispose();
          await llama.dispose();
        },
      });
    } catch (error) {
      await model.dispose();
      throw error;
    }
  } catch (error) {
    await llama.dispose();
    throw new EngineError(`cannot load ${options.modelPath} with llama.cpp: ${message(error)}`, "model");
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
