import { describe, expect, it } from "vitest";
import { CompletionText, stopPrefixAtEnd } from "../../src/llm/llamacpp/completion-text.ts";

/** Feeds growing decoded texts and returns the streamed pieces. */
function stream(follower: CompletionText, decodedSoFar: string[]): string[] {
  const pieces = decodedSoFar.map((d) => follower.update(d));
  pieces.push(follower.finish());
  return pieces;
}

describe("CompletionText", () => {
  it("cuts at the first stop sequence and never streams any part of it", () => {
    const follower = new CompletionText(["<end_code>", "Observation:"]);
    const pieces = stream(follower, ["print(1)", "print(1)\n```<end", "print(1)\n```<end_code>\nObs"]);
    expect(follower.stopped).toBe(true);
    expect(follower.text).toBe("print(1)\n```");
    expect(pieces).toEqual(["print(1)", "\n```", "", ""]);
  });

  it("releases held-back text that turned out not to be a stop sequence", () => {
    const follower = new CompletionText(["<end_code>"]);
    expect(follower.update("a <en")).toBe("a ");
    expect(follower.update("a <enx")).toBe("<enx");
    expect(follower.stopped).toBe(false);
  });

  it("holds back a character whose UTF-8 bytes are still arriving", () => {
    const follower = new CompletionText();
    expect(follower.update("caf\uFFFD")).toBe("caf");
    expect(follower.update("café")).toBe("é");
    expect(follower.finish()).toBe("");
  });

  it("keeps an undecodable byte once it is followed by more text, so pieces add up to the text", () => {
    const follower = new CompletionText();
    const pieces = stream(follower, ["a\uFFFD", "a\uFFFDb", "a\uFFFDb\uFFFD"]);
    expect(pieces.join("")).toBe("a\uFFFDb\uFFFD");
    expect(pieces.join("")).toBe(follower.text);
  });
});

describe("stopPrefixAtEnd", () => {
  it("finds the longest end of the text that starts a stop sequence", () => {
    expect(stopPrefixAtEnd("abc Obs", ["Observation:", "<end_code>"])).toBe(3);
    expect(stopPrefixAtEnd("abc <", ["Observation:", "<end_code>"])).toBe(1);
    expect(stopPrefixAtEnd("abc", ["Observation:"])).toBe(0);
    expect(stopPrefixAtEnd("Observation:", ["Observation:"])).toBe(0);
  });
});
