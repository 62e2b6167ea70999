/**
 * The Python layer of the sandbox beyond single refusals (issue 9 point 2): ordinary agent code still
 * runs, nothing one episode does survives reset() (module state, files, sympy caches), candidates' copy
 * memo holds nothing of the sandbox, and no library write reaches the file system during an action.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide, type PyodideAPI } from "pyodide";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeExecutor, type Executor } from "../../src/exec/index.ts";
import { DEFAULT_PACKAGES_DIR } from "../../src/exec/node/node-executor.ts";
import { PythonRuntime } from "../../src/exec/runtime.ts";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const sympyBuilt = existsSync(join(DEFAULT_PACKAGES_DIR, "manifest.json"));

let ex: Executor;

beforeAll(async () => {
  ex = await createNodeExecutor({ timeoutMs: 20_000 });
});
afterAll(async () => {
  await ex?.dispose();
});

describe("ordinary agent code still runs under the hardened guards", () => {
  it.each([
    [
      "loops and comprehensions",
      "t = 0\nfor i in range(5):\n    t += i\nprint(t, [i * i for i in range(4)], {k: k + '1' for k in 'ab'})",
      "10 [0, 1, 4, 9] {'a': 'a1', 'b': 'b1'}\n",
    ],
    [
      "classes with __init__/__repr__/__eq__/__hash__/__lt__",
      "class P:\n    def __init__(self, v):\n        self.v = v\n    def __repr__(self):\n        return f'P({self.v})'\n" +
        "    def __eq__(self, o):\n        return isinstance(o, P) and o.v == self.v\n    def __hash__(self):\n        return hash(self.v)\n" +
        "    def __lt__(self, o):\n        return self.v < o.v\nprint(sorted([P(3), P(1)]), {P(1): 'one'}[P(1)], P(2) == P(2))",
      "[P(1), P(3)] one True\n",
    ],
    [
      "sorted/min/max with key=lambda, map/filter over numbers",
      "xs = [3, 1, 2]\nprint(sorted(xs, key=lambda t: -t), min(xs, key=lambda t: -t), list(map(lambda t: t * 2, xs)), list(filter(lambda t: t > 1, xs)), list(map(str, xs)))",
      "[3, 2, 1] 3 [6, 2, 4] [3, 2] ['3', '1', '2']\n",
    ],
    [
      "itertools, collections, re, math, statistics",
      "import itertools, collections, re, math, statistics\nprint(list(itertools.starmap(pow, [(2, 3)])), list(itertools.accumulate([1, 2, 3])), collections.Counter('aab').most_common(1), re.sub('a', lambda m: 'b', 'aa'), math.gcd(6, 4), statistics.mean([1, 2, 3]))",
      "[8] [1, 3, 6] [('a', 2)] bb 2 2\n",
    ],
    [
      "decorators, property, staticmethod, classmethod",
      "def plus_one(f):\n    def w(*a):\n        return f(*a) + 1\n    return w\n@plus_one\ndef g(x):\n    return x\n" +
        "class Q:\n    @property\n    def p(self):\n        return 7\n    @staticmethod\n    def s():\n        return 8\n    @classmethod\n    def c(cls):\n        return 9\nprint(g(1), Q().p, Q.s(), Q.c())",
      "2 7 8 9\n",
    ],
    [
      "str.format with fields, format specs and attributes of the model's objects",
      "class P:\n    def __init__(self):\n        self.v = 5\nprint('{0.v:.2f} {x} {d[k]}'.format(P(), x=1, d={'k': 'K'}), '{a}'.format_map({'a': 1}), str.format('{}', 2), f'{3.14159:.1f}')",
      "5.00 1 K 1 2 3.1\n",
    ],
    [
      "match on sequences, mappings and class patterns at the top",
      "from collections import namedtuple\nPt = namedtuple('Pt', 'x y')\nfor s in [(1, 2), {'k': 3}, Pt(4, 5), 6]:\n    match s:\n        case (a, b):\n            print('seq', a, b)\n        case {'k': v}:\n            print('map', v)\n        case Pt(x=x, y=y):\n            print('pt', x, y)\n        case int(n):\n            print('int', n)",
      "seq 1 2\nmap 3\nseq 4 5\nint 6\n",
    ],
    [
      "with-statements whose __exit__ receives a traceback it does not touch",
      "class E:\n    def __enter__(self):\n        return self\n    def __exit__(self, t, v, tb):\n        print('exit', v)\n        return True\nwith E():\n    1 / 0",
      "exit division by zero\n",
    ],
    [
      "the model's own state: attributes, items, augmented assignment, type() classes, user functions",
      "class C:\n    n = 0\nC.n += 1\nc = C()\nc.x = [1]\nc.x += [2]\nd = {}\nd['a'] = 1\nd['a'] += 1\nD = type('D', (C,), {'m': 2})\nD.m = 3\ndef f():\n    pass\nf.tag = 'ok'\ndel d['a']\nprint(C.n, c.x, d, D.m, D().n, f.tag)",
      "1 [1, 2] {} 3 1 ok\n",
    ],
    [
      "random and time keep working",
      "import random, time\nrandom.seed(1)\na = random.random()\nrandom.seed(1)\nprint(a == random.random(), time.time() > 0)",
      "True True\n",
    ],
  ])("%s", async (_name, code, logs) => {
    const r = await ex.run(code);
    expect(r.error).toBeUndefined();
    if (logs !== null) expect(r.logs).toBe(logs);
  });

  it.skipIf(!sympyBuilt)(
    "sympy: from sympy import symbols, solve ... and string evaluation",
    async () => {
      const r = await ex.run(
        "from sympy import symbols, solve, Rational, sqrt, simplify, sympify, lambdify, parse_expr, nsimplify\n" +
          "x = symbols('x')\nprint(solve(x**2 - 4, x), simplify(sqrt(8)), Rational(1, 3) + Rational(1, 6), sympify('x + x'), " +
          "lambdify(x, x**2 + 1)(3), parse_expr('2*x', evaluate=False), nsimplify(0.5), sympify('Integer(3).is_prime'))",
      );
      expect(r.error).toBeUndefined();
      expect(r.logs).toBe("[-2, 2] 2*sqrt(2) 1/2 2*x 10 2*x 1/2 True\n");
      // Library objects with methods named like container mutators, and init_printing, still work.
      const more = await ex.run(
        "from sympy import init_printing\ninit_printing()\nfrom sympy.polys.domains import ZZ, QQ\nprint(ZZ.add(ZZ(1), ZZ(2)), QQ.add(QQ(1, 2), QQ(1, 3)))",
      );
      expect(more.error).toBeUndefined();
      expect(more.logs).toBe("3 5/6\n");
    },
    60_000,
  );
});

describe("nothing one episode does survives reset()", () => {
  it.skipIf(!sympyBuilt)(
    "module state a library changed at the model's request is restored",
    async () => {
      await ex.reset();
      const before = await ex.run(
        "from sympy.printing.pretty.pretty_symbology import pretty_use_unicode\npretty_use_unicode()",
      );
      expect(before.error).toBeUndefined();
      const flipped = before.output === "True" ? "False" : "True";
      await ex.run(`pretty_use_unicode(${flipped})`);
      expect((await ex.run("pretty_use_unicode()")).output).toBe(flipped);
      await ex.reset();
      const after = await ex.run(
        "from sympy.printing.pretty.pretty_symbology import pretty_use_unicode\npretty_use_unicode()",
      );
      expect(after.output).toBe(before.output);
      const sympy = await ex.run("import sympy\nsympy.solve(sympy.Symbol('y') - 3)");
      expect(sympy.output).toBe("[3]");
    },
    60_000,
  );

  it.skipIf(!sympyBuilt)(
    "sympy's name importer loads no module the allowlist does not cover (import-time code never runs)",
    async () => {
      const r = await ex.run(
        "from sympy.external import import_module\n(import_module('antigravity'), import_module('this'), import_module('math') is not None)",
      );
      expect(r.error).toBeUndefined();
      expect(r.output).toBe("(None, None, True)");
      expect(r.logs).toBe("");
    },
    60_000,
  );

  it.skipIf(!sympyBuilt)(
    "a suspended evaluate(False) does not leave sympy unevaluated for the next episode",
    async () => {
      await ex.reset();
      const off = await ex.run(
        "import sympy\ncm = sympy.evaluate(False)\nnext(cm.gen)\nstr(sympy.Add(1, 2))",
      );
      expect(off.output).toBe("1 + 2");
      await ex.reset();
      expect((await ex.run("import sympy\nstr(sympy.Add(1, 2))")).output).toBe("3");
    },
    60_000,
  );

  it.skipIf(!sympyBuilt)(
    "sympy's caches forget the model's objects (a str whose __eq__ lies cannot poison Symbol())",
    async () => {
      await ex.reset();
      await ex.run(
        "import sympy\nclass Name(str):\n    def __eq__(self, o):\n        return True\n    def __hash__(self):\n        return hash('q')\nsympy.Symbol(Name('evil'))",
      );
      await ex.reset();
      expect((await ex.run("import sympy\nstr(sympy.Symbol('q'))")).output).toBe("q");
    },
    60_000,
  );

  it("functions re-bound for a candidate keep the sandbox's builtins (not the real ones)", async () => {
    await ex.reset();
    await ex.run("def which():\n    return print\ndef shout(x):\n    return [x.upper()]");
    const c = await ex.runCandidate("(which() is print, shout('a'))");
    expect(c.error).toBeUndefined();
    expect(c.output).toBe("(True, ['A'])");
  });

  it("a candidate's deepcopy memo, asked for by __getattr__, holds nothing of the sandbox", async () => {
    await ex.reset();
    await ex.run(
      "loot = []\nclass Spy:\n    def __getattr__(self, name):\n        if name != '__deepcopy__':\n            raise AttributeError(name)\n" +
        "        def steal(memo):\n            loot.extend(memo.values())\n            return Spy()\n        return steal\nspy = Spy()",
    );
    const c = await ex.runCandidate("1");
    expect(c.error).toBeUndefined();
    const r = await ex.run(
      "print(len(loot) > 0, any(isinstance(v, dict) and ('final_answer' in v or 'print' in v) for v in loot), any('mappingproxy' in str(type(v)) for v in loot))",
    );
    expect(r.error).toBeUndefined();
    expect(r.logs).toBe("True False False\n");
  });
});

describe("the runtime directly: files and library writes", () => {
  let pyodide: PyodideAPI;
  let runtime: PythonRuntime;

  beforeAll(async () => {
    pyodide = await loadPyodide({
      indexURL: join(REPO_ROOT, "node_modules/pyodide/"),
      stdout: () => {},
      stderr: () => {},
    });
    runtime = PythonRuntime.create(
      pyodide,
      {
        authorizedImports: ["math", "statistics"],
        maxOutputChars: 20_000,
        maxPrintChars: 50_000,
        searchTopK: 3,
        // Read by the workers only (this test runs the runtime in-process).
        memoryLimitBytes: 1024 * 2 ** 20,
      },
      {
        loadPackage: async (name) => {
          const file = join(DEFAULT_PACKAGES_DIR, `${name}.zip`);
          return existsSync(file) ? { zip: new Uint8Array(await readFile(file)), requires: [] } : null;
        },
      },
    );
  }, 60_000);

  it("reset() removes files created since set-up in /tmp, /home/pyodide and the working directory", async () => {
    pyodide.runPython(
      "import os\nopen('/tmp/left.txt', 'w').write('x')\nos.makedirs('/home/pyodide/pkg/sub', exist_ok=True)\n" +
        "open('/home/pyodide/pkg/sub/queue.py', 'w').write('import os')\nopen('/home/pyodide/math.py', 'w').write('x')",
    );
    runtime.reset();
    const left = pyodide.runPython(
      "import os\n[p for p in ('/tmp/left.txt', '/home/pyodide/pkg', '/home/pyodide/math.py') if os.path.exists(p)]",
    );
    expect(left.toJs()).toEqual([]);
    left.destroy();
  });

  it("a library asked by the model to write a file is refused while the action runs", async () => {
    // Stands in for a library function that writes at the caller's request (sympy's codegen/preview).
    pyodide.runPython(
      "import statistics, os\nstatistics.write_report = lambda p: open(p, 'w').write('x')\nstatistics.make_dir = lambda p: os.mkdir(p)",
    );
    const w = await runtime.run("import statistics\nstatistics.write_report('/home/pyodide/queue.py')", 5000);
    expect(w.error?.type).toBe("PermissionError");
    expect(w.error?.message).toContain("Forbidden: open('/home/pyodide/queue.py', 'w')");
    const d = await runtime.run("statistics.make_dir('/tmp/d')", 5000);
    expect(d.error?.message).toContain("Forbidden: os.mkdir");
    // Outside actions (set-up, the host) files can still be written.
    pyodide.runPython("open('/tmp/host.txt', 'w').write('ok')");
    expect(pyodide.runPython("open('/tmp/host.txt').read()")).toBe("ok");
    runtime.reset();
  });

  it("module attributes changed outside the model's reach are restored by reset()", async () => {
    await runtime.run("import math", 5000);
    pyodide.runPython("import math\nmath.pi = 3\nmath.extra = 1");
    runtime.reset();
    expect(pyodide.runPython("import math\n(math.pi, hasattr(math, 'extra'))").toJs()).toEqual([
      Math.PI,
      false,
    ]);
  });
});
