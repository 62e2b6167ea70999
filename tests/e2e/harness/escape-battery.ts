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

function host(url: string): string {
  return new URL(url).hostname;
}
function port(url: string): string {
  return new URL(url).port;
}
