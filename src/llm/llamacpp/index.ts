export { renderChatPrompt, type TemplateTokens } from "./chat-template.ts";
export { LlamaCppEngine, type LlamaCppEngineParts, type LlamaCppStats } from "./llamacpp-engine.ts";
export { type LlamaCppLoadOptions, loadLlamaCppEngine } from "./load.ts";
