import { describe, expect, it } from "vitest";
import { formatRetrievedDocuments } from "../../src/retrieval/search.ts";
import { answerSources, parsePassages, printedOutput, voteKeyText } from "../../src/ui/trace-model.ts";

describe("parsePassages", () => {
  it("reads the reference web_search layout back into titled passages", () => {
    const printed = formatRetrievedDocuments([
      { id: 1, score: 39.771, title: "Tinted Windows (band)", text: "A supergroup.\nFormed in 2008." },
      { id: 2, score: 3, title: 'He said "hi"', text: "Quote in the title." },
    ]);
    expect(parsePassages(printed)).toEqual([
      { index: 0, score: 39.77, title: "Tinted Windows (band)", text: "A supergroup.\nFormed in 2008." },
      { index: 1, score: 3, title: 'He said "hi"', text: "Quote in the title." },
    ]);
  });

  it("keeps two searches in one step apart, and finds nothing in other output", () => {
    const one = formatRetrievedDocuments([{ id: 1, score: 2, title: "A", text: "first" }]);
    const two = formatRetrievedDocuments([{ id: 2, score: 1, title: "B", text: "second" }]);
    const passages = parsePassages(`${one}\n${two}\n`);
    expect(passages.map((p) => [p.index, p.title, p.text])).toEqual([
      [0, "A", "first"],
      [0, "B", "second"],
    ]);
    expect(parsePassages("42\n")).toEqual([]);
  });

  it("reads the printed part of an observation when the logs are not at hand", () => {
    expect(printedOutput("Execution logs:\nx\nLast output from code snippet:\nNone", undefined)).toBe(
      "Execution logs:\nx",
    );
    expect(printedOutput("ignored", "the logs")).toBe("the logs");
  });
});

describe("answerSources", () => {
  const passages = new Map([
    [
      1,
      [
        { index: 0, score: 2, title: "Tinted Windows (band)", text: "First show in TULSA,  Oklahoma." },
        { index: 1, score: 1, title: "Other", text: "Nothing here." },
      ],
    ],
  ]);

  it("names the final step and the passages that contain the answer, case and spacing aside", () => {
    expect(answerSources("tulsa, oklahoma", 2, passages)).toEqual({
      step: 2,
      passages: [{ step: 1, position: 0, title: "Tinted Windows (band)" }],
    });
  });

  it("claims no passage for an answer they do not contain, or for a one-character answer", () => {
    expect(answerSources("Paris", 2, passages).passages).toEqual([]);
    expect(answerSources("a", 2, passages).passages).toEqual([]);
    expect(answerSources("Tulsa", undefined, passages).step).toBeUndefined();
  });
});

describe("voteKeyText", () => {
  it("shows outputs as text: real line breaks, no trailing newline, empty said plainly, long ones cut", () => {
    expect(voteKeyText("42\n")).toBe("42");
    expect(voteKeyText("a\nb\n")).toBe("a\nb");
    expect(voteKeyText("")).toBe("(no output)");
    expect(voteKeyText("x".repeat(200), 10)).toBe(`${"x".repeat(9)}…`);
  });
});
