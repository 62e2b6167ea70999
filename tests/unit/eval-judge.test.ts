import { describe, expect, it } from "vitest";
import { JudgeError, judgeAnswer, judgePrompt, parseVerdict } from "../../src/eval/judge.ts";
import { ReplayEngine } from "../../src/llm/replay/replay-engine.ts";

describe("LLM judge", () => {
  it("puts the question, the prediction and the gold answer in the prompt and asks for JSON", () => {
    const p = judgePrompt("Who?", "Ada", "Ada Lovelace");
    expect(p).toContain("Question: Who?\nPredicted answer: Ada\nGold answer: Ada Lovelace");
    expect(p).toMatch(/"explanation"/);
    expect(p).toMatch(/"score": 1 if the answers match, 0 if they do not/);
  });

  it("reads verdicts from plain, fenced and chatty replies", () => {
    expect(parseVerdict('{"explanation": "same person", "score": 1}')).toEqual({
      score: 1,
      explanation: "same person",
    });
    expect(parseVerdict('```json\n{"explanation":"different city","score":0}\n```')).toEqual({
      score: 0,
      explanation: "different city",
    });
    expect(parseVerdict('Sure. {"note": {"x": 1}} then {"score": "1", "explanation": "alias"} done')).toEqual(
      {
        score: 1,
        explanation: "alias",
      },
    );
    expect(parseVerdict('{"score": true}')).toEqual({ score: 1, explanation: "" });
  });

  it("finds no verdict where there is none", () => {
    expect(parseVerdict("The answers match.")).toBeNull();
    expect(parseVerdict('{"score": 0.5, "explanation": "half"}')).toBeNull();
    expect(parseVerdict('{"score": 1')).toBeNull();
  });

  it("asks once at temperature 0 and returns the verdict with the judge's model", async () => {
    const judge = new ReplayEngine(['{"explanation": "Tulsa is the city named", "score": 1}'], "judge");
    const verdict = await judgeAnswer(judge, {
      question: "Where?",
      predicted: "Tulsa, Oklahoma",
      gold: "Tulsa",
    });
    expect(verdict).toMatchObject({ correct: true, explanation: "Tulsa is the city named" });
    expect(judge.requests).toHaveLength(1);
    expect(judge.requests[0]!.temperature).toBe(0);
    expect(judge.requests[0]!.messages[0]!.content).toContain("Predicted answer: Tulsa, Oklahoma");
  });

  it("says what came back when the judge gives no verdict", async () => {
    const judge = new ReplayEngine(["I think so."], "judge");
    await expect(judgeAnswer(judge, { question: "q", predicted: "a", gold: "b" })).rejects.toThrow(
      JudgeError,
    );
  });
});
