/**
 * `pocket-agent pack reference`: the reference pack built from the reference repository's files. The
 * reference's Python sources are not in this repository (nor in ../shared), so a loopback server serves
 * stand-ins of the same shape, written here from the texts of ../shared/reference/reference_pack.yaml
 * (with a decoy second `web_search` class, as the real tools module has), next to the real
 * code_agent.yaml from ../shared. The built pack must equal the shared reference pack, and the golden
 * transcripts must hold with it.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { runAgent } from "../../src/agent/loop.ts";
import { DEFAULT_PACK } from "../../src/agent/packs/default-pack.ts";
import {
  buildReferencePack,
  fetchReferenceSources,
  REFERENCE_SOURCE,
  type ReferenceSource,
} from "../../src/agent/packs/reference-pack.ts";
import { loadPromptPack } from "../../src/agent/prompt-pack.ts";
import { createNodeExecutor } from "../../src/exec/index.ts";
import { ReplayEngine } from "../../src/llm/replay/replay-engine.ts";
import { runCli } from "../support/cli.ts";
import { golden, sharedText } from "../support/shared.ts";

const referencePack = parseYaml(sharedText("reference/reference_pack.yaml")) as {
  task_suffix: string;
  error_retry_hint: string;
  tools: Record<
    string,
    {
      description: string;
      inputs: Record<string, { type: string; description: string }>;
      output_type: string;
    }
  >;
};
/** A JSON string is a valid Python string literal for these texts. */
const py = (text: string) => JSON.stringify(text);

function toolClass(className: string, name: string): string {
  const tool = referencePack.tools[name]!;
  const inputs = Object.entries(tool.inputs)
    .map(
      ([key, spec]) =>
        `        ${py(key)}: {\n            "type": ${py(spec.type)},\n            "description": ${py(spec.description)},\n        }`,
    )
    .join(",\n");
  return `class ${className}(Tool):\n    name = "${name}"\n    description = ${py(tool.description)}\n    inputs = {\n${inputs}\n    }  # trailing comment\n    output_type = ${py(tool.output_type)}\n\n    def forward(self, x):\n        return x\n`;
}

const FILES: Record<string, string> = {
  [REFERENCE_SOURCE.templates.path]: sharedText("reference/code_agent.yaml"),
  [REFERENCE_SOURCE.taskSuffix.path]:
    `def run(question):\n    instruction = ${py(referencePack.task_suffix)}\n    return question + instruction\n`,
  [REFERENCE_SOURCE.retryHint.path]:
    `def to_messages(error):\n    return (\n        "Error:\\n"\n        + str(error)\n        + ${py(`\n${referencePack.error_retry_hint}`)}\n    )\n`,
  [REFERENCE_SOURCE.tools.path]: [
    "from .tools import Tool\n",
    'class DuckDuckGoSearchTool(Tool):\n    name = "web_search"\n    description = "A decoy: the other web_search."\n    inputs = {"query": {"type": "string", "description": "q"}}\n    output_type = "string"\n',
    toolClass("FinalAnswerTool", "final_answer"),
    toolClass("WikipediaRetrieverTool", "web_search"),
  ].join("\n"),
};

let server: Server;
let baseURL = "";
let requests: string[] = [];
let outDir = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    const path = decodeURIComponent((req.url ?? "").replace(/^\/repo\//, ""));
    const body = FILES[path];
    if (body === undefined) {
      res.statusCode = 404;
      res.end("not found");
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo/`;
  outDir = mkdtempSync(join(tmpdir(), "pocket-agent-pack-"));
});

afterAll(async () => {
  rmSync(outDir, { recursive: true, force: true });
  await new Promise((resolve) => server.close(resolve));
});

/** The stand-ins' own checksums (the pinned ones belong to the real files). */
function standInSource(): ReferenceSource {
  const sum = (path: string) => createHash("sha256").update(FILES[path]!).digest("hex");
  const file = (key: "templates" | "taskSuffix" | "retryHint" | "tools") => ({
    path: REFERENCE_SOURCE[key].path,
    sha256: sum(REFERENCE_SOURCE[key].path),
  });
  return {
    ...REFERENCE_SOURCE,
    baseURL,
    templates: file("templates"),
    taskSuffix: file("taskSuffix"),
    retryHint: file("retryHint"),
    tools: file("tools"),
  };
}

describe("pack reference", () => {
  it("the pinned templates checksum is that of ../shared's verbatim copy of code_agent.yaml", () => {
    const sum = createHash("sha256").update(sharedText("reference/code_agent.yaml")).digest("hex");
    expect(sum).toBe(REFERENCE_SOURCE.templates.sha256);
  });

  it("builds a pack equal to the shared reference pack, plus enable_thinking false", async () => {
    requests = [];
    const seen: string[] = [];
    const files = await fetchReferenceSources(standInSource(), { onFile: (path) => seen.push(path) });
    expect(seen).toHaveLength(4);
    const built = loadPromptPack(buildReferencePack(files), "built", DEFAULT_PACK);
    const shared = loadPromptPack(sharedText("reference/reference_pack.yaml"), "built", DEFAULT_PACK);
    const { chatTemplateKwargs, ...rest } = built;
    expect(rest).toEqual(shared);
    expect(chatTemplateKwargs).toEqual({ enable_thinking: false });
    expect(requests.every((r) => r.startsWith("/repo/"))).toBe(true);
  });

  it("with the built pack, golden A and C and the budget-exhausted call are the reference's byte for byte", async () => {
    const pack = loadPromptPack(
      buildReferencePack(await fetchReferenceSources(standInSource())),
      "built",
      DEFAULT_PACK,
    );
    const executor = await createNodeExecutor({});
    try {
      const g = golden("A");
      const engine = new ReplayEngine(g.scripted_completions, "golden A");
      await runAgent(g.question, { engine, executor, pack });
      expect(engine.requests.map((r) => r.messages)).toEqual(g.calls.map((c) => c.messages));
      // Golden C: byte for byte up to its parse-error observation, whose wording is ours (layout checked
      // in golden.test.ts).
      const c = golden("C");
      const engineC = new ReplayEngine(c.scripted_completions, "golden C");
      await runAgent(c.question, { engine: engineC, executor, pack });
      expect(engineC.requests.slice(0, 2).map((r) => r.messages)).toEqual(
        c.calls.slice(0, 2).map((x) => x.messages),
      );
      expect(engineC.requests[2]!.messages.slice(0, -1)).toEqual(c.calls[2]!.messages.slice(0, -1));
      // The budget-exhausted call: golden A stopped after step 1.
      const budget = new ReplayEngine([g.scripted_completions[0]!, "392"], "golden A, budget 1");
      await runAgent(g.question, { engine: budget, executor, pack, maxSteps: 1 });
      const [, task, assistant, observation] = g.calls[1]!.messages;
      expect(budget.requests[1]!.messages).toEqual([
        { role: "system", content: pack.finalAnswerPre },
        task,
        assistant,
        {
          role: "user",
          content: `${observation!.content}Based on the above, please provide an answer to the following user task:\n${g.question}`,
        },
      ]);
      expect(
        engine.requests.every(
          (r) => JSON.stringify(r.extraBody) === '{"chat_template_kwargs":{"enable_thinking":false}}',
        ),
      ).toBe(true);
    } finally {
      await executor.dispose();
    }
  });

  it("refuses a file that does not match its pinned checksum, naming it", async () => {
    await expect(fetchReferenceSources({ ...REFERENCE_SOURCE, baseURL })).rejects.toThrow(
      /exps_research\/unified_framework\/processors\/agent\.py does not match the pinned checksum/,
    );
  });

  it("names the URL of a file that cannot be downloaded", async () => {
    const source = standInSource();
    source.tools = { ...source.tools, path: "missing/tools.py" };
    await expect(fetchReferenceSources(source)).rejects.toThrow(
      /cannot download http:\/\/127\.0\.0\.1:\d+\/repo\/missing\/tools\.py: HTTP 404/,
    );
  });

  it("the command fails with the reason, exits non-zero and writes nothing", async () => {
    const out = join(outDir, "reference.yaml");
    const r = await runCli(["pack", "reference", "--out", out, "--source-url", baseURL]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/pocket-agent: .*does not match the pinned checksum/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });
});
