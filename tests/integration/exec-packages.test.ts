/**
 * The Node sandbox's package folder: one that was never built says "not available offline", one that is
 * broken (its manifest does not parse, or lists a zip that is missing) says it is broken and what to fix,
 * and plain Python keeps running in both.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createNodeExecutor } from "../../src/exec/index.ts";
import { DEFAULT_PACKAGES_DIR } from "../../src/exec/node/node-executor.ts";

const root = mkdtempSync(join(tmpdir(), "pa-packages-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A package folder holding `files` (name -> content). */
function folder(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

async function importSympy(packagesDir: string) {
  const ex = await createNodeExecutor({ packagesDir, timeoutMs: 5000 });
  try {
    return { sympy: await ex.run("import sympy"), plain: await ex.run("print(6 * 7)") };
  } finally {
    await ex.dispose();
  }
}

describe("package folder states in the Node sandbox", () => {
  it("not built (no manifest): the package is not available offline", async () => {
    const { sympy, plain } = await importSympy(folder("empty", {}));
    expect(sympy.error?.type).toBe("ModuleNotFoundError");
    expect(sympy.error?.message).toContain("the package is not available offline");
    expect(plain.logs).toBe("42\n");
  });

  it("a manifest that does not parse: broken, saying why", async () => {
    const { sympy, plain } = await importSympy(folder("garbled", { "manifest.json": '{"packages": {' }));
    expect(sympy.error?.type).toBe("ModuleNotFoundError");
    expect(sympy.error?.message).toMatch(
      /No module named 'sympy' \(the package folder is broken: manifest.json does not parse \(.+\); rebuild it with npm run py-packages\)/,
    );
    expect(plain.logs).toBe("42\n");
  });

  it("a manifest that lists a missing zip: broken, naming the zip", async () => {
    const manifest = JSON.stringify({
      packages: {
        mpmath: { file: "mpmath.zip", version: "1", requires: [] },
        sympy: { file: "sympy.zip", version: "1", requires: ["mpmath"] },
      },
    });
    const dir = folder("missing-zip", { "manifest.json": manifest });
    const mpmath = join(DEFAULT_PACKAGES_DIR, "mpmath.zip");
    if (existsSync(mpmath)) copyFileSync(mpmath, join(dir, "mpmath.zip"));
    else writeFileSync(join(dir, "mpmath.zip"), "");
    const { sympy, plain } = await importSympy(dir);
    expect(sympy.error?.message).toContain(
      "the package folder is broken: manifest.json lists sympy.zip, missing from the folder",
    );
    expect(plain.logs).toBe("42\n");
  });
});
