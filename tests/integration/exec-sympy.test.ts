/**
 * sympy/mpmath from the local package folder built by scripts/build-py-packages.sh (Debian's pure-Python
 * packages, byte-compiled for Pyodide), and the sandbox around sympy's own eval/exec.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeExecutor, type Executor } from "../../src/exec/index.ts";
import { DEFAULT_PACKAGES_DIR } from "../../src/exec/node/node-executor.ts";

const built = existsSync(join(DEFAULT_PACKAGES_DIR, "manifest.json"));
if (!built) console.warn("exec-sympy: public/py-packages is missing; run scripts/build-py-packages.sh");

describe.skipIf(!built)("sympy offline", () => {
  let ex: Executor;
  beforeAll(async () => {
    ex = await createNodeExecutor({ timeoutMs: 5000 });
  });
  afterAll(async () => {
    await ex?.dispose();
  });

  it("imports sympy on first use, outside the action's time limit", async () => {
    const r = await ex.run("import sympy\nx = sympy.Symbol('x')\nsympy.solve(x**2 - 4, x)");
    expect(r.error).toBeUndefined();
    expect(r.output).toBe("[-2, 2]");
  });

  it.each([
    ["sympy.sympify('x**2 + 2*x + 1').factor()", "(x + 1)**2"],
    ["sympy.integrate(sympy.exp(-x**2), (x, -sympy.oo, sympy.oo))", "sqrt(pi)"],
    ["sympy.N(sympy.pi, 20)", "3.1415926535897932385"],
    ["f = sympy.lambdify(x, x**2)\nf(3)", "9"],
    ["from sympy import *\nfactor(x**2 - 1)", "(x - 1)*(x + 1)"],
    ["sympy.parse_expr('x + x', evaluate=False)", "x + x"],
  ])("%s -> %s", async (code, output) => {
    const r = await ex.run(code);
    expect(r.error).toBeUndefined();
    expect(r.output).toBe(output);
  });

  it.each([
    ["sympy.sympify(\"__import__('os').getcwd()\")", /Forbidden name in evaluated string: __import__/],
    ["sympy.sympify('().__class__.__base__.__subclasses__()')", /Forbidden name in evaluated string/],
    ["sympy.parse_expr(\"getattr(1, '__cla' + 'ss__')\")", /Forbidden access to dunder attribute/],
    [
      "sympy.lambdify([], sympy.Symbol(\"__import__('os').getcwd()\"))()",
      /Forbidden name in evaluated string/,
    ],
    [
      "sympy.lambdify([], sympy.Symbol(\"open('/etc/passwd').read()\"))()",
      /Forbidden function evaluation: 'open'/,
    ],
    ["from sympy.external import import_module\nimport_module('os')", /Forbidden access to module: os/],
    ["import sympy.utilities.runtests as rt\nrt.os", /Forbidden access to module: os/],
    ["import mpmath", /Import of mpmath is not allowed/],
  ])("refuses %s", async (code, refusal) => {
    const r = await ex.run(code);
    expect(r.error?.message).toMatch(refusal);
  });
});

describe("a package that is not available offline", () => {
  let ex: Executor;
  beforeAll(async () => {
    ex = await createNodeExecutor({ packagesDir: "/nonexistent/py-packages" });
  });
  afterAll(async () => {
    await ex?.dispose();
  });

  it("gives a clear ModuleNotFoundError and the episode goes on", async () => {
    const r = await ex.run("import numpy as np");
    expect(r.error?.type).toBe("ModuleNotFoundError");
    expect(r.error?.message).toContain("No module named 'numpy' (the package is not available offline");
    const s = await ex.run("import sympy");
    expect(s.error?.type).toBe("ModuleNotFoundError");
    expect((await ex.run("1 + 1")).output).toBe("2");
  });
});
