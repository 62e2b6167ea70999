import { describe, expect, it } from "vitest";
import { DEFAULT_PACK } from "../../src/agent/packs/default-pack.ts";
import { loadPromptPack, PromptPackError, renderSystemPrompt, taskFor } from "../../src/agent/prompt-pack.ts";
import { pythonRepr } from "../../src/agent/python-repr.ts";
import { golden, sharedText } from "../support/shared.ts";

const referencePack = () =>
  loadPromptPack(sharedText("reference/reference_pack.yaml"), "reference_pack.yaml", DEFAULT_PACK);

describe("prompt packs", () => {
  it("renders the reference student prompt exactly as the reference sends it", () => {
    const system = renderSystemPrompt(referencePack(), { role: "student", authorizedImports: [] });
    expect(system).toBe(golden("A").calls[0]!.messages[0]!.content);
  });

  it("renders each tool of code_agent.yaml as name, description, inputs dict and output type, line for line", () => {
    const pack = loadPromptPack(sharedText("reference/code_agent.yaml"), "code_agent.yaml", DEFAULT_PACK);
    const lines = renderSystemPrompt(pack, { role: "teacher", authorizedImports: ["math", "re"] }).split(
      "\n",
    );
    const start = lines.findIndex((l) => l.startsWith("- web_search: "));
    // The tool documentation comes from the defaults here, since code_agent.yaml has no `tools` key.
    expect(lines.slice(start, start + 6)).toEqual([
      `- web_search: ${DEFAULT_PACK.tools[0]!.description}`,
      `    Takes inputs: {'query': {'type': 'string', 'description': '${DEFAULT_PACK.tools[0]!.inputs["query"]!.description}'}}`,
      "    Returns an output of type: string",
      `- final_answer: ${DEFAULT_PACK.tools[1]!.description}`,
      "    Takes inputs: {'answer': {'type': 'any', 'description': 'The final answer'}}",
      "    Returns an output of type: any",
    ]);
    expect(lines).toContain(
      "8. You can use imports in your code, but only from the following list of modules: ['math', 're']",
    );
    // Python Jinja keeps the newline after a block tag: the line before the first tool ends with a colon.
    expect(lines[start - 1]).toMatch(/you only have access to these tools:$/);
  });

  it("uses the teacher prompt for the teacher role and the short one for students", () => {
    const pack = referencePack();
    const teacher = renderSystemPrompt(pack, { role: "teacher", authorizedImports: ["sympy", "math"] });
    expect(teacher).toContain("Here are a few examples using notional tools");
    expect(teacher).toContain("['math', 'sympy']");
    expect(renderSystemPrompt(pack, { role: "student", authorizedImports: [] })).not.toContain(
      "notional tools",
    );
  });

  it("carries the reference's task suffix and retry hint", () => {
    const pack = referencePack();
    expect(taskFor(pack, golden("A").question)).toBe(golden("A").task);
    expect(pack.errorRetryHint).toBe(
      "Now let's retry: take care not to repeat previous errors! If you have retried several times, try a completely different approach.\n",
    );
  });

  it("lists only the chosen tools", () => {
    const system = renderSystemPrompt(DEFAULT_PACK, {
      role: "student",
      authorizedImports: [],
      toolNames: ["final_answer"],
    });
    expect(system).toContain("- final_answer:");
    expect(system).not.toContain("web_search");
  });

  it("rejects broken packs with a clear error", () => {
    expect(() => loadPromptPack("system_prompt: [unclosed", "bad.yaml")).toThrow(PromptPackError);
    expect(() => loadPromptPack("just text", "bad.yaml")).toThrow(/expected a YAML mapping/);
    expect(() => loadPromptPack("final_answer: {}", "bad.yaml")).toThrow(/system_prompt` is missing/);
    expect(() => loadPromptPack("system_prompt: '{% for x in %}'", "bad.yaml")).toThrow(/does not parse/);
    expect(() =>
      loadPromptPack("system_prompt: hi\ntools:\n  web_search: {description: x}", "bad.yaml"),
    ).toThrow(/tool `web_search` needs/);
  });
});

describe("pythonRepr", () => {
  it("matches Python's repr for the values tool docs use", () => {
    expect(pythonRepr({ a: "it's", b: [1, 2.5, true, null], c: 'say "hi"' })).toBe(
      `{'a': "it's", 'b': [1, 2.5, True, None], 'c': 'say "hi"'}`,
    );
    expect(pythonRepr("both ' and \"\n")).toBe(`'both \\' and "\\n'`);
  });
});
