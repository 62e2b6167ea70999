/** First-thought extraction, the prefixed first step, the training filter and the SFT layout. */
import { describe, expect, it } from "vitest";
import { singleAction } from "../../src/agent/action.ts";
import { runAgent } from "../../src/agent/loop.ts";
import { DEFAULT_PACK } from "../../src/agent/packs/default-pack.ts";
import type { Trajectory } from "../../src/agent/trajectory.ts";
import { dropReasons } from "../../src/distill/filter.ts";
import {
  CotPromptError,
  cotMessages,
  firstThoughtPrefix,
  loadCotPrompt,
} from "../../src/distill/first-thought.ts";
import { firstStepPrefixStrategy, prefixedEngine } from "../../src/distill/prefix.ts";
import { SftExportError, toSftExample } from "../../src/distill/sft.ts";
import type { Engine, GenerateRequest } from "../../src/ports/engine.ts";
import type { ExecutionResult, Executor } from "../../src/ports/executor.ts";
import { sharedText } from "../support/shared.ts";
import { fakeTrajectory } from "../support/trajectory.ts";

describe("first thought", () => {
  it("reads the reference's CoT prompt and builds its request", () => {
    const prompt = loadCotPrompt(sharedText("reference/teacher_model.yaml"), "teacher_model.yaml");
    expect(prompt).toMatch(/^You are an expert assistant/);
    expect(prompt).toContain("<answer> </answer>");
    expect(cotMessages(prompt, "Q?")).toEqual([
      { role: "system", content: prompt },
      { role: "user", content: "Q?" },
    ]);
    expect(() => loadCotPrompt("other: 1", "x.yaml")).toThrow(CotPromptError);
    expect(() => loadCotPrompt("system_prompt: [", "x.yaml")).toThrow(/not valid YAML/);
  });

  it("builds the prefix as the reference's script does: Thought: + text before the first blank line + blank line", () => {
    const cot =
      "To express 62 in three digits in base b we need b^2 <= 62 < b^3.\n\nTrying b = 4: 16 <= 62 < 64.\n\n<answer> \\boxed{4} </answer>";
    expect(firstThoughtPrefix(cot)).toBe(
      "Thought: To express 62 in three digits in base b we need b^2 <= 62 < b^3.\n\n",
    );
    // Taken as it is: labels, tags, single newlines and surrounding spaces stay; nothing is cut.
    expect(firstThoughtPrefix("Reasoning: first find the band.\nThen the city. ")).toBe(
      "Thought: Reasoning: first find the band.\nThen the city. \n\n",
    );
    expect(firstThoughtPrefix("<think>hidden</think>\n\nThe band is X.")).toBe(
      "Thought: <think>hidden</think>\n\n",
    );
    expect(firstThoughtPrefix("<answer> 4 </answer>")).toBe("Thought: <answer> 4 </answer>\n\n");
    expect(firstThoughtPrefix("\n\nLate start")).toBe("Thought: \n\n");
    const long = "This is a sentence. ".repeat(400);
    expect(firstThoughtPrefix(long)).toBe(`Thought: ${long}\n\n`);
  });
});

function recordingEngine(replies: string[]): Engine & { requests: GenerateRequest[] } {
  const requests: GenerateRequest[] = [];
  return {
    requests,
    info: { kind: "fake", label: "fake", isReplay: false, supportsN: true },
    async generate(request) {
      requests.push(request);
      const n = request.n ?? 1;
      return {
        model: "fake",
        completions: Array.from({ length: n }, () => ({
          text: replies.shift() ?? "",
          finishReason: "stop" as const,
        })),
      };
    },
  };
}

describe("prefixed first step", () => {
  it("asks the server to continue an assistant prefix and puts the prefix back in front", async () => {
    const inner = recordingEngine([" then more.\nCode:\n```py\nprint(1)\n```"]);
    const tokens: string[] = [];
    const result = await prefixedEngine(inner, "Thought: First.").generate({
      messages: [{ role: "user", content: "q" }],
      stop: ["<end_code>"],
      onToken: (t) => tokens.push(t),
    });
    expect(inner.requests[0]!.messages).toEqual([
      { role: "user", content: "q" },
      { role: "assistant", content: "Thought: First." },
    ]);
    expect(inner.requests[0]!.extraBody).toEqual({
      continue_final_message: true,
      add_generation_prompt: false,
    });
    expect(inner.requests[0]!.stop).toEqual(["<end_code>"]);
    expect(result.completions[0]!.text).toBe("Thought: First. then more.\nCode:\n```py\nprint(1)\n```");
    expect(tokens[0]).toBe("Thought: First.");
  });

  it("prefixes step 1 only, and the stored step reads prefix + continuation", async () => {
    const engine = recordingEngine([
      " so I compute it.\nCode:\n```py\nx = 6 * 7\nprint(x)\n```",
      "Thought: done.\nCode:\n```py\nfinal_answer(x)\n```",
    ]);
    let code = "";
    const executor = {
      reset: async () => {},
      dispose: async () => {},
      run: async (c: string): Promise<ExecutionResult> => {
        code = c;
        const final = c.includes("final_answer");
        return {
          logs: final ? "" : "42\n",
          output: final ? "42" : "None",
          isFinalAnswer: final,
          ...(final ? { finalAnswer: 42 } : {}),
          durationMs: 1,
        } as ExecutionResult;
      },
    } as unknown as Executor;
    const trajectory = await runAgent("What is 6 times 7?", {
      engine,
      executor,
      pack: DEFAULT_PACK,
      role: "teacher",
      strategy: firstStepPrefixStrategy("Thought: Multiply.", singleAction),
    });
    expect(trajectory.answer).toBe(42);
    expect(code).toContain("final_answer(x)");
    expect(engine.requests[0]!.messages.at(-1)).toEqual({ role: "assistant", content: "Thought: Multiply." });
    expect(engine.requests[1]!.messages.at(-1)!.role).toBe("user");
    expect(engine.requests[1]!.extraBody).toBeUndefined();
    expect(trajectory.steps[0]!.assistant.startsWith("Thought: Multiply. so I compute it.\nCode:")).toBe(
      true,
    );
    expect(engine.requests[1]!.messages[2]).toEqual({
      role: "assistant",
      content: trajectory.steps[0]!.assistant,
    });
  });
});

function teacherTrajectory(overrides: Partial<Trajectory> = {}): Trajectory {
  return fakeTrajectory({
    settings: { role: "teacher", promptPack: "default", maxSteps: 5, n: 1 },
    messages: [
      { role: "system", content: "TEACHER PROMPT" },
      { role: "user", content: "New task:\nq<reference>hint</reference>" },
      { role: "assistant", content: "Thought: a\nCode:\n```py\nprint(1)\n```<end_code>" },
      {
        role: "user",
        content: "Call id: call_1\nObservation:\nExecution logs:\n1\nLast output from code snippet:\nNone",
      },
      { role: "assistant", content: "Thought: b\nCode:\n```py\nfinal_answer(1)\n```<end_code>" },
      {
        role: "user",
        content: "Call id: call_2\nObservation:\nExecution logs:\nLast output from code snippet:\n1",
      },
    ],
    steps: [
      {
        step: 1,
        completion: "",
        assistant: "",
        thought: "",
        code: "x",
        repairs: [],
        observation: "",
        timings: { generationMs: 0, executionMs: 0 },
      },
    ],
    answer: 1,
    ...overrides,
  });
}

describe("training filter", () => {
  it("keeps correct trajectories that called final_answer without parse errors", () => {
    expect(dropReasons(teacherTrajectory(), { correct: true })).toEqual([]);
    expect(dropReasons(teacherTrajectory(), { correct: false })).toEqual(["incorrect"]);
    const withParseError = teacherTrajectory({
      steps: [{ ...teacherTrajectory().steps[0]!, code: null, parseError: "no code" }],
    });
    expect(dropReasons(withParseError, { correct: true })).toEqual(["parse-error"]);
    expect(dropReasons(teacherTrajectory({ status: "fallback" }), { correct: false })).toEqual([
      "incorrect",
      "no-final-answer",
    ]);
    const withExecutionError = teacherTrajectory({
      steps: [
        {
          ...teacherTrajectory().steps[0]!,
          execution: {
            logs: "",
            output: "",
            isFinalAnswer: false,
            durationMs: 1,
            error: { type: "E", message: "m" },
          },
        },
      ],
    });
    expect(dropReasons(withExecutionError, { correct: true })).toEqual([]);
  });
});

describe("SFT example", () => {
  it("swaps in the student prompt, strips reference hints and ends on the last assistant step", () => {
    const example = toSftExample(teacherTrajectory(), "STUDENT PROMPT");
    expect(example.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "assistant"]);
    expect(example.messages[0]).toEqual({ role: "system", content: "STUDENT PROMPT" });
    expect(example.messages[1]).toEqual({ role: "user", content: "New task:\nq" });
    expect(example.messages[4]!.content).toContain("final_answer(1)");
  });

  it("refuses trajectories without the agent layout", () => {
    expect(() => toSftExample(teacherTrajectory({ messages: [] }), "S")).toThrow(SftExportError);
    expect(() =>
      toSftExample(
        teacherTrajectory({
          messages: [
            { role: "system", content: "a" },
            { role: "user", content: "b" },
          ],
        }),
        "S",
      ),
    ).toThrow(/no assistant step/);
  });
});
