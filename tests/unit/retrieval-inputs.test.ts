import { describe, expect, it } from "vitest";
import {
  detectFormat,
  documentPassages,
  joinSentences,
  recordLayout,
  recordPassages,
  ShardInputError,
  splitContents,
} from "../../src/retrieval/inputs/layouts.ts";
import { pagePassages, splitWords } from "../../src/retrieval/inputs/wikitext.ts";

describe("input detection by content", () => {
  it("tells dumps, JSON and JSONL apart", () => {
    expect(detectFormat('<?xml version="1.0"?>\n<mediawiki xmlns="x">')).toBe("wiki-xml");
    expect(detectFormat("<html><body>")).toBeUndefined();
    expect(detectFormat('[{"title": "a", "text": "b"}]')).toBe("json");
    expect(detectFormat('{\n  "Demon Dice": ["A game."]\n}')).toBe("json");
    expect(detectFormat('{"title": "a", "text": "b"}\n{"title": "c", "text": "d"}\n')).toBe("jsonl");
    expect(detectFormat('\uFEFF{"contents": "\\"A\\"\\nb"}\n{"contents": "x"}')).toBe("jsonl");
    expect(detectFormat("title\ttext\n")).toBeUndefined();
  });

  it("names each record layout by its keys", () => {
    expect(recordLayout({ id: "0", contents: '"T"\ntext' })).toBe("wiki18");
    expect(recordLayout({ title: "T", text: "x" })).toBe("title-text");
    expect(recordLayout({ question: "q", context: { title: ["T"], sentences: [["s"]] } })).toBe(
      "hotpotqa-hf",
    );
    expect(recordLayout({ question: "q", context: [["T", ["s"]]] })).toBe("hotpotqa");
    expect(recordLayout({ paragraphs: [{ title: "T", paragraph_text: "p" }] })).toBe("musique");
    expect(recordLayout({ question: "q", golden_answers: ["a"] })).toBe("question-only");
    expect(recordLayout({ name: "x" })).toBeUndefined();
    expect(recordLayout("text")).toBeUndefined();
  });
});

describe("passages from records", () => {
  it("joins HotpotQA sentences (leading spaces kept) and 2Wiki sentences (none) alike", () => {
    expect(joinSentences(["First one.", " Second one."])).toBe("First one. Second one.");
    expect(joinSentences(["First one.", "Second one."])).toBe("First one. Second one.");
    expect(joinSentences([])).toBe("");
  });

  it("splits wiki-18 contents into title and text", () => {
    expect(splitContents('"Evan Morris"\nEvan Morris was a lobbyist.')).toEqual({
      title: "Evan Morris",
      text: "Evan Morris was a lobbyist.",
    });
    expect(splitContents("no title line")).toEqual({ title: "", text: "no title line" });
  });

  it("reads every context of a QA record", () => {
    const hf = { question: "q", context: { title: ["A", "B"], sentences: [["a1.", " a2."], ["b1."]] } };
    expect([...recordPassages(hf, "x")]).toEqual([
      { title: "A", text: "a1. a2." },
      { title: "B", text: "b1." },
    ]);
    const musique = { paragraphs: [{ idx: 0, title: "M", paragraph_text: "m text", is_supporting: true }] };
    expect([...recordPassages(musique, "x")]).toEqual([{ title: "M", text: "m text" }]);
    expect([...recordPassages({ question: "q", answer: "a" }, "x")]).toEqual([]);
  });

  it("reads the title -> sentences dict and lists of records", () => {
    expect([...documentPassages({ "Demon Dice": ["A game.", " With dice."] }, "f")]).toEqual([
      { title: "Demon Dice", text: "A game. With dice." },
    ]);
    expect([...documentPassages([{ title: "T", text: "x" }], "f")]).toEqual([{ title: "T", text: "x" }]);
  });

  it("names the file and item of a record it cannot read", () => {
    expect(() => [...documentPassages([{ title: "T", text: "x" }, { foo: 1 }], "data.json")]).toThrow(
      ShardInputError,
    );
    expect(() => [...documentPassages([{ title: "T", text: "x" }, { foo: 1 }], "data.json")]).toThrow(
      /data\.json item 1: not a passage layout the builder knows \(keys: foo\)/,
    );
    const badHf = { question: "q", context: { title: ["A"], sentences: ["not a list"] } };
    expect(() => [...recordPassages(badHf, "f line 3")]).toThrow(/f line 3: context entry 0/);
  });
});

describe("Wikipedia pages", () => {
  it("cuts text into 100-word passages", () => {
    const words = Array.from({ length: 250 }, (_, i) => `w${i}`).join(" ");
    expect(splitWords(words).map((p) => p.split(" ").length)).toEqual([100, 100, 50]);
    expect(splitWords("  ")).toEqual([]);
  });

  it("keeps articles only", () => {
    const article = { title: "A", ns: 0, redirect: false, wikitext: "'''A''' is a [[letter]]." };
    expect(pagePassages(article)).toEqual([{ title: "A", text: "A is a letter." }]);
    expect(pagePassages({ ...article, ns: 10 })).toEqual([]);
    expect(pagePassages({ ...article, redirect: true })).toEqual([]);
    expect(pagePassages({ ...article, wikitext: "#REDIRECT [[B]]" })).toEqual([]);
  });
});
