import { describe, expect, it } from "vitest";
import { readPythonLiteral } from "../../src/agent/packs/python-literal.ts";

describe("readPythonLiteral", () => {
  it("decodes escapes as Python does, keeping unknown ones", () => {
    expect(readPythonLiteral(String.raw`"a\nb\t\"q\" \\ \x41\u00e9 \boxed{} \d"`).value).toBe(
      'a\nb\t"q" \\ Aé \boxed{} \\d',
    );
    expect(readPythonLiteral(`'it\\'s'`).value).toBe("it's");
  });

  it("concatenates adjacent literals, across lines and comments", () => {
    const { value, end } = readPythonLiteral('x = ("a" \'b\'\n  # note\n  "c") + 1', 4);
    expect(value).toBe("abc");
    expect(end).toBe(28); // just after the closing parenthesis
  });

  it("tells a tuple from a parenthesized value", () => {
    expect(readPythonLiteral('("a",)').value).toEqual(["a"]);
    expect(readPythonLiteral("(1, 2)").value).toEqual([1, 2]);
  });

  it("reads dicts, lists and constants with trailing commas", () => {
    const src =
      '{\n  "query": {"type": "string", "n": 3, "ok": True, "x": None,},\n  "l": [1.5, -2, False],\n}';
    expect(readPythonLiteral(src).value).toEqual({
      query: { type: "string", n: 3, ok: true, x: null },
      l: [1.5, -2, false],
    });
  });

  it("reads triple-quoted strings with newlines", () => {
    expect(readPythonLiteral('"""one\ntwo"""').value).toBe("one\ntwo");
  });

  it("says what it expected and where", () => {
    expect(() => readPythonLiteral('{\n "a" 1}')).toThrow(/expected ':' at line 2/);
    expect(() => readPythonLiteral('"open\n"')).toThrow(/before the line ends/);
    expect(() => readPythonLiteral("foo")).toThrow(/expected a Python literal at line 1/);
  });
});
