/**
 * Reads one Python literal (str, int, float, True/False/None, list, tuple, dict) from Python source text,
 * as `ast.literal_eval` would for the subset the reference's tool definitions use. Adjacent string
 * literals concatenate, as in Python. Used to take the reference's prompt texts out of its source files
 * without running them.
 */

export class PythonLiteralError extends Error {
  override name = "PythonLiteralError";
}

export type PythonValue = string | number | boolean | null | PythonValue[] | { [key: string]: PythonValue };

/** The literal that starts at `start` (after optional whitespace) and where it ends. */
export function readPythonLiteral(source: string, start = 0): { value: PythonValue; end: number } {
  const reader = new Reader(source, start);
  const value = reader.value();
  return { value, end: reader.pos };
}

const ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  t: "\t",
  r: "\r",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "0": "\0",
};

class Reader {
  constructor(
    private readonly src: string,
    public pos: number,
  ) {}

  value(): PythonValue {
    this.skip();
    const c = this.src[this.pos];
    if (c === '"' || c === "'") return this.strings();
    if (c === "{") return this.dict();
    if (c === "[") return this.sequence("[", "]").items;
    if (c === "(") {
      // A parenthesized value, or a tuple when a comma is seen.
      const { items, comma } = this.sequence("(", ")");
      return items.length === 1 && !comma ? items[0]! : items;
    }
    for (const [word, value] of [
      ["True", true],
      ["False", false],
      ["None", null],
    ] as const) {
      if (this.src.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    const number = /^-?\d+(\.\d*)?([eE][-+]?\d+)?/.exec(this.src.slice(this.pos, this.pos + 64));
    if (number) {
      this.pos += number[0].length;
      return Number(number[0]);
    }
    throw this.error("a Python literal");
  }

  /** One or more adjacent string literals, concatenated. */
  private strings(): string {
    let out = this.string();
    for (;;) {
      const save = this.pos;
      this.skip();
      const c = this.src[this.pos];
      if (c !== '"' && c !== "'") {
        this.pos = save;
        return out;
      }
      out += this.string();
    }
  }

  private string(): string {
    const quote = this.src[this.pos]!;
    const triple = this.src.startsWith(quote.repeat(3), this.pos);
    const close = triple ? quote.repeat(3) : quote;
    this.pos += close.length;
    let out = "";
    for (;;) {
      if (this.pos >= this.src.length) throw this.error(`the end of a string (${close})`);
      if (this.src.startsWith(close, this.pos)) {
        this.pos += close.length;
        return out;
      }
      const c = this.src[this.pos]!;
      if (c === "\n" && !triple) throw this.error(`the end of a string (${close}) before the line ends`);
      if (c !== "\\") {
        out += c;
        this.pos += 1;
        continue;
      }
      const next = this.src[this.pos + 1];
      if (next === undefined) throw this.error("an escaped character");
      if (next === "\n") {
        this.pos += 2; // line continuation inside the string
      } else if (next === "x" || next === "u") {
        const width = next === "x" ? 2 : 4;
        const hex = this.src.slice(this.pos + 2, this.pos + 2 + width);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width)
          throw this.error(`\\${next} and ${width} hex digits`);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.pos += 2 + width;
      } else if (next in ESCAPES) {
        out += ESCAPES[next];
        this.pos += 2;
      } else {
        out += `\\${next}`; // Python keeps unknown escapes as they are
        this.pos += 2;
      }
    }
  }

  private dict(): { [key: string]: PythonValue } {
    this.pos += 1;
    const out: { [key: string]: PythonValue } = {};
    for (;;) {
      this.skip();
      if (this.src[this.pos] === "}") {
        this.pos += 1;
        return out;
      }
      const key = this.value();
      if (typeof key !== "string") throw this.error("a string key");
      this.skip();
      if (this.src[this.pos] !== ":") throw this.error("':'");
      this.pos += 1;
      out[key] = this.value();
      this.skip();
      if (this.src[this.pos] === ",") this.pos += 1;
      else if (this.src[this.pos] !== "}") throw this.error("',' or '}'");
    }
  }

  private sequence(open: string, close: string): { items: PythonValue[]; comma: boolean } {
    this.pos += open.length;
    const items: PythonValue[] = [];
    let comma = false;
    for (;;) {
      this.skip();
      if (this.src[this.pos] === close) {
        this.pos += 1;
        return { items, comma };
      }
      items.push(this.value());
      this.skip();
      if (this.src[this.pos] === ",") {
        comma = true;
        this.pos += 1;
      } else if (this.src[this.pos] !== close) throw this.error(`',' or '${close}'`);
    }
  }

  /** Whitespace, newlines and comments between tokens. */
  private skip(): void {
    for (;;) {
      const m = /^(\s+|#[^\n]*)/.exec(this.src.slice(this.pos, this.pos + 4096));
      if (!m) return;
      this.pos += m[0].length;
    }
  }

  private error(expected: string): PythonLiteralError {
    const line = this.src.slice(0, this.pos).split("\n").length;
    return new PythonLiteralError(`expected ${expected} at line ${line}`);
  }
}
