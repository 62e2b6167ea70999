/**
 * The reference's prompt pack, built at use time from the reference repository's own files (the project
 * does not ship the reference's texts). Released students were trained on exactly these texts, so a run
 * with this pack sends the requests they expect:
 * - the templates: `src/smolagents/prompts/code_agent.yaml`, as it is;
 * - the task suffix: the `instruction` appended to every question in its agent runner;
 * - the retry hint that closes every execution-error observation, from its memory module;
 * - the documentation of the two tools students use (`web_search`, `final_answer`), from its tools module.
 * Files come from a pinned commit and are checked by SHA-256 before anything is read from them.
 * No DOM and no Node imports: fetch and crypto.subtle exist in both runtimes.
 */
import { stringify as toYaml } from "yaml";
import { type PythonValue, readPythonLiteral } from "./python-literal.ts";

export interface SourceFile {
  /** Path inside the repository. */
  path: string;
  sha256: string;
}

export interface ReferenceSource {
  repository: string;
  commit: string;
  /** Where `<path>` is fetched from: `${baseURL}${path}`. */
  baseURL: string;
  templates: SourceFile;
  taskSuffix: SourceFile;
  retryHint: SourceFile;
  tools: SourceFile;
}

const REPOSITORY = "Nardien/agent-distillation";
const COMMIT = "0f6cae3df6da51eaaf3f3b08dbc1ba120af64459";

export const REFERENCE_SOURCE: ReferenceSource = {
  repository: REPOSITORY,
  commit: COMMIT,
  baseURL: `https://raw.githubusercontent.com/${REPOSITORY}/${COMMIT}/`,
  templates: {
    path: "src/smolagents/prompts/code_agent.yaml",
    sha256: "9fac84afde67382915f46b6486953ad2c5e408dd261af59054bb8066c0169bcc",
  },
  taskSuffix: {
    path: "exps_research/unified_framework/processors/agent.py",
    sha256: "961b6f11be4ae4d051df241e0b32d55c5dd02251958cd2ee1f772e6039829f54",
  },
  retryHint: {
    path: "src/smolagents/memory.py",
    sha256: "8628e88a0011aa224ba026b1df32db838c2636539d0d183d67316d33391ccab6",
  },
  tools: {
    path: "src/smolagents/default_tools.py",
    sha256: "923caa90cf0f6c0685e275d51065da0fd91f0d7341a946080ead126e36f588c1",
  },
};

/**
 * The tools a student is given, in the order the reference lists them in its prompt, by the class that
 * defines each (the tools module has two classes named `web_search`: a web search and the Wikipedia
 * retriever students were trained with).
 */
const STUDENT_TOOLS = [
  { name: "web_search", className: "WikipediaRetrieverTool" },
  { name: "final_answer", className: "FinalAnswerTool" },
];

export class ReferencePackError extends Error {
  override name = "ReferencePackError";
}

export interface FetchedSources {
  templates: string;
  taskSuffix: string;
  retryHint: string;
  tools: string;
}

/**
 * Downloads the four files, checks each against its SHA-256 and returns their texts; `onFile` reports
 * progress. Fails on the first file that cannot be fetched or does not match, naming it.
 */
export async function fetchReferenceSources(
  source: ReferenceSource = REFERENCE_SOURCE,
  options: { fetch?: typeof fetch; onFile?: (path: string, index: number, total: number) => void } = {},
): Promise<FetchedSources> {
  const get = options.fetch ?? fetch;
  const keys = ["templates", "taskSuffix", "retryHint", "tools"] as const;
  const out: Partial<FetchedSources> = {};
  for (const [index, key] of keys.entries()) {
    const file = source[key];
    const url = `${source.baseURL}${file.path}`;
    options.onFile?.(file.path, index, keys.length);
    let bytes: Uint8Array;
    try {
      const response = await get(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (err) {
      throw new ReferencePackError(
        `cannot download ${url}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const digest = await sha256Hex(bytes);
    if (digest !== file.sha256) {
      throw new ReferencePackError(
        `${file.path} does not match the pinned checksum (expected sha256 ${file.sha256}, got ${digest}); ` +
          "the file served is not the reference's at the pinned commit",
      );
    }
    out[key] = new TextDecoder().decode(bytes);
  }
  return out as FetchedSources;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The pack file (YAML): the templates as they are, then the three keys taken from the code. */
export function buildReferencePack(
  files: FetchedSources,
  source: ReferenceSource = REFERENCE_SOURCE,
): string {
  const extra = {
    task_suffix: taskSuffixFrom(files.taskSuffix),
    error_retry_hint: retryHintFrom(files.retryHint),
    tools: Object.fromEntries(
      STUDENT_TOOLS.map(({ name, className }) => [name, toolFrom(files.tools, className, name)]),
    ),
    // The reference sends this with every request to its vLLM servers.
    chat_template_kwargs: { enable_thinking: false },
  };
  const templates = files.templates.endsWith("\n") ? files.templates : `${files.templates}\n`;
  return (
    `${templates}\n# Added by \`pocket-agent pack reference\` from ${source.repository}@${source.commit}:\n` +
    `# the texts the reference keeps in its code (task suffix, retry hint, tool documentation).\n` +
    toYaml(extra, { lineWidth: 0 })
  );
}

/** The string assigned to `instruction` (appended to every question). */
function taskSuffixFrom(code: string): string {
  const at = code.search(/\binstruction\s*=\s*["']/);
  if (at === -1) throw new ReferencePackError("the task suffix (`instruction = ...`) was not found");
  return stringAt(code, code.indexOf("=", at) + 1, "the task suffix");
}

/** The retry hint: the string literal that begins with a newline and "Now let's retry". */
function retryHintFrom(code: string): string {
  const at = code.search(/["']\\nNow let's retry/);
  if (at === -1) throw new ReferencePackError('the retry hint ("\\nNow let\'s retry ...") was not found');
  // The layout puts the hint on its own line already; the literal's leading newline is that line break.
  return stringAt(code, at, "the retry hint").replace(/^\n/, "");
}

/** description, inputs and output_type of the tool class `className`, whose `name` must be `name`. */
function toolFrom(
  code: string,
  className: string,
  name: string,
): { description: string; inputs: PythonValue; output_type: string } {
  const classStart = code.search(new RegExp(`\\nclass ${className}\\b`));
  if (classStart === -1) throw new ReferencePackError(`the tool class ${className} was not found`);
  const nextClass = code.indexOf("\nclass ", classStart + 1);
  const body = code.slice(classStart, nextClass === -1 ? undefined : nextClass);
  const field = (key: string): PythonValue => {
    const m = new RegExp(`\\n\\s+${key}\\s*=`).exec(body);
    if (!m) throw new ReferencePackError(`the tool ${name} has no ${key}`);
    return readPythonLiteral(body, m.index + m[0].length).value;
  };
  if (field("name") !== name)
    throw new ReferencePackError(`the tool class ${className} is not named ${name}`);
  const description = field("description");
  const inputs = field("inputs");
  const outputType = field("output_type");
  if (
    typeof description !== "string" ||
    typeof outputType !== "string" ||
    !inputs ||
    typeof inputs !== "object"
  ) {
    throw new ReferencePackError(`the tool ${name} is not documented as expected`);
  }
  return { description, inputs, output_type: outputType };
}

function stringAt(code: string, at: number, what: string): string {
  const { value } = readPythonLiteral(code, at);
  if (typeof value !== "string") throw new ReferencePackError(`${what} is not a string`);
  return value;
}
