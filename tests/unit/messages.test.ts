import { describe, expect, it } from "vitest";
import {
  buildFinalAnswerMessages,
  buildStepMessages,
  flattenMessages,
  mergeSameRole,
  type StepMemory,
} from "../../src/agent/messages.ts";
import { DEFAULT_PACK } from "../../src/agent/packs/default-pack.ts";
import { assistantText } from "../../src/agent/parse.ts";
import { loadPromptPack, renderSystemPrompt } from "../../src/agent/prompt-pack.ts";
import { golden, sharedText } from "../support/shared.ts";

const pack = loadPromptPack(sharedText("reference/reference_pack.yaml"), "reference", DEFAULT_PACK);
const system = renderSystemPrompt(pack, { role: "student", authorizedImports: [] });

describe("message layout", () => {
  it("reproduces golden A: observation with execution logs and last output", () => {
    const g = golden("A");
    const memory: StepMemory[] = [
      { step: 1, assistant: assistantText(g.scripted_completions[0]!), logs: "391\n", output: "None" },
    ];
    expect(buildStepMessages(system, g.task, [], pack)).toEqual(g.calls[0]!.messages);
    expect(buildStepMessages(system, g.task, memory, pack)).toEqual(g.calls[1]!.messages);
  });

  it("reproduces golden C: execution error with call id and retry hint, then a parse error without call id", () => {
    const g = golden("C");
    const memory: StepMemory[] = [
      {
        step: 1,
        assistant: assistantText(g.scripted_completions[0]!),
        logs: "",
        executionError:
          "Code execution failed at line 'y = 1 / 0' due to: ZeroDivisionError: division by zero",
      },
    ];
    expect(buildStepMessages(system, g.task, memory, pack)).toEqual(g.calls[1]!.messages);
    memory.push({
      step: 2,
      assistant: assistantText(g.scripted_completions[1]!),
      parseError: "No code block found.",
    });
    const messages = buildStepMessages(system, g.task, memory, pack);
    const expected = g.calls[2]!.messages;
    expect(messages.slice(0, -1)).toEqual(expected.slice(0, -1));
    // Only the layout of a parse-error observation is fixed: the wording is ours.
    const last = messages[messages.length - 1]!;
    expect(last.role).toBe("user");
    expect(last.content).toBe(`Error:\nNo code block found.\n${pack.errorRetryHint}`);
    expect(expected[expected.length - 1]!.content.startsWith("Error:\n")).toBe(true);
  });

  it("puts logs printed before an error in their own observation, merged into one user message with no separator", () => {
    const messages = buildStepMessages(
      system,
      "t",
      [
        {
          step: 3,
          assistant: "a",
          logs: "partial\n",
          executionError:
            "Code execution failed at line 'boom()' due to: NameError: name 'boom' is not defined",
        },
      ],
      pack,
    );
    expect(messages[3]!.content).toBe(
      `Call id: call_3\nObservation:\nExecution logs:\npartial\nCall id: call_3\nError:\nCode execution failed at line 'boom()' due to: NameError: name 'boom' is not defined\n${pack.errorRetryHint}`,
    );
  });

  it("cuts the task at its format instruction in the final-answer request, as the reference does", () => {
    const task = "Who?\n\nIMPORTANT: answer in one word.";
    const messages = buildFinalAnswerMessages(task, [], pack);
    expect(messages[1]).toEqual({
      role: "user",
      content: `New task:\n${task}Based on the above, please provide an answer to the following user task:\nWho?`,
    });
  });

  it("builds the final-answer request from the memory without the system prompt", () => {
    const memory: StepMemory[] = [{ step: 1, assistant: "x", logs: "", output: "1" }];
    const messages = buildFinalAnswerMessages("Who?", memory, pack);
    expect(messages[0]).toEqual({ role: "system", content: pack.finalAnswerPre });
    expect(messages[1]).toEqual({ role: "user", content: "New task:\nWho?" });
    expect(messages.at(-1)!.content).toBe(
      "Call id: call_1\nObservation:\nExecution logs:\nLast output from code snippet:\n1Based on the above, please provide an answer to the following user task:\nWho?",
    );
  });

  it("merges same-role neighbours by concatenation (the reference's flattened messages) and flattens to text", () => {
    const merged = mergeSameRole([
      { role: "user", content: "a" },
      { role: "user", content: "b" },
      { role: "assistant", content: "c" },
    ]);
    expect(merged).toEqual([
      { role: "user", content: "ab" },
      { role: "assistant", content: "c" },
    ]);
    expect(flattenMessages(merged)).toBe("User: ab\nAssistant: c");
  });
});
