/**
 * Escape attempts against the Python sandbox, shared by the Node integration test and the Chromium e2e
 * test. Each names the code (given the canary URL it would try to reach) and the refusal it must get.
 */
export interface EscapeAttempt {
  name: string;
  code: (url: string) => string;
  /** Matches error.message of the result; the attempt must fail with it. */
  refusal: RegExp;
}

const importRefused = (module: string) =>
  new RegExp(`Import of ${module.replace(".", "\\.")} is not allowed`);
const dunder = /Forbidden access to dunder (attribute|name)/;

export const ESCAPE_ATTEMPTS: EscapeAttempt[] = [
  { name: "import os", code: () => "import os\nos.listdir('/')", refusal: importRefused("os") },
  { name: "import sys", code: () => "import sys\nsys.modules['os']", refusal: importRefused("sys") },
  { name: "import subprocess", code: () => "import subprocess", refusal: importRefused("subprocess") },
  {
    name: "import socket",
    code: (u) => `import socket\nsocket.create_connection(('${host(u)}', ${port(u)}))`,
    refusal: importRefused("socket"),
  },
  { name: "import ctypes", code: () => "import ctypes", refusal: importRefused("ctypes") },
  {
    name: "import importlib",
    code: () => "import importlib\nimportlib.import_module('os')",
    refusal: importRefused("importlib"),
  },
  { name: "import js + fetch", code: (u) => `import js\njs.fetch('${u}')`, refusal: importRefused("js") },
  {
    name: "from js import XMLHttpRequest",
    code: (u) =>
      `from js import XMLHttpRequest\nr = XMLHttpRequest.new()\nr.open('GET', '${u}', False)\nr.send()`,
    refusal: importRefused("js"),
  },
  { name: "import pyodide", code: () => "import pyodide", refusal: importRefused("pyodide") },
  {
    name: "pyodide.http.pyfetch",
    code: (u) => `from pyodide.http import pyfetch\npyfetch('${u}')`,
    refusal: importRefused("pyodide.http"),
  },
  { name: "pyodide.ffi", code: () => "import pyodide.ffi", refusal: importRefused("pyodide.ffi") },
  { name: "import pyodide_js", code: () => "import pyodide_js", refusal: importRefused("pyodide_js") },
  {
    name: "import micropip",
    code: (u) => `import micropip\nmicropip.install('${u}')`,
    refusal: importRefused("micropip"),
  },
  {
    name: "urllib",
    code: (u) => `import urllib.request\nurllib.request.urlopen('${u}')`,
    refusal: importRefused("urllib.request"),
  },
  {
    name: "import builtins",
    code: () => "import builtins\nbuiltins.open('/etc/passwd')",
    refusal: importRefused("builtins"),
  },
  { name: "__import__", code: (u) => `__import__('js').fetch('${u}')`, refusal: dunder },
  { name: "__builtins__", code: () => "__builtins__['__import__']('os')", refusal: dunder },
  {
    name: "open",
    code: () => "open('/etc/passwd').read()",
    refusal: /Forbidden function evaluation: 'open'/,
  },
  {
    name: "eval",
    code: (u) => `eval("__import__('js').fetch('${u}')")`,
    refusal: /Forbidden function evaluation: 'eval'/,
  },
  { name: "exec", code: () => "exec('import os')", refusal: /Forbidden function evaluation: 'exec'/ },
  {
    name: "compile",
    code: () => "compile('1', 'x', 'eval')",
    refusal: /Forbidden function evaluation: 'compile'/,
  },
  { name: "globals()", code: () => "globals()", refusal: /Forbidden function evaluation: 'globals'/ },
  {
    name: "vars(module)",
    code: () => "import random\nvars(random)['_os']",
    refusal: /Forbidden function evaluation: 'vars'/,
  },
  {
    name: "random._os",
    code: () => "import random\nrandom._os.system('ls')",
    refusal: /Forbidden access to private attribute of module random: _os/,
  },
  {
    name: "from random import _os",
    code: () => "from random import _os",
    refusal: /private attribute of module random: _os/,
  },
  {
    name: "collections._sys",
    code: () => "import collections\ncollections._sys.modules",
    refusal: /private attribute of module collections/,
  },
  {
    name: "re.enum (module re-export)",
    code: () => "import re\nre.enum",
    refusal: /Forbidden access to module: enum/,
  },
  {
    name: "queue.threading",
    code: () => "import queue\nqueue.threading",
    refusal: /Forbidden access to module: threading/,
  },
  {
    name: "from re import functools",
    code: () => "from re import functools",
    refusal: /Forbidden access to module: functools/,
  },
  { name: "subclasses walk", code: () => "().__class__.__base__.__subclasses__()", refusal: dunder },
  { name: "getattr with built string", code: () => "getattr((), '__cla' + 'ss__')", refusal: dunder },
  {
    name: "getattr on module private",
    code: () => "import random\ngetattr(random, '_' + 'os')",
    refusal: /private attribute of module random/,
  },
  { name: "function globals", code: () => "final_answer.__globals__", refusal: dunder },
  { name: "print globals via getattr", code: () => "getattr(print, '__glob' + 'als__')", refusal: dunder },
  {
    name: "traceback frame",
    code: () => "try:\n    1/0\nexcept Exception as e:\n    e.__traceback__.tb_frame.f_globals",
    refusal: /Forbidden access to (dunder attribute: __traceback__|attribute: (tb_frame|f_globals))/,
  },
  {
    name: "generator frame",
    code: () => "g = (i for i in [1])\ng.gi_frame.f_back",
    refusal: /Forbidden access to attribute: (gi_frame|f_back)/,
  },
  {
    name: "generator frame via getattr",
    code: () => "g = (i for i in [1])\ngetattr(g, 'gi_' + 'frame')",
    refusal: /Forbidden access to attribute: gi_frame/,
  },
  {
    name: "running generator f_back",
    code: () => "def gen():\n    yield 1\ng = gen()\nnext(g)\ngetattr(g, 'gi_code')",
    refusal: /Forbidden access to attribute: gi_code/,
  },
  { name: "relative import", code: () => "from . import x", refusal: /Relative imports are not allowed/ },
  {
    name: "shadow a sandbox hook",
    code: () => "def __pa_getattr__(o, n):\n    return 1",
    refusal: /Forbidden name: __pa_getattr__/,
  },
  { name: "sys via type walk", code: () => "type(print).__module__", refusal: dunder },
  {
    name: "match class pattern",
    code: () => "match 1:\n    case int(__class__=c):\n        c",
    refusal: dunder,
  },
];

/**
 * Attempts added with the second sandbox layer (issue 9), one class of route per group. Each is
 * self-contained: the browser test runs them one after another in the same namespace.
 */
const shadow = (tool: string) => new RegExp(`Cannot assign to name '${tool}'`);
const deniedFn = (qualified: string) =>
  new RegExp(`Forbidden access to function: ${qualified.replaceAll(".", "\\.")}`);
// `from sympy import *` binds sympy's test runner and preview (they run tests by path, write files and
// start processes): holding them is allowed, calling them by any route is not.
const SYMPY_STAR = "from sympy import *\n";
const testRunner = deniedFn("sympy.testing.runtests.test");
const previewFn = deniedFn("sympy.printing.preview.preview");
// A str subclass that lies to every check a guard could make with its methods.
const LIAR =
  "class Liar(str):\n    def startswith(self, p):\n        return False\n    def endswith(self, p):\n        return False\n" +
  "    def __eq__(self, o):\n        return False\n    def __hash__(self):\n        return 7\n";
// The os module, held through an implicit call of sympy's name importer (holding it is harmless).
const HOLD_OS = "from sympy.external import import_module\nheld = list(map(import_module, ['os']))[0]\n";

export const ESCAPE_ATTEMPTS_IMPLICIT_CALLS: EscapeAttempt[] = [
  {
    name: "map(getattr) with a built dunder name",
    code: () => "list(map(getattr, [print], ['__glob' + 'als__']))",
    refusal: dunder,
  },
  {
    name: "itertools.starmap(getattr)",
    code: () => "import itertools\nlist(itertools.starmap(getattr, [(print, '__glob' + 'als__')]))",
    refusal: dunder,
  },
  { name: "map(denied callable)", code: () => `${SYMPY_STAR}list(map(test, ['x']))`, refusal: testRunner },
  {
    name: "filter(denied callable)",
    code: () => `${SYMPY_STAR}list(filter(test, ['x']))`,
    refusal: testRunner,
  },
  {
    name: "sorted(key=denied callable)",
    code: () => `${SYMPY_STAR}sorted(['a', 'b'], key=preview)`,
    refusal: previewFn,
  },
  {
    name: "min/max(key=denied callable)",
    code: () => `${SYMPY_STAR}max(['a', 'b'], key=test)`,
    refusal: testRunner,
  },
  {
    name: "list.sort(key=...) through a dict of kwargs",
    code: () => `${SYMPY_STAR}xs = ['a']\nxs.sort(**{'key': test})`,
    refusal: testRunner,
  },
  {
    name: "itertools.starmap(denied callable)",
    code: () => `${SYMPY_STAR}import itertools\nlist(itertools.starmap(test, [('x',)]))`,
    refusal: testRunner,
  },
  {
    name: "itertools.groupby(key=denied callable)",
    code: () => `${SYMPY_STAR}import itertools\nlist(itertools.groupby(['x'], key=test))`,
    refusal: testRunner,
  },
  {
    name: "decorator application",
    code: () => `${SYMPY_STAR}@test\ndef f():\n    pass`,
    refusal: testRunner,
  },
  {
    name: "class decorator from a container",
    code: () => `${SYMPY_STAR}decorators = [preview]\n@decorators[0]\nclass C:\n    pass`,
    refusal: previewFn,
  },
  {
    name: "re.sub with a callable replacement",
    code: () => `${SYMPY_STAR}import re\nre.sub('a', test, 'a')`,
    refusal: testRunner,
  },
  { name: "iter(callable, sentinel)", code: () => `${SYMPY_STAR}next(iter(test, 1))`, refusal: testRunner },
  {
    name: "collections.defaultdict factory",
    code: () => `${SYMPY_STAR}import collections\ncollections.defaultdict(test)['x']`,
    refusal: testRunner,
  },
  {
    name: "property getter",
    code: () => `${SYMPY_STAR}C = type('C', (), {'p': property(test)})\nC().p`,
    refusal: testRunner,
  },
  {
    name: "__call__ slot filled by type()",
    code: () => `${SYMPY_STAR}C = type('C', (), {'__call__': test})\nC()()`,
    refusal: testRunner,
  },
  {
    name: "__class_getitem__ slot filled by type()",
    code: () => `${SYMPY_STAR}C = type('C', (), {'__class_getitem__': test})\nC['x']`,
    refusal: /Forbidden class attribute: __class_getitem__/,
  },
];

export const ESCAPE_ATTEMPTS_CALLER_OBJECTS: EscapeAttempt[] = [
  {
    name: "__getattr__ answers a library's lookup with a denied callable",
    code: () => `${SYMPY_STAR}class X:\n    def __getattr__(self, n):\n        return test\nsympify(X())`,
    refusal: testRunner,
  },
  {
    name: "lambdify's nested namespace tables changed",
    code: () => "from sympy.utilities.lambdify import MODULES\nMODULES['math'][1]['sin'] = print",
    refusal: /Forbidden change of a library's shared state/,
  },
  {
    name: "str subclass name to getattr",
    code: () => `${LIAR}getattr(print, Liar('__globals__'))`,
    refusal: dunder,
  },
  {
    name: "str subclass name to hasattr",
    code: () => `${LIAR}hasattr(print, Liar('__globals__'))`,
    refusal: dunder,
  },
  {
    name: "str subclass name to setattr",
    code: () => `${LIAR}def f():\n    pass\nsetattr(f, Liar('__code__'), None)`,
    refusal: dunder,
  },
  {
    name: "str subclass name to delattr",
    code: () => `${LIAR}def f():\n    pass\ndelattr(f, Liar('__defaults__'))`,
    refusal: dunder,
  },
  {
    name: "str subclass private module name",
    code: () => `${LIAR}import random\ngetattr(random, Liar('_os'))`,
    refusal: /private attribute of module random: _os/,
  },
  { name: "str.format reads a dunder", code: () => "'{0.__globals__}'.format(print)", refusal: dunder },
  {
    name: "unbound str.format",
    code: () => "str.format('{0.__class__.__base__}', 1)",
    refusal: dunder,
  },
  {
    name: "str.format_map",
    code: () => "'{f.__globals__}'.format_map({'f': print})",
    refusal: dunder,
  },
  {
    name: "format field nested in a format spec",
    code: () => "'{0:{1.__class__}}'.format(1, 2)",
    refusal: dunder,
  },
  {
    name: "bound str.format handed to map",
    code: () => "list(map('{0.__globals__}'.format, [print]))",
    refusal: dunder,
  },
  {
    name: "str subclass as format string",
    code: () => `${LIAR}Liar('{0.__globals__}').format(print)`,
    refusal: dunder,
  },
  {
    name: "format string reads a module's private attribute",
    code: () => "import random\n'{0._os}'.format(random)",
    refusal: /private attribute in a format string: _os/,
  },
  {
    name: "match class pattern on __match_args__ made by type()",
    code: () => "C = type('C', (), {'__match_args__': ('__globals__',)})",
    refusal: /Forbidden class attribute: __match_args__/,
  },
  {
    name: "type() namespace as a dict subclass hiding its items",
    code: () =>
      "class D(dict):\n    def items(self):\n        return []\nC = type('C', (), D({'__match_args__': ('__globals__',)}))",
    refusal: /Forbidden class attribute: __match_args__/,
  },
  {
    name: "match class pattern on __match_args__ made by a decorated def",
    code: () =>
      "def tup(f):\n    return ('__globals__',)\nclass C:\n    @tup\n    def __match_args__(self):\n        pass",
    refusal: /Forbidden special method: __match_args__/,
  },
  {
    name: "metaclass __instancecheck__",
    code: () => "class M(type):\n    def __instancecheck__(cls, x):\n        return True",
    refusal: /Forbidden special method: __instancecheck__/,
  },
  {
    name: "metaclass by subclassing type",
    code: () => "class M(type):\n    pass",
    refusal: /Forbidden: defining a metaclass/,
  },
  {
    name: "metaclass made by map(type, ...)",
    code: () => "list(map(type, ['M'], [(type,)], [{}]))",
    refusal: /Forbidden: defining a metaclass/,
  },
  {
    name: "match class pattern reading a dunder",
    code: () => "match print:\n    case object(__globals__=g):\n        g",
    refusal: dunder,
  },
  {
    name: "match on a module reads its private attribute",
    code: () => "import random\nmatch random:\n    case object(_os=o):\n        o",
    refusal: /Forbidden (access to private attribute in a pattern: _os|: matching against module random)/,
  },
  {
    name: "match on a held module",
    code: () => `${HOLD_OS}match held:\n    case object(system=s):\n        s`,
    refusal: /Forbidden: matching against module os/,
  },
  {
    name: "nested class pattern",
    code: () => `${HOLD_OS}match [held]:\n    case [object(system=s)]:\n        s`,
    refusal: /Forbidden: a class pattern nested inside another pattern/,
  },
  {
    name: "value pattern hands a module attribute to __eq__",
    code: () =>
      `${HOLD_OS}got = []\nclass Grab:\n    def __eq__(self, other):\n        got.append(other)\n        return False\n` +
      "match Grab():\n    case held.system:\n        pass",
    refusal: /Forbidden: a dotted name in a match pattern \(\.system\)/,
  },
  {
    name: "__exit__ traceback attribute",
    code: () =>
      "class E:\n    def __enter__(self):\n        return self\n    def __exit__(self, t, v, tb):\n        tb.tb_lineno\n" +
      "        return True\nwith E():\n    1 / 0",
    refusal: /Forbidden access to traceback objects/,
  },
  {
    name: "__exit__ traceback into str.format",
    code: () =>
      "class E:\n    def __enter__(self):\n        return self\n    def __exit__(self, t, v, tb):\n" +
      "        '{0.tb_frame.f_globals}'.format(tb)\n        return True\nwith E():\n    1 / 0",
    refusal: /Forbidden access to (traceback objects|attribute: tb_frame)/,
  },
  {
    name: "__exit__ traceback kept and matched",
    code: () =>
      "class E:\n    def __enter__(self):\n        return self\n    def __exit__(self, t, v, tb):\n        self.tb = tb\n" +
      "        return True\ne = E()\nwith e:\n    1 / 0\nmatch e.tb:\n    case object(tb_frame=f):\n        f",
    refusal: /Forbidden access to (traceback objects|attribute: tb_frame)/,
  },
  {
    name: "__deepcopy__ receives the copy memo",
    code: () => "class C:\n    def __deepcopy__(self, memo):\n        return memo",
    refusal: /Forbidden special method: __deepcopy__/,
  },
  {
    name: "__reduce_ex__ / __init_subclass__ hooks",
    code: () => "class C:\n    def __init_subclass__(cls):\n        pass",
    refusal: /Forbidden special method: __init_subclass__/,
  },
];

export const ESCAPE_ATTEMPTS_LIBRARIES: EscapeAttempt[] = [
  {
    name: "lambdify reaches the builtins module",
    code: () => "import sympy\nsympy.lambdify([], sympy.Symbol(\"builtins.open('/etc/passwd').read()\"))()",
    refusal: /Forbidden access to module: builtins/,
  },
  {
    name: "lambdify with a held module as namespace",
    code: () =>
      `import sympy\n${HOLD_OS}sympy.lambdify([], sympy.Function('system')(sympy.Symbol('x')), modules=[held])`,
    refusal: /Forbidden access to function: os\./,
  },
  {
    name: "sympify reads a dunder through a function",
    code: () => "import sympy\nsympy.sympify('x.func.__globals__')",
    refusal: /Forbidden name in evaluated string: __globals__/,
  },
  {
    name: "parse_expr calls a denied callable from local_dict",
    code: () => "import sympy\nsympy.parse_expr('e(1)', local_dict={'e': sympy.test})",
    refusal: testRunner,
  },
  {
    name: "parse_expr's local_dict supplies the sandbox's call hook",
    code: () =>
      `${SYMPY_STAR}parse_expr("a(1, key=test)", local_dict={'__pa_call__': max, 'test': test, 'a': max})`,
    refusal: testRunner,
  },
  {
    name: "lambdify's namespace supplies the sandbox's call hook",
    code: () =>
      `${SYMPY_STAR}lambdify([], Function('a')(1), modules=[{'__pa_call__': max, 'a': test}, 'math'])()`,
    refusal: testRunner,
  },
  {
    name: "parse_expr's global_dict answers any name (__missing__)",
    code: () =>
      `${SYMPY_STAR}class G(dict):\n    def __missing__(self, k):\n        return test\nparse_expr('x()', global_dict=G())`,
    // The dict subclass is copied to a plain dict: its __missing__ is never asked.
    refusal: /NameError: name '\w+' is not defined/,
  },
  {
    name: "nsimplify evaluates its constants",
    code: () => "import sympy\nsympy.nsimplify(1.5, constants=[\"__import__('os')\"])",
    refusal: /Forbidden name in evaluated string: __import__/,
  },
  {
    name: "lambdify's import commands changed",
    code: () =>
      "from sympy.utilities.lambdify import MODULES\nMODULES['math'] = ({}, {}, {}, ('import os',))",
    refusal: /Forbidden change of a library's shared state/,
  },
  {
    name: "sympy source lookup imports by dotted name",
    code: () => "from sympy.utilities.source import get_class\nget_class('os.system')",
    refusal: deniedFn("sympy.utilities.source.get_class"),
  },
  {
    name: "import_module('pyodide.code')",
    code: () => "from sympy.external import import_module\nimport_module('pyodide.code')",
    refusal: /Forbidden access to module: pyodide(\.code)?$/,
  },
  {
    name: "held module's sys.modules through a format string",
    code: () =>
      "from sympy.external import import_module\nheld = list(map(import_module, ['sys']))[0]\n'{0.modules}'.format(held)",
    refusal: /Forbidden access to module: sys/,
  },
  {
    name: "js held through a name importer, then fetch",
    code: (u) =>
      `from sympy.external import import_module\nj = list(map(import_module, ['js']))[0]\nj.fetch('${u}')`,
    // js is refused when held, and not imported by the importer when nothing loaded it yet.
    refusal: /Forbidden access to JavaScript objects|'NoneType' object has no attribute 'fetch'/,
  },
  {
    name: "pyodide_js held through a name importer, then runPython",
    code: (u) =>
      "from sympy.external import import_module\npj = list(map(import_module, ['pyodide_js']))[0]\n" +
      `pj.runPython("import js; js.fetch('${u}')")`,
    refusal: /Forbidden access to JavaScript objects/,
  },
  {
    name: "pyodide.code held through a name importer, then run_js",
    code: (u) =>
      "from sympy.external import import_module\n" +
      "pc = list(map(lambda n: import_module(n, import_kwargs={'fromlist': ['run_js']}), ['pyodide.code']))[0]\n" +
      `pc.run_js("fetch('${u}')")`,
    refusal: /Forbidden access to module: pyodide\.code/,
  },
  {
    name: "the class of a library's attrgetter builds one for a dunder",
    code: () => "import sympy\nag = sympy.core.add.add._handlergetter\nA = type(ag)\nA('__globals__')(print)",
    refusal: /Forbidden access to function: attrgetter/,
  },
  {
    name: "the class of a library's attrgetter through map(type)",
    code: () =>
      "import sympy\nA = list(map(type, [sympy.core.add.add._handlergetter]))[0]\nA('__globals__')(print)",
    refusal: /Forbidden access to function: attrgetter/,
  },
  { name: "sympy test runner", code: () => "import sympy\nsympy.test('/tmp')", refusal: testRunner },
  {
    name: "preview writes a file",
    code: () => "import sympy\nsympy.preview(sympy.Symbol('x'), outputTexFile='/home/pyodide/evil.py')",
    refusal: previewFn,
  },
  {
    name: "code generation writes files",
    code: () => "from sympy.utilities.codegen import codegen",
    refusal: deniedFn("sympy.utilities.codegen.codegen"),
  },
  {
    name: "mpmath reached through sympy",
    code: () => "import sympy.core.numbers as numbers\nnumbers.mpmath.mp",
    refusal: /Forbidden access to module: mpmath/,
  },
];

export const ESCAPE_ATTEMPTS_SHARED_STATE: EscapeAttempt[] = [
  {
    name: "module attribute changed (math.pi = 3)",
    code: () => "import math\nmath.pi = 3",
    refusal: /Forbidden change of module math/,
  },
  {
    name: "module attribute changed with setattr",
    code: () => "import math\nsetattr(math, 'pi', 3)",
    refusal: /Forbidden change of module math/,
  },
  {
    name: "module attribute deleted",
    code: () => "import math\ndel math.pi",
    refusal: /Forbidden change of module math/,
  },
  {
    name: "library class patched",
    code: () => "import collections\ncollections.Counter.most_common = lambda self, n=None: []",
    refusal: /Forbidden change of Counter from collections/,
  },
  {
    name: "sympy class patched",
    code: () => "import sympy\nsympy.Expr.simplify = lambda self: 42",
    refusal: /Forbidden change of Expr from sympy\.core\.expr/,
  },
  {
    name: "sympy's sympify converter table changed",
    code: () => "from sympy.core.sympify import converter\nconverter[int] = lambda x: 42",
    refusal: /Forbidden change of a library's shared state/,
  },
  {
    name: "sympy's converter table cleared",
    code: () => "from sympy.core.sympify import converter\nconverter.clear()",
    refusal: /Forbidden change of a library's shared state/,
  },
  {
    name: "sympy's converter table cleared by an unbound method",
    code: () => "from sympy.core.sympify import converter\ndict.clear(converter)",
    refusal: /Forbidden change of a library's shared state/,
  },
  {
    name: "unbound container method handed to map",
    code: () => "from sympy.core.sympify import converter\nlist(map(dict.clear, [converter]))",
    refusal: /Forbidden: passing dict\.clear as an argument/,
  },
  {
    name: "sympy's converter table changed in place (|=)",
    code: () => "from sympy.core.sympify import converter\nconverter |= {int: print}",
    refusal: /Forbidden change of a library's shared state/,
  },
  {
    name: "sympy's global evaluate flag",
    code: () => "import sympy\nsympy.core.parameters.global_parameters.evaluate = False",
    refusal: /Forbidden change of a library's shared state/,
  },
  {
    name: "tool shadowed by def",
    code: () => "def final_answer(x):\n    return x",
    refusal: shadow("final_answer"),
  },
  {
    name: "tool shadowed by class",
    code: () => "class web_search:\n    pass",
    refusal: shadow("web_search"),
  },
  {
    name: "tool shadowed by import-as",
    code: () => "import math as final_answer",
    refusal: shadow("final_answer"),
  },
  {
    name: "tool shadowed by from-import-as",
    code: () => "from math import sqrt as web_search",
    refusal: shadow("web_search"),
  },
  {
    name: "tool shadowed by a for target",
    code: () => "for web_search in [1]:\n    pass",
    refusal: shadow("web_search"),
  },
  {
    name: "tool shadowed by with-as",
    code: () =>
      "class E:\n    def __enter__(self):\n        return 1\n    def __exit__(self, *a):\n        pass\nwith E() as final_answer:\n    pass",
    refusal: shadow("final_answer"),
  },
  {
    name: "tool shadowed by except-as",
    code: () => "try:\n    1 / 0\nexcept Exception as final_answer:\n    pass",
    refusal: shadow("final_answer"),
  },
  { name: "tool shadowed by walrus", code: () => "(final_answer := print)", refusal: shadow("final_answer") },
  {
    name: "tool shadowed through global",
    code: () => "def f():\n    global final_answer\n    final_answer = print\nf()",
    refusal: shadow("final_answer"),
  },
  { name: "tool deleted", code: () => "del final_answer", refusal: shadow("final_answer") },
  {
    name: "tool shadowed by a match capture",
    code: () => "match print:\n    case final_answer:\n        pass",
    refusal: shadow("final_answer"),
  },
  {
    name: "tool shadowed by a comprehension or lambda parameter",
    code: () => "(lambda web_search: web_search)(1)",
    refusal: shadow("web_search"),
  },
  {
    name: "file written for a later import",
    code: () => "open('/home/pyodide/queue.py', 'w').write('import os')",
    refusal: /Forbidden function evaluation: 'open'/,
  },
];

ESCAPE_ATTEMPTS.push(
  ...ESCAPE_ATTEMPTS_IMPLICIT_CALLS,
  ...ESCAPE_ATTEMPTS_CALLER_OBJECTS,
  ...ESCAPE_ATTEMPTS_LIBRARIES,
  ...ESCAPE_ATTEMPTS_SHARED_STATE,
);

function host(url: string): string {
  return new URL(url).hostname;
}
function port(url: string): string {
  return new URL(url).port;
}
