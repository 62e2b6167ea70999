/**
 * Model ids the page suggests, kept apart from web-llm's module so the page can list them without loading
 * web-llm's megabytes (a unit test checks each is in web-llm's prebuilt list).
 */

/** The base model our students are distilled into; a sensible default until a student is published. */
export const DEFAULT_WEBLLM_MODEL = "Qwen2.5-1.5B-Instruct-q4f16_1-MLC";

export const SUGGESTED_WEBLLM_MODELS: readonly string[] = [
  DEFAULT_WEBLLM_MODEL,
  "Qwen2.5-0.5B-Instruct-q4f16_1-MLC",
  "Qwen2.5-3B-Instruct-q4f16_1-MLC",
  "Qwen2.5-1.5B-Instruct-q4f32_1-MLC",
  "Qwen2.5-0.5B-Instruct-q4f32_1-MLC",
];
