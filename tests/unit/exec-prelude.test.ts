/**
 * The Python prelude lives as .py fragments (src/exec/python/prelude/); the runtime loads the checked-in
 * module generated from them. This fails when someone edited a fragment and forgot `npm run gen:prelude`
 * (or edited the generated module by hand), so CI never runs Python other than what the fragments say.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  PRELUDE_FILES,
  PRELUDE_MODULE,
  preludeFilesOnDisk,
  preludeSource,
  renderPreludeModule,
} from "../../scripts/gen-prelude.ts";
import { PRELUDE_PY } from "../../src/exec/python/prelude.generated.ts";

describe("python prelude", () => {
  it("the generated module is up to date with the .py fragments (else: npm run gen:prelude)", () => {
    expect(readFileSync(PRELUDE_MODULE, "utf8") === renderPreludeModule()).toBe(true);
  });

  it("the runtime executes exactly the joined fragments", () => {
    expect(PRELUDE_PY === preludeSource()).toBe(true);
  });

  it("every .py file in the folder is a listed fragment, and every listed fragment exists", () => {
    expect(preludeFilesOnDisk()).toEqual([...PRELUDE_FILES].sort());
  });
});
