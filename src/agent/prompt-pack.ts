/**
 * Prompt packs: the smolagents prompt YAML (Jinja templates) plus the three texts the reference keeps in
 * code (task suffix, error retry hint, tool documentation). Rendering uses @huggingface/jinja.
 */
import { Environment, Interpreter, parse as parseJinja, tokenize } from "@huggingface/jinja";
import { parse as parseYaml } from "yaml";
import { pythonRepr } from "./python-repr.ts";

export interface ToolInput {
  type: string;
  description: string;
  nullable?: boolean;
}

export interface ToolDoc {
  name: string;
  description: string;
  inputs: Record<string, ToolInput>;
  output_type: string;
}

export interface PromptPack {
  /** Where the pack came from (file name or "default"); shown in traces and stored in trajectories. */
  name: string;
  /** The teacher's agent prompt (`system_prompt`). */
  systemPrompt: string;
  /** The student's short prompt (`system_prompt_short`), used by ask/eval/app when present. */
  systemPromptShort?: string;
  finalAnswerPre: string;
  finalAnswerPost: string;
  /** Appended to every question to form the task. */
  taskSuffix: string;
  /** Closes every execution-error observation. */
  errorRetryHint: string;
  /** Introduces the model's text in a parse-error observation; {{snippet}} is the completion. */
  parseError: string;
  tools: ToolDoc[];
  /**
   * Sent with every request as `chat_template_kwargs` (YAML `chat_template_kwargs`): the reference sends
   * `{enable_thinking: false}` to its vLLM servers on every call. Absent: nothing is sent.
   */
  chatTemplateKwargs?: Record<string, unknown>;
}

export type PromptRole = "student" | "teacher";

export class PromptPackError extends Error {
  override name = "PromptPackError";
}

/** Loads a pack from YAML text. Keys missing from the YAML fall back to `defaults` (normally the built-in pack). */
export function loadPromptPack(yamlText: string, name: string, defaults?: PromptPack): PromptPack {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (error) {
    throw new PromptPackError(`prompt pack ${name}: not valid YAML: ${(error as Error).message}`);
  }
  if (!raw || typeof raw !== "object")
    throw new PromptPackError(`prompt pack ${name}: expected a YAML mapping`);
  const doc = raw as Record<string, unknown>;
  const str = (key: string, value: unknown): string | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string")
      throw new PromptPackError(`prompt pack ${name}: \`${key}\` must be a string`);
    return value;
  };
  const finalAnswer = (doc["final_answer"] ?? {}) as Record<string, unknown>;
  const systemPrompt = str("system_prompt", doc["system_prompt"]) ?? defaults?.systemPrompt;
  if (!systemPrompt) throw new PromptPackError(`prompt pack ${name}: \`system_prompt\` is missing`);
  const pack: PromptPack = {
    name,
    systemPrompt,
    systemPromptShort: str("system_prompt_short", doc["system_prompt_short"]) ?? defaults?.systemPromptShort,
    finalAnswerPre:
      str("final_answer.pre_messages", finalAnswer["pre_messages"]) ?? defaults?.finalAnswerPre ?? "",
    finalAnswerPost:
      str("final_answer.post_messages", finalAnswer["post_messages"]) ??
      defaults?.finalAnswerPost ??
      "{{task}}",
    taskSuffix: str("task_suffix", doc["task_suffix"]) ?? defaults?.taskSuffix ?? "",
    errorRetryHint: str("error_retry_hint", doc["error_retry_hint"]) ?? defaults?.errorRetryHint ?? "",
    parseError: str("parse_error", doc["parse_error"]) ?? defaults?.parseError ?? "{{snippet}}",
    tools: doc["tools"] !== undefined ? readTools(doc["tools"], name) : (defaults?.tools ?? []),
  };
  const kwargs = doc["chat_template_kwargs"] ?? defaults?.chatTemplateKwargs;
  if (kwargs !== undefined) {
    if (!kwargs || typeof kwargs !== "object" || Array.isArray(kwargs)) {
      throw new PromptPackError(`prompt pack ${name}: \`chat_template_kwargs\` must be a mapping`);
    }
    pack.chatTemplateKwargs = { ...(kwargs as Record<string, unknown>) };
  }
  // Fail at load time, not mid-episode, when a template does not parse.
  for (const [key, template] of Object.entries({
    system_prompt: pack.systemPrompt,
    system_prompt_short: pack.systemPromptShort,
    "final_answer.post_messages": pack.finalAnswerPost,
    parse_error: pack.parseError,
  })) {
    if (template === undefined) continue;
    try {
      compileTemplate(template);
    } catch (error) {
      throw new PromptPackError(
        `prompt pack ${name}: template \`${key}\` does not parse: ${(error as Error).message}`,
      );
    }
  }
  return pack;
}

function readTools(value: unknown, packName: string): ToolDoc[] {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new PromptPackError(
      `prompt pack ${packName}: \`tools\` must be a mapping of tool name to documentation`,
    );
  }
  return Object.entries(value as Record<string, Record<string, unknown>>).map(([toolName, doc]) => {
    if (
      typeof doc?.["description"] !== "string" ||
      typeof doc["output_type"] !== "string" ||
      !doc["inputs"]
    ) {
      throw new PromptPackError(
        `prompt pack ${packName}: tool \`${toolName}\` needs description, inputs and output_type`,
      );
    }
    return {
      name: toolName,
      description: doc["description"],
      inputs: doc["inputs"] as Record<string, ToolInput>,
      output_type: doc["output_type"],
    };
  });
}

export interface SystemPromptOptions {
  role: PromptRole;
  authorizedImports: readonly string[];
  /** Only these tools appear (in the pack's order); default: all of the pack's tools. */
  toolNames?: readonly string[];
}

/**
 * The tools a run offers (its `toolNames`): all of the pack's when a shard stands behind web_search
 * (undefined), else all but web_search, so the model is never told of a tool that cannot answer.
 */
export function toolNamesFor(pack: PromptPack, hasShard: boolean): string[] | undefined {
  return hasShard ? undefined : pack.tools.map((t) => t.name).filter((name) => name !== "web_search");
}

/** The system prompt: the student prompt when the role is student and the pack has one, else the teacher prompt. */
export function renderSystemPrompt(pack: PromptPack, options: SystemPromptOptions): string {
  const template =
    options.role === "student" && pack.systemPromptShort ? pack.systemPromptShort : pack.systemPrompt;
  const tools = options.toolNames
    ? pack.tools.filter((t) => options.toolNames!.includes(t.name))
    : pack.tools;
  return renderTemplate(template, {
    tools: Object.fromEntries(
      tools.map((t) => [
        t.name,
        {
          name: t.name,
          description: t.description,
          inputs: pythonRepr(t.inputs),
          output_type: t.output_type,
        },
      ]),
    ),
    managed_agents: {},
    authorized_imports: pythonRepr([...options.authorizedImports].sort()),
  });
}

/**
 * Renders with Python Jinja's default whitespace rules (no trim_blocks, no lstrip_blocks), as smolagents
 * does. @huggingface/jinja's Template class turns both on (the chat-template convention), which would
 * glue the tool lines together, so the template is tokenized here with both off.
 */
export function renderTemplate(template: string, variables: Record<string, unknown>): string {
  const env = new Environment();
  for (const [key, value] of Object.entries({
    true: true,
    false: false,
    none: null,
    True: true,
    False: false,
    None: null,
    ...variables,
  })) {
    env.set(key, value);
  }
  return new Interpreter(env).run(compileTemplate(template)).value as string;
}

function compileTemplate(template: string) {
  return parseJinja(tokenize(template, { lstrip_blocks: false, trim_blocks: false }));
}

/** The task the model sees: the question plus the pack's suffix. */
export function taskFor(pack: PromptPack, question: string): string {
  return question + pack.taskSuffix;
}

/**
 * The task as the budget-exhausted final-answer prompt shows it: the reference cuts the task at its
 * format instruction ("\n\nIMPORTANT:", how its task suffix starts) before filling `post_messages`.
 */
export function finalAnswerTask(task: string): string {
  const cut = task.indexOf("\n\nIMPORTANT:");
  return cut === -1 ? task : task.slice(0, cut);
}

/** Request fields a pack asks for (today: `chat_template_kwargs`), for GenerateRequest.extraBody. */
export function packRequestFields(pack: PromptPack): Record<string, unknown> | undefined {
  return pack.chatTemplateKwargs ? { chat_template_kwargs: pack.chatTemplateKwargs } : undefined;
}
