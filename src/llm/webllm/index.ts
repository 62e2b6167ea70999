export { loadWebLLMEngine, type WebLLMLoadOptions } from "./load.ts";
export {
  type CustomModel,
  customModelRecord,
  type ModelChoice,
  resolveModel,
} from "./model-config.ts";
export { DEFAULT_WEBLLM_MODEL, SUGGESTED_WEBLLM_MODELS } from "./models.ts";
export { checkWebGPU, type GpuNavigator } from "./webgpu.ts";
export { type LoadProgress, WebLLMEngine } from "./webllm-engine.ts";
