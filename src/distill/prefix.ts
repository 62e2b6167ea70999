/**
 * Starting the first step with a given prefix: the request ends with an assistant message holding the
 * prefix, which the server continues (vLLM: `continue_final_message`, as the reference asks it; llama.cpp
 * server and Ollama continue a final assistant message on their own), and the prefix is put back in
 * front of every completion, so the stored step reads prefix + continuation.
 */
import type { ActionStrategy } from "../agent/loop.ts";
import type { Engine } from "../ports/engine.ts";

export function prefixedEngine(engine: Engine, prefix: string): Engine {
  return {
    info: engine.info,
    async generate(request) {
      const onToken = request.onToken;
      onToken?.(prefix);
      const result = await engine.generate({
        ...request,
        messages: [...request.messages, { role: "assistant", content: prefix }],
        extraBody: { ...request.extraBody, continue_final_message: true, add_generation_prompt: false },
      });
      return { ...result, completions: result.completions.map((c) => ({ ...c, text: prefix + c.text })) };
    },
  };
}

/** Runs step 1 with the prefix, every later step as `base` does. */
export function firstStepPrefixStrategy(prefix: string, base: ActionStrategy): ActionStrategy {
  return (ctx) =>
    ctx.step === 1 && prefix ? base({ ...ctx, engine: prefixedEngine(ctx.engine, prefix) }) : base(ctx);
}
