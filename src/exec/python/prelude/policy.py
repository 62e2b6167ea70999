import ast as _ast
import builtins as _builtins
import copy as _copy
import importlib.util as _importlib_util
import io as _io
import json as _json
import os as _os
import sys as _sys
import types as _types
import _string

__name__ = "pocket_agent_sandbox"

try:
    from pyodide.ffi import JsProxy as _JsProxy
except ImportError:  # plain CPython (never the case in the executor)
    class _JsProxy:
        pass


class InterpreterError(ValueError):
    """Refusal by the sandbox or misuse of a tool (the reference uses the same name)."""


class _FinalAnswer(BaseException):
    def __init__(self, value):
        super().__init__()
        self.value = value


# ---------------------------------------------------------------- configuration

_CONFIG = {
    "authorized": [],
    "max_output": 20000,
    "max_print": 50000,
    "search": None,
}

# Bounds on what crosses to JavaScript (see src/exec/README.md, "Bounded outputs").
_MAX_ERROR_TYPE = 200
_MAX_ERROR = 20000
_MAX_QUERY = 10000

# Never importable, whatever the configuration says: these reach the host, the network or the
# interpreter's internals.
_HARD_DENIED = {
    "os", "posix", "nt", "sys", "subprocess", "socket", "_socket", "ssl", "ctypes", "_ctypes", "importlib",
    "_imp", "builtins", "js", "pyodide", "pyodide_js", "_pyodide", "_pyodide_core", "micropip", "inspect",
    "gc", "io", "_io", "pickle", "_pickle", "marshal", "code", "codeop", "runpy", "shutil", "pathlib",
    "threading", "_thread", "multiprocessing", "asyncio", "urllib", "http", "ftplib", "smtplib", "webbrowser",
    "sysconfig", "site", "zipimport", "pkgutil", "types", "weakref", "copyreg", "tempfile", "glob", "signal",
    # these evaluate strings, import by name, read attributes by name or walk frames (relevant with "*"):
    "_string", "string", "traceback", "linecache", "tokenize", "pdb", "bdb", "doctest", "pydoc", "timeit",
    "cProfile", "profile", "trace", "unittest", "logging", "rlcompleter", "typing", "annotationlib", "idlelib",
    "test", "_testcapi", "_testinternalcapi", "_testbuffer", "_testmultiphase", "_testsinglephase",
    "ensurepip", "venv", "xmlrpc", "concurrent", "select", "selectors", "pty", "zipfile", "tarfile", "shelve",
    "dbm", "mmap", "_posixsubprocess", "faulthandler", "tracemalloc", "_tracemalloc", "atexit", "dis",
    "_weakref", "_pyodide_js", "pyodide_http", "_frozen_importlib", "_frozen_importlib_external",
}
# Callables from these modules are refused even when reached indirectly.
_DENIED_CALLABLE_ROOTS = {
    "os", "posix", "nt", "sys", "subprocess", "socket", "_socket", "ctypes", "_ctypes", "importlib", "_imp",
    "js", "pyodide", "pyodide_js", "_pyodide", "_pyodide_core", "micropip", "shutil", "pathlib", "io", "_io",
    "inspect", "gc", "pickle", "_pickle", "marshal", "runpy", "code", "codeop", "pyodide_http", "urllib", "http",
    "ssl", "_ssl", "ftplib", "smtplib", "webbrowser", "asyncio", "multiprocessing", "_posixsubprocess", "signal",
    "tempfile", "glob", "zipimport", "pkgutil", "linecache", "tokenize", "_frozen_importlib",
    "_frozen_importlib_external", "_string", "string", "copyreg", "traceback", "pydoc", "timeit", "typing",
    "annotationlib", "logging", "unittest",
}
# Library functions that import or run code by name, write files or start processes (sympy's test
# runner, code generation/compilation, previews, source lookup). Refused by module prefix.
_DENIED_CALLABLE_MODULES = (
    "sympy.testing", "sympy.utilities.runtests", "sympy.utilities.pytest", "sympy.utilities.benchmarking",
    "sympy.utilities.autowrap", "sympy.utilities.codegen", "sympy.utilities._compilation",
    "sympy.utilities.source", "sympy.printing.preview", "sympy.interactive.session",
    "sympy.utilities.matchpy_connector",
    "sympy.plotting.pygletplot", "mpmath.libmp.backend",
)
_FRAME_ATTRS = {
    "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code", "ag_await",
    "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace", "tb_frame", "tb_next", "co_code",
    "func_globals", "func_code", "attrgetter", "methodcaller", "cr_origin", "f_generator",
}
_ALLOWED_DUNDER_NAMES = {"__name__"}
# Special methods a model's class may define (plain protocol methods). Others (__match_args__,
# __instancecheck__, __deepcopy__, __reduce__, __init_subclass__, __class_getitem__, __slots__...) steer
# the interpreter's own machinery or receive its internal objects.
_ALLOWED_DEF_DUNDERS = {
    "__init__", "__new__", "__repr__", "__str__", "__format__", "__bytes__", "__hash__", "__bool__", "__eq__",
    "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__len__", "__length_hint__", "__iter__", "__next__",
    "__reversed__", "__contains__", "__getitem__", "__setitem__", "__delitem__", "__missing__", "__call__",
    "__enter__", "__exit__", "__aenter__", "__aexit__", "__aiter__", "__anext__", "__await__", "__getattr__",
    "__setattr__", "__delattr__", "__post_init__", "__add__", "__radd__", "__iadd__", "__sub__", "__rsub__",
    "__isub__", "__mul__", "__rmul__", "__imul__", "__matmul__", "__rmatmul__", "__imatmul__", "__truediv__",
    "__rtruediv__", "__itruediv__", "__floordiv__", "__rfloordiv__", "__ifloordiv__", "__mod__", "__rmod__",
    "__imod__", "__divmod__", "__rdivmod__", "__pow__", "__rpow__", "__ipow__", "__lshift__", "__rlshift__",
    "__ilshift__", "__rshift__", "__rrshift__", "__irshift__", "__and__", "__rand__", "__iand__", "__or__",
    "__ror__", "__ior__", "__xor__", "__rxor__", "__ixor__", "__neg__", "__pos__", "__abs__", "__invert__",
    "__int__", "__float__", "__complex__", "__index__", "__round__", "__trunc__", "__floor__", "__ceil__",
    "__sizeof__", "__doc__", "__module__", "__qualname__",
}
_TOOL_NAMES = ("final_answer", "web_search")


def _module_authorized(name):
    if type(name) is not str:
        return False
    if name.split(".")[0] in _HARD_DENIED:
        return False
    if "*" in _CONFIG["authorized"]:
        return True
    return any(name == imp or name.startswith(imp + ".") for imp in _CONFIG["authorized"])


def _library_module_authorized(name):
    """What code evaluated by sympy may reach: the allowlist plus sympy's own dependency mpmath."""
    if type(name) is str and name.split(".")[0] in _LIBRARY_DEPENDENCIES and name.split(".")[0] not in _HARD_DENIED:
        return True
    return _module_authorized(name)


def _import_refusal(name):
    return InterpreterError(f"Import of {name} is not allowed. Authorized imports are: {_CONFIG['authorized']}")
