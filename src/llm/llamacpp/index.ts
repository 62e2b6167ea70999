export { renderChatPrompt, type TemplateTokens } from "../chat-template.ts";
export { LlamaCppEngine, type LlamaCppEngineParts } from "./llamacpp-engine.ts";
export { type LlamaCppLoadOptions, loadLlamaCppEngine } from "./load.ts";
export type { PrefixStats } from "./prefix-cache.ts";
