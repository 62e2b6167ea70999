export { loadWebLLMEngine, type WebLLMLoadOptions } from "./load.ts";
export {
  type CustomModel,
  customModelRecord,
  DEFAULT_WEBLLM_MODEL,
  type ModelChoice,
  resolveModel,
} from "./model-config.ts";
export { checkWebGPU, type GpuNavigator } from "./webgpu.ts";
export { type LoadProgress, WebLLMEngine } from "./webllm-engine.ts";
