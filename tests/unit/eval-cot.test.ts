import { describe, expect, it } from "vitest";
import { parseTrajectory } from "../../src/agent/trajectory.ts";
import { cotMessages } from "../../src/distill/first-thought.ts";
import { boxedForMath, cotAnswer, cotTrajectory, majorityFirst, taggedAnswer } from "../../src/eval/cot.ts";

describe("CoT baseline", () => {
  it("sends the system prompt, then the question (with retrieval: the passages, a newline, the question)", () => {
    expect(cotMessages("S", "Q?")).toEqual([
      { role: "system", content: "S" },
      { role: "user", content: "Q?" },
    ]);
    expect(cotMessages("S", "Q?", "Retrieved documents: ...")[1]!.content).toBe(
      "Retrieved documents: ...\nQ?",
    );
  });

  it("reads the answer between the first answer tags, else takes the whole reply", () => {
    expect(taggedAnswer("Because X.\n<answer> Tulsa </answer> <answer>b</answer>")).toBe("Tulsa");
    expect(taggedAnswer("just Tulsa")).toBe("just Tulsa");
  });

  it("boxes a bare one-paragraph math answer, and only that", () => {
    expect(boxedForMath("4")).toBe("\\boxed{4}");
    expect(boxedForMath("\\boxed{4}")).toBe("\\boxed{4}");
    expect(boxedForMath("first\n\nthen 4")).toBe("first\n\nthen 4");
  });

  it("votes: the most frequent answer, the earliest among ties", () => {
    expect(majorityFirst(["a", "b", "b", "a", "c"])).toEqual({ value: "a", index: 0 });
    expect(majorityFirst(["x", "y", "y"])).toEqual({ value: "y", index: 1 });
    const replies = ["r <answer>7</answer>", "r <answer>9</answer>", "r <answer>9</answer>"];
    expect(cotAnswer("math", replies)).toEqual({ answer: "\\boxed{9}", index: 1 });
    expect(cotAnswer("fact", ["<answer>Ada</answer>"])).toEqual({ answer: "Ada", index: 0 });
  });

  it("records a run as a valid trajectory with no steps, ending with the chosen reply", () => {
    const t = cotTrajectory({
      question: "Q?",
      messages: cotMessages("S", "Q?"),
      reply: "because <answer>A</answer>",
      answer: "A",
      engine: { kind: "openai", label: "m @ x", isReplay: false, supportsN: true },
      model: "m",
      promptName: "default",
      settings: { n: 3, temperature: 0.4 },
      durationMs: 5,
    });
    expect(parseTrajectory(JSON.stringify(t))).toMatchObject({
      status: "answered",
      answer: "A",
      steps: [],
      settings: { role: "student", promptPack: "cot:default", maxSteps: 0, n: 3, temperature: 0.4 },
    });
    expect(t.messages.at(-1)).toEqual({ role: "assistant", content: "because <answer>A</answer>" });
  });
});
