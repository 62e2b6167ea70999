/**
 * The agent loop: step budget, final_answer, the fallback call when the budget is spent, cancellation,
 * and the event stream. Prompting, parsing, execution and voting live in their own modules.
 */

import { addUsage, type ChatMessage, type Engine, type Usage } from "../ports/engine.ts";
import { type Executor, REFERENCE_AUTHORIZED_IMPORTS } from "../ports/executor.ts";
import { type ChosenAction, type SamplingOptions, type StepContext, singleAction } from "./action.ts";
import type { AgentEvent, AgentEventListener } from "./events.ts";
import {
  buildFinalAnswerMessages,
  buildStepMessages,
  mergeSameRole,
  observationMessages,
  type StepMemory,
} from "./messages.ts";
import { DEFAULT_PACK } from "./packs/default-pack.ts";
import { assistantText } from "./parse.ts";
import {
  type PromptPack,
  type PromptRole,
  packRequestFields,
  renderSystemPrompt,
  taskFor,
} from "./prompt-pack.ts";
import { SAG_DEFAULTS, sagStrategy } from "./sag.ts";
import type { Thread, Trajectory, TrajectoryStep } from "./trajectory.ts";
import { TRAJECTORY_SCHEMA, TRAJECTORY_VERSION } from "./trajectory-format.ts";

/** Chooses the action of one step; the default is one sample, sag.ts provides self-consistent voting. */
export type ActionStrategy = (ctx: StepContext) => Promise<ChosenAction>;

export interface AgentOptions {
  engine: Engine;
  executor: Executor;
  pack?: PromptPack;
  /** student (default): the pack's short prompt when it has one; teacher: the full prompt. */
  role?: PromptRole;
  /** Step budget (default 5, as in the reference evaluation). */
  maxSteps?: number;
  sampling?: SamplingOptions;
  authorizedImports?: readonly string[];
  /** Tools listed in the prompt (default: every tool of the pack). */
  toolNames?: readonly string[];
  actionTimeoutMs?: number;
  /** How a step's action is chosen (default: one sample when n = 1, sagStrategy() when n > 1). */
  strategy?: ActionStrategy;
  signal?: AbortSignal;
  onEvent?: AgentEventListener;
  /** The conversation this question follows up (threadAfter(earlier trajectory), follow-up.ts). */
  thread?: Thread;
}

/** The sampling a run uses: SAG (n > 1) samples with the reference's student settings unless told otherwise. */
export function resolveSampling(options: SamplingOptions | undefined): SamplingOptions {
  const n = options?.n ?? 1;
  return n > 1
    ? {
        temperature: SAG_DEFAULTS.temperature,
        topP: SAG_DEFAULTS.topP,
        ...definedOnly(options ?? {}),
        n,
      }
    : { ...options, n };
}

export async function runAgent(question: string, options: AgentOptions): Promise<Trajectory> {
  const pack = options.pack ?? DEFAULT_PACK;
  const role = options.role ?? "student";
  const maxSteps = options.maxSteps ?? 5;
  const sampling = resolveSampling(options.sampling);
  const n = sampling.n ?? 1;
  const strategy = options.strategy ?? (n > 1 ? sagStrategy() : singleAction);
  const emit = (event: AgentEvent) => options.onEvent?.(event);
  const started = performance.now();
  const task = taskFor(pack, question);
  const systemPrompt = renderSystemPrompt(pack, {
    role,
    authorizedImports: options.authorizedImports ?? REFERENCE_AUTHORIZED_IMPORTS,
    toolNames: options.toolNames,
  });
  const thread = options.thread;
  const earlier = thread?.messages ?? [];
  const memory: StepMemory[] = [];
  const steps: TrajectoryStep[] = [];
  let usage: Usage = { promptTokens: 0, completionTokens: 0 };
  const countUsage = (u?: Usage) => {
    usage = addUsage(usage, u)!;
  };
  let model: string | undefined;
  const trajectory = (
    rest: Pick<Trajectory, "status" | "answer" | "messages"> & Partial<Trajectory>,
  ): Trajectory => ({
    schema: TRAJECTORY_SCHEMA,
    version: TRAJECTORY_VERSION,
    createdAt: new Date().toISOString(),
    question,
    task,
    ...(thread ? { thread } : {}),
    engine: {
      kind: options.engine.info.kind,
      label: options.engine.info.label,
      isReplay: options.engine.info.isReplay,
      ...(model ? { model } : {}),
    },
    settings: {
      role,
      promptPack: pack.name,
      maxSteps,
      n,
      temperature: sampling.temperature,
      topP: sampling.topP,
      maxTokens: sampling.maxTokens,
      seed: sampling.seed,
    },
    steps,
    usage,
    durationMs: performance.now() - started,
    ...rest,
  });
  const conversation = (): ChatMessage[] => buildStepMessages(systemPrompt, task, memory, pack, earlier);
  const finish = (t: Trajectory): Trajectory => {
    emit({ type: "run-end", trajectory: t });
    return t;
  };

  emit({
    type: "run-start",
    question,
    task,
    engine: options.engine.info,
    maxSteps,
    ...(thread ? { earlier: thread.turns } : {}),
  });
  await options.executor.reset();
  try {
    if (thread) await restoreNamespace(thread, options);
    for (let step = 1; step <= maxSteps; step++) {
      options.signal?.throwIfAborted();
      emit({ type: "step-start", step });
      const messages = conversation();
      const action = await strategy({
        step,
        messages,
        engine: options.engine,
        executor: options.executor,
        pack,
        sampling,
        actionTimeoutMs: options.actionTimeoutMs,
        signal: options.signal,
        emit,
      });
      countUsage(action.usage);
      model = action.model ?? model;
      // Stopped while the step ran: its cancelled action is not an observation (no error, no retry hint).
      options.signal?.throwIfAborted();
      const stepMemory = toMemory(step, action);
      memory.push(stepMemory);
      const observation = mergeSameRole(observationMessages(stepMemory, pack))
        .map((m) => m.content)
        .join("\n");
      steps.push(toTrajectoryStep(step, action, stepMemory, observation));
      emit({
        type: "observation",
        step,
        text: observation,
        execution: action.execution,
        parseError: action.parseError,
      });
      if (action.execution?.isFinalAnswer) {
        const answer = action.execution.finalAnswer ?? action.execution.output;
        emit({ type: "final-answer", answer, source: "final_answer" });
        return finish(trajectory({ status: "answered", answer, messages: conversation() }));
      }
    }

    options.signal?.throwIfAborted();
    const messages = buildFinalAnswerMessages(task, memory, pack, earlier);
    const fallbackStarted = performance.now();
    const extraBody = packRequestFields(pack);
    const result = await options.engine.generate({
      messages,
      n: 1,
      temperature: sampling.temperature,
      topP: sampling.topP,
      maxTokens: sampling.maxTokens,
      seed: sampling.seed,
      signal: options.signal,
      ...(extraBody ? { extraBody } : {}),
    });
    model = result.model;
    countUsage(result.usage);
    const completion = result.completions[0]?.text ?? "";
    emit({ type: "final-answer", answer: completion, source: "fallback" });
    return finish(
      trajectory({
        status: "fallback",
        answer: completion,
        messages: [...messages, { role: "assistant", content: completion }],
        fallback: { completion, messages, generationMs: performance.now() - fallbackStarted },
      }),
    );
  } catch (error) {
    const aborted = options.signal?.aborted ?? false;
    const message = aborted ? "run cancelled" : error instanceof Error ? error.message : String(error);
    if (aborted) emit({ type: "stopped", step: steps.length + 1 });
    else emit({ type: "error", step: steps.length + 1, message });
    return finish(
      trajectory({
        status: aborted ? "aborted" : "failed",
        answer: null,
        error: message,
        messages: conversation(),
      }),
    );
  }
}

/**
 * The earlier questions' namespace, rebuilt by running their successful actions again (the reference
 * keeps its interpreter's state between runs). What they print or fail with now is not fed back.
 */
async function restoreNamespace(thread: Thread, options: AgentOptions): Promise<void> {
  for (const code of thread.actions) {
    options.signal?.throwIfAborted();
    await options.executor.run(code, {
      ...(options.actionTimeoutMs !== undefined ? { timeoutMs: options.actionTimeoutMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
}

function toMemory(step: number, action: ChosenAction): StepMemory {
  const assistant = assistantText(action.completion);
  if (action.parseError !== undefined || !action.execution) {
    return { step, assistant, parseError: action.parseError ?? "" };
  }
  const { logs, output, error, notice } = action.execution;
  return error
    ? { step, assistant, logs, executionError: error.message, notice }
    : { step, assistant, logs, output, notice };
}

function toTrajectoryStep(
  step: number,
  action: ChosenAction,
  memory: StepMemory,
  observation: string,
): TrajectoryStep {
  return {
    step,
    completion: action.completion,
    assistant: memory.assistant,
    thought: action.parsed.thought,
    code: action.parsed.code,
    repairs: action.parsed.repairs,
    ...(action.parseError !== undefined ? { parseError: action.parseError } : {}),
    ...(action.execution ? { execution: action.execution } : {}),
    observation,
    ...(action.candidates ? { candidates: action.candidates } : {}),
    ...(action.vote ? { vote: action.vote } : {}),
    timings: { generationMs: action.generationMs, executionMs: action.executionMs },
    ...(action.usage ? { usage: action.usage } : {}),
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
