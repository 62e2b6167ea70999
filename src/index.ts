/**
 * `pocket-agent`: the agent, its ports and the adapters that run anywhere (an OpenAI-compatible server,
 * a replay). No DOM and no Node imports here; the runtime's own parts come from `pocket-agent/node` and
 * `pocket-agent/browser`, the page build's from `pocket-agent/vite`. See docs/embedding.md.
 */
export {
  type Agent,
  type AskOptions,
  type CreateAgentOptions,
  createAgent,
  type ExecutorFactory,
} from "./agent/create-agent.ts";
export type { AgentEvent, AgentEventListener } from "./agent/events.ts";
export { threadAfter } from "./agent/follow-up.ts";
export { type AgentOptions, runAgent } from "./agent/loop.ts";
export { DEFAULT_PACK } from "./agent/packs/default-pack.ts";
export { loadPromptPack, type PromptPack, PromptPackError } from "./agent/prompt-pack.ts";
export { SAG_DEFAULTS } from "./agent/sag.ts";
export {
  parseTrajectory,
  type Thread,
  type Trajectory,
  TrajectoryFormatError,
  type TrajectoryStep,
} from "./agent/trajectory.ts";
export { OpenAIEngine, type OpenAIEngineOptions } from "./llm/openai/openai-engine.ts";
export { ReplayEngine } from "./llm/replay/replay-engine.ts";
export type {
  ChatMessage,
  Completion,
  Engine,
  EngineInfo,
  GenerateRequest,
  GenerateResult,
  Usage,
} from "./ports/engine.ts";
export { EngineError } from "./ports/engine.ts";
export {
  type CandidateResult,
  type ExecutionError,
  type ExecutionResult,
  type Executor,
  type ExecutorOptions,
  REFERENCE_AUTHORIZED_IMPORTS,
  type ShardSource,
} from "./ports/executor.ts";
