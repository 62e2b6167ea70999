/**
 * The Python half of the executor, shipped as a string so the Node worker and the browser worker run the
 * very same source. It is executed once per interpreter in its own module dict (never the model's
 * namespace) and exposes a small API the TypeScript runtime calls: configure, run, run_candidate,
 * commit_candidate, discard_candidates, reset, replay, packages_to_load.
 *
 * Semantics follow the reference interpreter (smolagents local_python_executor): the value of the last
 * top-level statement, prints joined by " " plus "\n", errors as
 * "Code execution failed at line '<statement>' due to: <Type>: <message>", head+tail truncation.
 *
 * Sandbox (checked per top-level statement, just before it runs, so earlier prints survive a refusal):
 * - static: no dunder/private attribute (`x._y`, `x.__class__`), no frame/code walking attributes
 *   (gi_frame, f_back, tb_frame...), no names starting with "__", no relative imports, no binding of a tool
 *   name in any form, only plain special methods (`__init__`, `__eq__`...), class patterns only at the top;
 * - rewritten code: attribute reads, calls (callee, callable arguments, result), decorators, match subjects
 *   and assignment targets go through __pa_* hooks, which refuse unauthorized modules, frames/code/
 *   tracebacks, JS proxies, dangerous callables, metaclasses and changes to shared (module/library) state;
 * - builtins: a read-only mapping with a guarded __import__ (the allowlist), getattr/setattr/str.format
 *   guarded by exact-type name checks; sympy/mpmath eval/exec/compile rewrite their code the same way;
 * - episodes: reset() restores module attributes and removes files created since set-up; actions cannot
 *   write files at all; results are cut to documented sizes before they cross to JavaScript.
 * The model code never sees this module's globals: it runs in its own dict with its own builtins.
 */
export const PRELUDE_PY = String.raw`
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


# ---------------------------------------------------------------- runtime guards

_DANGEROUS_BUILTINS = set()
for _n in ("eval", "exec", "compile", "open", "__import__", "globals", "locals", "vars", "breakpoint", "input",
           "help", "getattr", "setattr", "delattr", "exit", "quit", "memoryview", "__build_class__"):
    if hasattr(_builtins, _n):
        _DANGEROUS_BUILTINS.add(id(getattr(_builtins, _n)))
del _n
# Classes that build attribute readers by name (type(some_library_attrgetter)('__globals__')) or code
# objects (arbitrary bytecode), however they are reached.
import operator as _operator

for _v in (_operator.attrgetter, _operator.methodcaller, _types.CodeType, _types.FrameType,
           _types.TracebackType):
    _DANGEROUS_BUILTINS.add(id(_v))
del _v

# Values of these exact types are never dangerous; the checks below skip them quickly.
_PLAIN_TYPES = frozenset({int, float, complex, str, bytes, bool, type(None), list, tuple, dict, set, frozenset,
                          range, slice, bytearray})
_INTERNAL_TYPES = (_types.FrameType, _types.TracebackType, _types.CodeType)
_FUNCTION_TYPES = (_types.BuiltinFunctionType, _types.FunctionType, _types.MethodType,
                   _types.MethodDescriptorType, _types.WrapperDescriptorType, _types.MethodWrapperType,
                   _types.ClassMethodDescriptorType)


def _is_js_value(value):
    return isinstance(value, _JsProxy)


def _callable_module_denied(module):
    if type(module) is not str:
        return False
    if module.split(".")[0] in _DENIED_CALLABLE_ROOTS:
        return True
    return any(module == m or module.startswith(m + ".") for m in _DENIED_CALLABLE_MODULES)


def _is_metaclass(value):
    return isinstance(value, type) and issubclass(value, type)


def _check_value(value, label, library=False):
    if type(value) in _PLAIN_TYPES:
        return value
    if id(value) in _DANGEROUS_BUILTINS:
        raise InterpreterError(f"Forbidden access to function: {getattr(value, '__qualname__', label)}")
    if isinstance(value, _types.ModuleType):
        name = value.__name__
        if not (_library_module_authorized(name) if library else _module_authorized(name)):
            raise InterpreterError(f"Forbidden access to module: {name}")
        return value
    if isinstance(value, _INTERNAL_TYPES):
        raise InterpreterError(f"Forbidden access to {type(value).__name__} objects ({label})")
    if _is_js_value(value):
        raise InterpreterError(f"Forbidden access to JavaScript objects ({label})")
    if isinstance(value, type):
        module = type.__dict__["__module__"].__get__(value)
        if _callable_module_denied(module):
            raise InterpreterError(f"Forbidden access to class: {module}.{value.__qualname__}")
        return value
    kind = type.__dict__["__module__"].__get__(type(value))
    if kind != "builtins" and _callable_module_denied(kind):
        # an object of such a module's type (an open file of _io, a socket...), however it was reached
        raise InterpreterError(f"Forbidden access to {kind}.{type(value).__qualname__} objects ({label})")
    if callable(value):
        if id(value) in _DANGEROUS_BUILTINS:
            raise InterpreterError(f"Forbidden access to function: {label}")
        if isinstance(value, _FUNCTION_TYPES):
            module = getattr(value, "__module__", None)
            if module is None and isinstance(value, _types.BuiltinMethodType):
                owner = getattr(value, "__self__", None)
                if isinstance(owner, _types.ModuleType):
                    module = owner.__name__
            if _callable_module_denied(module):
                fname = getattr(value, "__name__", label)
                raise InterpreterError(f"Forbidden access to function: {module}.{fname}")
            if isinstance(value, _types.MethodType):
                _check_value(value.__func__, label, library)
    return value


def _exact_name(name):
    """An attribute name as the exact str it is; a str subclass could lie to the checks."""
    if type(name) is str:
        return name
    if isinstance(name, str):
        return str.__str__(name)
    raise TypeError(f"attribute name must be string, not '{type(name).__name__}'")


def _guard_name(name, obj=None):
    """Dunder and mangled-private names are refused everywhere; single-underscore ones on modules."""
    name = _exact_name(name)
    if name.startswith("__"):
        raise InterpreterError(f"Forbidden access to dunder attribute: {name}")
    if name.startswith("_") and isinstance(obj, _types.ModuleType):
        raise InterpreterError(f"Forbidden access to private attribute of module {obj.__name__}: {name}")
    if name in _FRAME_ATTRS:
        raise InterpreterError(f"Forbidden access to attribute: {name}")
    return name


# Container methods that change the container: refused on containers owned by a library module, which
# outlive the episode (sympy's converter table, printer settings...).
_MUTATOR_NAMES = frozenset({
    "update", "clear", "pop", "popitem", "setdefault", "append", "extend", "insert", "remove", "add", "discard",
    "sort", "reverse", "appendleft", "extendleft", "popleft", "rotate", "difference_update",
    "intersection_update", "symmetric_difference_update", "move_to_end", "subtract",
})
_MUTATOR_DESCRIPTORS = set()
for _t in (dict, list, set, bytearray):
    for _m in _MUTATOR_NAMES:
        if _m in _t.__dict__:
            _MUTATOR_DESCRIPTORS.add(id(_t.__dict__[_m]))
del _t, _m

_CONTAINERS = (dict, list, set, bytearray, __import__("collections").deque)

# ids of objects owned by library modules (module-level containers and instances, and those held by
# their classes); see _record_library_objects.
_LIBRARY_OWNED = set()


def _check_attribute_object(obj, name, library):
    if isinstance(obj, _types.ModuleType):
        if not (_library_module_authorized(obj.__name__) if library else _module_authorized(obj.__name__)):
            raise InterpreterError(f"Forbidden access to module: {obj.__name__}")
    elif isinstance(obj, _INTERNAL_TYPES):
        raise InterpreterError(f"Forbidden access to {type(obj).__name__} objects ({name})")
    elif _is_js_value(obj):
        raise InterpreterError(f"Forbidden access to JavaScript objects ({name})")
    elif name in _MUTATOR_NAMES and id(obj) in _LIBRARY_OWNED and isinstance(obj, _CONTAINERS):
        raise InterpreterError(f"Forbidden change of a library's shared state: .{name}() on {type(obj).__name__}")


_STR_FORMATS = {id(str.format), id(str.format_map)}


def _check_format_string(fmt, depth=0):
    """str.format reads attributes named in the format string: hold them to the attribute rules."""
    fmt = _exact_name(fmt)
    if depth > 3:
        return
    for _literal, field, spec, _conversion in _string.formatter_parser(fmt):
        if field is not None:
            _first, rest = _string.formatter_field_name_split(field)
            for is_attr, key in rest:
                if is_attr:
                    _guard_name(key)
                    if key.startswith("_"):
                        raise InterpreterError(f"Forbidden access to private attribute in a format string: {key}")
        if spec:
            _check_format_string(spec, depth + 1)


def _guard_format(value):
    """A str.format/format_map (bound or not) that checks its format string first."""
    if id(value) in _STR_FORMATS:
        def unbound(fmt, /, *args, **kwargs):
            _check_format_string(fmt)
            for a in (*args, *kwargs.values()):
                _check_argument(a)
            return value(fmt, *args, **kwargs)

        unbound.__name__ = value.__name__
        return unbound
    owner = value.__self__

    def bound(*args, **kwargs):
        _check_format_string(owner)
        for a in (*args, *kwargs.values()):
            _check_argument(a)
        return value(*args, **kwargs)

    bound.__name__ = value.__name__
    return bound


def _is_str_format(value):
    if id(value) in _STR_FORMATS:
        return True
    return (type(value) is _types.BuiltinMethodType and value.__name__ in ("format", "format_map")
            and isinstance(value.__self__, str))


def _getattr_checked(obj, name, default, library):
    _check_attribute_object(obj, name, library)
    if default:
        value = getattr(obj, name, *default)
    else:
        value = getattr(obj, name)
    if _is_str_format(value):
        return _guard_format(value)
    return _check_value(value, name, library)


def _pa_getattr(obj, name):
    # name is a constant from the (checked) source; modules' private attributes are refused here.
    if isinstance(obj, _types.ModuleType):
        _guard_name(name, obj)
    return _getattr_checked(obj, name, (), False)


def _pa_getattr_library(obj, name):
    if isinstance(obj, _types.ModuleType):
        _guard_name(name, obj)
    return _getattr_checked(obj, name, (), True)


def _check_argument(arg, library=False):
    if type(arg) in _PLAIN_TYPES:
        return
    _check_value(arg, "argument", library)
    if id(arg) in _MUTATOR_DESCRIPTORS:
        raise InterpreterError(f"Forbidden: passing {arg.__qualname__} as an argument")


def _call_type(meta):
    """type(...) handed to another function (map(type, ...)): the three-argument form stays checked."""
    def create(*args, **kwargs):
        return _pa_call(meta, *args, **kwargs)

    create.__name__ = meta.__name__
    return create


_ISINSTANCE_LIKE = {id(isinstance), id(issubclass), id(type), id(super)}


def _check_args(fn, args, kwargs, library):
    changed = None
    for i, a in enumerate(args):
        if type(a) in _PLAIN_TYPES:
            continue
        _check_argument(a, library)
        if _is_metaclass(a) and id(fn) not in _ISINSTANCE_LIKE:
            if changed is None:
                changed = list(args)
            changed[i] = _call_type(a)
    for k, a in kwargs.items():
        if type(a) in _PLAIN_TYPES:
            continue
        _check_argument(a, library)
        if _is_metaclass(a) and id(fn) not in _ISINSTANCE_LIKE:
            kwargs[k] = _call_type(a)
    return args if changed is None else tuple(changed)


def _check_class_body(name, bases, namespace):
    for base in bases:
        if _is_metaclass(base):
            raise InterpreterError("Forbidden: defining a metaclass (a subclass of type)")
        _check_argument(base)
    if not isinstance(namespace, dict):
        return
    for key, value in namespace.items():
        if type(key) is not str:
            raise InterpreterError("Forbidden class attribute name: not a plain string")
        if key.startswith("__") and key.endswith("__") and key not in _ALLOWED_DEF_DUNDERS:
            raise InterpreterError(f"Forbidden class attribute: {key}")
        _check_argument(value)


def _do_call(fn, args, kwargs, library):
    if type(fn) in _PLAIN_TYPES:
        return fn(*args, **kwargs)  # not callable: let Python say so
    label = getattr(fn, "__name__", None) if isinstance(fn, _FUNCTION_TYPES + (type,)) else type(fn).__name__
    _check_value(fn, label, library)
    if args or kwargs:
        args = _check_args(fn, args, kwargs, library)
        if args and id(fn) in _MUTATOR_DESCRIPTORS and id(args[0]) in _LIBRARY_OWNED:
            raise InterpreterError("Forbidden change of a library's shared state")
    if _is_metaclass(fn) and len(args) == 3:
        # exact types: a tuple/dict subclass could show the checks one thing and type() another
        args = (args[0], tuple(args[1]), dict(args[2]) if isinstance(args[2], dict) else args[2])
        _check_class_body(*args)
        if isinstance(args[2], dict) and "__module__" not in args[2]:
            args = (args[0], args[1], dict(args[2], __module__="__main__"))
        return _check_value(_seal_class(fn(*args, **kwargs)), "call result", library)
    return _check_value(fn(*args, **kwargs), "call result", library)


# Callees that need no check of their own: the plain builtins of the model's namespace, and functions
# the model defined (checked below by type and module, as those can be re-bound).
_PLAIN_CALLEES = {id(v) for k, v in vars(_builtins).items()
                  if k in ("abs", "all", "any", "ascii", "bin", "bool", "callable", "chr", "dict", "divmod",
                           "enumerate", "filter", "float", "frozenset", "hash", "hex", "id", "int", "isinstance",
                           "issubclass", "iter", "len", "list", "map", "max", "min", "next", "oct", "ord", "pow",
                           "range", "repr", "reversed", "round", "set", "slice", "sorted", "str", "sum",
                           "tuple", "zip", "complex", "bytes", "bytearray", "format")}
_FunctionType = _types.FunctionType


def _pa_call(fn, /, *args, **kwargs):
    # Fast path for the common case (a plain builtin or the model's own function, plain arguments);
    # anything else takes the full check in _do_call.
    if id(fn) in _PLAIN_CALLEES or (type(fn) is _FunctionType and fn.__module__ == "__main__"):
        for a in args:
            if type(a) not in _PLAIN_TYPES:
                return _do_call(fn, args, kwargs, False)
        if kwargs:
            for a in kwargs.values():
                if type(a) not in _PLAIN_TYPES:
                    return _do_call(fn, args, kwargs, False)
        result = fn(*args, **kwargs)
        if type(result) in _PLAIN_TYPES:
            return result
        return _check_value(result, "call result")
    return _do_call(fn, args, kwargs, False)


def _pa_call_library(fn, /, *args, **kwargs):
    return _do_call(fn, args, kwargs, True)


def _pa_deco(decorator):
    """Decorators are applied by an implicit call: route it through the call guard."""
    _check_argument(decorator)

    def apply(target):
        return _pa_call(decorator, target)

    return apply


def _pa_subject(subject):
    """A match subject: class patterns read its attributes by name, so no module or internal object."""
    if isinstance(subject, _types.ModuleType):
        raise InterpreterError(f"Forbidden: matching against module {subject.__name__}")
    _check_argument(subject)
    return subject


def _pa_target(obj):
    """The object of an attribute or item assignment/deletion: nothing that outlives the episode."""
    if type(obj) in _PLAIN_TYPES and id(obj) not in _LIBRARY_OWNED:
        return obj
    if isinstance(obj, _types.ModuleType):
        raise InterpreterError(f"Forbidden change of module {obj.__name__}: modules are shared by all episodes")
    if isinstance(obj, type) or isinstance(obj, (_types.FunctionType, _types.BuiltinFunctionType)):
        module = type.__dict__["__module__"].__get__(obj) if isinstance(obj, type) else getattr(obj, "__module__", None)
        if module != "__main__":
            raise InterpreterError(f"Forbidden change of {obj.__qualname__} from {module}: it is shared by all episodes")
    if id(obj) in _LIBRARY_OWNED:
        raise InterpreterError(f"Forbidden change of a library's shared state ({type(obj).__name__})")
    _check_argument(obj)
    return obj


def _pa_augment(target, value):
    """x op= v changes x in place when it can: x must not be shared state either."""
    if type(target) in _PLAIN_TYPES and id(target) not in _LIBRARY_OWNED:
        return value
    _pa_target(target)
    return value


def _safe_getattr(obj, name, *default):
    name = _guard_name(name, obj)
    return _getattr_checked(obj, name, default, False)


def _safe_setattr(obj, name, value):
    name = _guard_name(name, obj)
    _pa_target(obj)
    return setattr(obj, name, value)


def _safe_delattr(obj, name):
    name = _guard_name(name, obj)
    _pa_target(obj)
    return delattr(obj, name)


def _safe_hasattr(obj, name):
    name = _guard_name(name, obj)
    _check_attribute_object(obj, name, False)
    return hasattr(obj, name)


_real_build_class = _builtins.__build_class__


def _pa_build_class(func, name, /, *bases, **kwds):
    for base in bases:
        if _is_metaclass(base):
            raise InterpreterError("Forbidden: defining a metaclass (a subclass of type)")
        _check_argument(base)
    if "metaclass" in kwds:
        meta = kwds["metaclass"]
        if not isinstance(meta, type):
            raise InterpreterError("Forbidden: a metaclass that is not a class")
        _check_argument(meta)
    return _seal_class(_real_build_class(func, name, *bases, **kwds))


def _seal_class(cls):
    """A model's __getattr__ answers lookups made by library and interpreter code too (deepcopy asks it for
    __deepcopy__, sympify for _sympy_) which then call what it returns: hold its answers to the checks."""
    if isinstance(cls, type) and "__getattr__" in cls.__dict__:
        inner = cls.__dict__["__getattr__"]
        if getattr(inner, "_pa_sealed", False):
            return cls

        def __getattr__(self, name):
            return _check_value(inner(self, name), name)

        __getattr__._pa_sealed = True
        type.__setattr__(cls, "__getattr__", __getattr__)
    return cls


def _safe_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level:
        raise InterpreterError("Relative imports are not allowed.")
    if not _module_authorized(name):
        raise _import_refusal(name)
    module = _builtins.__import__(name, globals, locals, fromlist, level)
    _after_import()
    for item in fromlist or ():
        if item == "*":
            exported = getattr(module, "__all__", [n for n in dir(module) if not n.startswith("_")])
            for n in exported:
                if n in _TOOL_NAMES:
                    raise InterpreterError(
                        f"Cannot assign to name '{n}': doing this would erase the existing tool!")
                # Denied library callables (sympy exports test(), preview()...) are bound but refused
                # when called; modules and internal objects are refused here.
                value = getattr(module, n, None)
                if isinstance(value, (_types.ModuleType, *_INTERNAL_TYPES)) or _is_js_value(value):
                    _check_value(value, n)
            continue
        _guard_name(item, module)
        if hasattr(module, item):
            _check_value(getattr(module, item), item)
    return module


def _forbidden(name):
    def refuse(*args, **kwargs):
        raise InterpreterError(f"Forbidden function evaluation: '{name}' is not allowed in this sandbox")

    refuse.__name__ = name
    return refuse


# ---------------------------------------------------------------- interruptible sleep

def _install_interruptible_sleep():
    """time.sleep blocks the worker in one call that the interrupt buffer cannot break; sleep in slices."""
    import time

    real_sleep = time.sleep
    if getattr(real_sleep, "_pa_sliced", False):
        return

    def sleep(seconds):
        if not isinstance(seconds, (int, float)):
            raise TypeError(f"'{type(seconds).__name__}' object cannot be interpreted as a number")
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            real_sleep(min(left, 0.05))

    sleep._pa_sliced = True
    sleep.__doc__ = real_sleep.__doc__
    sleep.__module__ = "time"
    time.sleep = sleep


_install_interruptible_sleep()


# ---------------------------------------------------------------- prints and last value

class _Prints:
    """Captured prints; keeps only head and tail once far past the limit, which is all truncation shows."""

    def __init__(self, limit):
        self.limit = max(int(limit), 2)
        self.parts = []
        self.size = 0
        self.head = None
        self.tail = ""

    def write(self, text):
        if self.head is None:
            self.parts.append(text)
            self.size += len(text)
            if self.size > 4 * self.limit:
                whole = "".join(self.parts)
                self.head = whole[: self.limit]
                self.tail = whole[-self.limit :]
                self.parts = []
        else:
            self.size += len(text)
            self.tail = (self.tail[-self.limit :] + text[-self.limit :])[-self.limit :]

    def value(self):
        if self.head is None:
            return _truncate("".join(self.parts), self.limit)
        return _truncate(self.head + self.tail, self.limit)


def _truncate(content, max_length):
    if len(content) <= max_length:
        return content
    return (
        content[: max_length // 2]
        + f"\n..._This content has been truncated to stay below {max_length} characters_...\n"
        + content[-max_length // 2 :]
    )


class _Run:
    prints = None
    value = None
    active = False


_RUN = _Run()


def _print(*args, **kwargs):
    # The reference ignores sep/end/file: every print adds the space-joined str() of its arguments + "\n".
    # A piece far longer than the limit keeps only its ends (all that truncation can show).
    limit = _RUN.prints.limit
    pieces = []
    for a in args:
        s = str(a)
        if type(s) is not str:
            s = str.__str__(s)
        if len(s) > 2 * limit:
            s = s[:limit] + s[-limit:]
        pieces.append(s)
    _RUN.prints.write(" ".join(pieces) + "\n")


def _pa_top(value):
    _RUN.value = value
    return value


def _pa_nest(value):
    if value is not None:
        _RUN.value = value
    return value


# ---------------------------------------------------------------- tools

def final_answer(answer):
    raise _FinalAnswer(answer)


def web_search(query=None, *args, **kwargs):
    if args or kwargs:
        extra = [_truncate(repr(a), 200) for a in args] + [f"{k}=..." for k in kwargs]
        raise TypeError(f"web_search() takes exactly one argument 'query' (a string); got extra: {', '.join(extra)}")
    if query is None:
        raise TypeError("web_search() missing required argument: 'query' (a string)")
    if not isinstance(query, str):
        raise TypeError(f"web_search(): 'query' must be a string, not {type(query).__name__}")
    query = _exact_name(query)
    if not query.strip():
        raise ValueError("web_search(): 'query' must be a non-empty string")
    if len(query) > _MAX_QUERY:
        raise ValueError(f"web_search(): 'query' is too long ({len(query)} characters; at most {_MAX_QUERY})")
    search = _CONFIG["search"]
    if search is None:
        raise RuntimeError("web_search is unavailable: no Wikipedia shard is configured for this executor")
    reply = _json.loads(str(search(query)))
    if not reply.get("ok"):
        raise RuntimeError(f"web_search failed: {reply.get('error')}")
    return reply["text"]


# ---------------------------------------------------------------- builtins of the model's namespace

_SAFE_BUILTIN_NAMES = [
    "abs", "all", "any", "ascii", "bin", "bool", "bytearray", "bytes", "callable", "chr", "classmethod", "complex",
    "dict", "dir", "divmod", "enumerate", "filter", "float", "format", "frozenset", "hash", "hex", "id", "int",
    "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min", "next", "object", "oct", "ord", "pow",
    "property", "range", "repr", "reversed", "round", "set", "slice", "sorted", "staticmethod", "str", "sum",
    "super", "tuple", "type", "zip", "aiter", "anext", "True", "False", "None", "Ellipsis",
    "NotImplemented",
]


def _make_builtins():
    safe = {}
    for name in _SAFE_BUILTIN_NAMES:
        if hasattr(_builtins, name):
            safe[name] = getattr(_builtins, name)
    for name, value in vars(_builtins).items():
        if isinstance(value, type) and issubclass(value, BaseException):
            safe[name] = value
    for name in ("eval", "exec", "compile", "open", "globals", "locals", "vars", "breakpoint", "input", "help",
                 "exit", "quit", "memoryview"):
        safe[name] = _forbidden(name)
    safe.update(
        {
            "__import__": _safe_import,
            "__build_class__": _pa_build_class,
            "getattr": _safe_getattr,
            "setattr": _safe_setattr,
            "delattr": _safe_delattr,
            "hasattr": _safe_hasattr,
            "print": _print,
            "final_answer": final_answer,
            "web_search": web_search,
            "InterpreterError": InterpreterError,
            "__pa_getattr__": _pa_getattr,
            "__pa_call__": _pa_call,
            "__pa_top__": _pa_top,
            "__pa_nest__": _pa_nest,
            "__pa_deco__": _pa_deco,
            "__pa_subject__": _pa_subject,
            "__pa_target__": _pa_target,
            "__pa_augment__": _pa_augment,
        }
    )
    return safe


# Read-only: every namespace shares it, so nothing run by one episode may change it for the next.
_SAFE_BUILTINS = _types.MappingProxyType(_make_builtins())


def _fresh_namespace():
    return {"__builtins__": _SAFE_BUILTINS, "__name__": "__main__"}


# ---------------------------------------------------------------- static checks

_RESERVED_BINDINGS = {"__builtins__", "__import__", "__build_class__", "__loader__", "__spec__"}


def _check_name_use(name):
    if name.startswith("__") and name not in _ALLOWED_DUNDER_NAMES:
        raise InterpreterError(f"Forbidden access to dunder name: {name}")


def _check_binding(name):
    # Defining __init__/__repr__... is fine; shadowing the sandbox's own hooks or the tools is not.
    if not name:
        return
    if name.startswith("__pa_") or name in _RESERVED_BINDINGS:
        raise InterpreterError(f"Forbidden name: {name}")
    if name in _TOOL_NAMES:
        raise InterpreterError(f"Cannot assign to name '{name}': doing this would erase the existing tool!")


def _bound_names(node):
    """Every name a node binds (all binding forms of the language)."""
    if isinstance(node, _ast.Name) and isinstance(node.ctx, (_ast.Store, _ast.Del)):
        return [node.id]
    if isinstance(node, (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.ClassDef)):
        return [node.name]
    if isinstance(node, _ast.arg):
        return [node.arg]
    if isinstance(node, _ast.ExceptHandler):
        return [node.name]
    if isinstance(node, _ast.alias):
        return [node.asname or node.name.split(".")[0]]
    if isinstance(node, (_ast.MatchAs, _ast.MatchStar)):
        return [node.name]
    if isinstance(node, _ast.MatchMapping):
        return [node.rest]
    if isinstance(node, (_ast.Global, _ast.Nonlocal)):
        return list(node.names)
    names = []
    for cls in ("TypeVar", "ParamSpec", "TypeVarTuple"):
        if isinstance(node, getattr(_ast, cls, ())):
            names.append(node.name)
    return names


def _check_pattern(pattern, top):
    """Class patterns read attributes: only at the top of a case, whose subject is guarded."""
    if isinstance(pattern, _ast.MatchClass):
        if not top:
            raise InterpreterError("Forbidden: a class pattern nested inside another pattern")
        for attr in pattern.kwd_attrs:
            _guard_name(attr)
            if attr.startswith("_"):
                raise InterpreterError(f"Forbidden access to private attribute in a pattern: {attr}")
        for sub in (*pattern.patterns, *pattern.kwd_patterns):
            _check_pattern(sub, False)
    elif isinstance(pattern, _ast.MatchOr):
        for sub in pattern.patterns:
            _check_pattern(sub, top)
    elif isinstance(pattern, _ast.MatchAs):
        if pattern.pattern is not None:
            _check_pattern(pattern.pattern, top)
    elif isinstance(pattern, _ast.MatchSequence):
        for sub in pattern.patterns:
            _check_pattern(sub, False)
    elif isinstance(pattern, _ast.MatchMapping):
        for sub in pattern.patterns:
            _check_pattern(sub, False)
    for node in _ast.walk(pattern):
        # A dotted name in a pattern is read by the match itself, unguarded (and a value pattern hands what
        # it read to the subject's __eq__): bind it to a name first.
        if isinstance(node, _ast.Attribute):
            raise InterpreterError(
                f"Forbidden: a dotted name in a match pattern (.{node.attr}); bind it to a name first")


def _check_statement(stmt):
    for node in _ast.walk(stmt):
        if isinstance(node, _ast.Attribute):
            _guard_name(node.attr)
        elif isinstance(node, (_ast.Global, _ast.Nonlocal)):
            for name in node.names:
                _check_name_use(name)
        elif isinstance(node, _ast.ImportFrom):
            if node.level:
                raise InterpreterError("Relative imports are not allowed.")
            for alias in node.names:
                if alias.name != "*" and alias.name.startswith("_"):
                    raise InterpreterError(f"Forbidden access to private attribute of module {node.module}: {alias.name}")
        elif isinstance(node, _ast.match_case):
            _check_pattern(node.pattern, True)
        elif isinstance(node, (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.ClassDef)):
            name = node.name
            _check_binding(name)
            if name.startswith("__") and name.endswith("__") and len(name) > 4 and (
                isinstance(node, _ast.ClassDef) or name not in _ALLOWED_DEF_DUNDERS
            ):
                raise InterpreterError(f"Forbidden special method: {name}")
        if isinstance(node, _ast.Name) and isinstance(node.ctx, _ast.Store) and node.id in _TOOL_NAMES:
            raise InterpreterError(
                f"Cannot assign to name '{node.id}': doing this would erase the existing tool!"
            )
        if isinstance(node, _ast.Name):
            _check_name_use(node.id)
        for name in _bound_names(node):
            _check_binding(name)


# ---------------------------------------------------------------- rewriting

def _name(id_):
    return _ast.Name(id=id_, ctx=_ast.Load())


def _wrap(fn, value):
    return _ast.Call(func=_name(fn), args=[value], keywords=[])


class _Guard(_ast.NodeTransformer):
    """Routes attribute reads and calls, decorators, match subjects and assignment targets through the
    runtime guards."""

    def __init__(self, getattr_hook="__pa_getattr__", call_hook="__pa_call__"):
        self.getattr_hook = getattr_hook
        self.call_hook = call_hook

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if isinstance(node.ctx, _ast.Load):
            call = _ast.Call(func=_name(self.getattr_hook), args=[node.value, _ast.Constant(node.attr)], keywords=[])
            return _ast.copy_location(call, node)
        node.value = _ast.copy_location(_wrap("__pa_target__", node.value), node.value)
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if isinstance(node.target, _ast.Name):
            load = _ast.copy_location(_ast.Name(id=node.target.id, ctx=_ast.Load()), node.target)
            call = _ast.Call(func=_name("__pa_augment__"), args=[load, node.value], keywords=[])
            node.value = _ast.copy_location(call, node.value)
        return node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if not isinstance(node.ctx, _ast.Load):
            node.value = _ast.copy_location(_wrap("__pa_target__", node.value), node.value)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, _ast.Name) and node.func.id == "super":
            return node
        call = _ast.Call(func=_name(self.call_hook), args=[node.func, *node.args], keywords=node.keywords)
        return _ast.copy_location(call, node)

    def _decorated(self, node):
        self.generic_visit(node)
        node.decorator_list = [_ast.copy_location(_wrap("__pa_deco__", d), d) for d in node.decorator_list]
        return node

    visit_FunctionDef = _decorated
    visit_AsyncFunctionDef = _decorated
    visit_ClassDef = _decorated

    def visit_Match(self, node):
        node.subject = _ast.copy_location(_wrap("__pa_subject__", self.visit(node.subject)), node.subject)
        for case in node.cases:
            # Patterns stay as written (they must be names and dotted names); checked statically.
            if case.guard is not None:
                case.guard = self.visit(case.guard)
            case.body = [self.visit(s) for s in case.body]
        return node


def _load_of(target):
    """The Load-context twin of an augmented-assignment target (already guarded)."""
    clone = _copy.deepcopy(target)
    for node in _ast.walk(clone):
        if hasattr(node, "ctx"):
            node.ctx = _ast.Load()
    return _Guard().visit(clone)


def _track(stmts, recorder):
    """Records the value of each statement the way the reference's evaluate_ast returns it."""
    out = []
    for stmt in stmts:
        if isinstance(stmt, _ast.Expr):
            stmt.value = _wrap(recorder, stmt.value)
            out.append(stmt)
        elif isinstance(stmt, _ast.Assign):
            stmt.value = _wrap(recorder, stmt.value)
            out.append(stmt)
        elif isinstance(stmt, _ast.AnnAssign) and stmt.value is not None:
            stmt.value = _wrap(recorder, stmt.value)
            out.append(stmt)
        elif isinstance(stmt, _ast.AugAssign):
            out.append(stmt)
            out.append(_ast.copy_location(_ast.Expr(_wrap(recorder, _load_of(stmt.target))), stmt))
        elif isinstance(stmt, (_ast.For, _ast.AsyncFor, _ast.If)):
            stmt.body = _track(stmt.body, "__pa_nest__")
            stmt.orelse = _track(stmt.orelse, "__pa_nest__")
            out.append(stmt)
        else:
            out.append(stmt)
    return out


def _compile_statement(stmt):
    """Guarded code object for one top-level statement, plus whether it is a bare expression."""
    _check_statement(stmt)
    stmt = _Guard().visit(stmt)
    if isinstance(stmt, _ast.Expr):
        tree = _ast.fix_missing_locations(_ast.Expression(stmt.value))
        return compile(tree, "<code>", "eval"), True
    body = _track([stmt], "__pa_top__") if isinstance(stmt, (_ast.Assign, _ast.AnnAssign, _ast.AugAssign)) else [stmt]
    if isinstance(stmt, (_ast.For, _ast.AsyncFor, _ast.If)):
        body = _track([stmt], "__pa_nest__")
    tree = _ast.fix_missing_locations(_ast.Module(body=body, type_ignores=[]))
    return compile(tree, "<code>", "exec"), False


# ---------------------------------------------------------------- running

_MAX_SAFE_INT = 2**53 - 1


def _json_size(value, budget):
    """Characters left of budget once value is written as JSON, or -1 when it is not plain JSON data
    (exact types only, so no method of the model's runs here) or does not fit."""
    t = type(value)
    if value is None or t is bool:
        return budget - 5
    if t is str:
        return budget - len(value) - 2
    if t is int:
        return budget - len(str(value)) if abs(value) <= _MAX_SAFE_INT else -1
    if t is float:
        return budget - len(repr(value)) if value == value and value not in (float("inf"), float("-inf")) else -1
    if t is list:
        budget -= 2
        for v in value:
            budget = _json_size(v, budget - 2)
            if budget < 0:
                return -1
        return budget
    if t is dict:
        budget -= 2
        for k, v in value.items():
            if type(k) is not str:
                return -1
            budget = _json_size(v, budget - len(k) - 6)
            if budget < 0:
                return -1
        return budget
    return -1


def _safe_str(value):
    try:
        s = str(value)
        return s if type(s) is str else str.__str__(s)
    except BaseException as e:  # a broken __str__ must not take the run down
        return f"<unprintable {type(value).__name__}: {type(e).__name__}>"


def _error(type_name, message):
    return {
        "type": _truncate(type_name, _MAX_ERROR_TYPE),
        "message": _truncate(message, _MAX_ERROR),
    }


def _definition_output(node, ns):
    """The reference's last output of a definition: its interpreter returns the object it built, a closure
    named new_func for a function and a class made by type() in its executor module; shown as its str()."""
    if isinstance(node, (_ast.FunctionDef, _ast.AsyncFunctionDef)) and node.name in ns:
        return f"<function create_function.<locals>.new_func at {id(ns[node.name]):#x}>"
    if isinstance(node, _ast.ClassDef) and node.name in ns:
        return f"<class 'smolagents.local_python_executor.{node.name}'>"
    return None


def _execute(code, ns, timeout_s):
    _RUN.prints = _Prints(_CONFIG["max_print"])
    _RUN.value = None
    max_output = _CONFIG["max_output"]
    result = {"isFinalAnswer": False}
    try:
        tree = _ast.parse(code)
    except SyntaxError as e:
        result["error"] = _error(
            type(e).__name__,
            f"Code parsing failed on line {e.lineno} due to: {type(e).__name__}\n"
            f"{e.text}{' ' * (e.offset or 0)}^\nError: {str(e)}",
        )
        result["logs"] = ""
        result["output"] = "None"
        return result
    except (ValueError, RecursionError, MemoryError) as e:  # null bytes, absurd nesting
        result["error"] = _error(type(e).__name__, f"Code parsing failed due to: {type(e).__name__}: {e}")
        result["logs"] = ""
        result["output"] = "None"
        return result
    value = None
    node = None
    _RUN.active = True
    try:
        for node in tree.body:
            compiled, is_expr = _compile_statement(node)
            _RUN.value = None
            if is_expr:
                value = eval(compiled, ns)
            else:
                exec(compiled, ns)
                value = _RUN.value if isinstance(node, (_ast.Assign, _ast.AnnAssign, _ast.AugAssign, _ast.For,
                                                        _ast.AsyncFor, _ast.If)) else _definition_output(node, ns)
            _check_tools(ns)
        _RUN.active = False
        result["output"] = _truncate(_safe_str(value), max_output)
    except _FinalAnswer as fa:
        _RUN.active = False
        result["isFinalAnswer"] = True
        text = _truncate(_safe_str(fa.value), max_output)
        result["output"] = text
        result["finalAnswer"] = fa.value if _json_size(fa.value, max_output) >= 0 else text
    except KeyboardInterrupt:
        _RUN.active = False
        segment = _ast.get_source_segment(code, node) if node is not None else code
        limit = f"{timeout_s:g}"
        result["error"] = _error(
            "TimeoutError",
            f"Code execution failed at line '{segment}' due to: TimeoutError: "
            f"Code execution exceeded the time limit of {limit} seconds",
        )
        result["output"] = "None"
    except BaseException as e:
        _RUN.active = False
        segment = _ast.get_source_segment(code, node) if node is not None else code
        result["error"] = _error(
            type(e).__name__,
            f"Code execution failed at line '{_truncate(segment, _MAX_ERROR)}' due to: {type(e).__name__}: "
            f"{_truncate(_safe_str(e), _MAX_ERROR)}",
        )
        result["output"] = "None"
    finally:
        _RUN.active = False
        _after_import()
    result["logs"] = _RUN.prints.value()
    _RUN.prints = None
    return result


def _check_tools(ns):
    if ns.get("__builtins__") is not _SAFE_BUILTINS:
        ns["__builtins__"] = _SAFE_BUILTINS
        raise InterpreterError("Forbidden name: __builtins__")
    for name in _TOOL_NAMES:
        if name in ns:
            del ns[name]
            raise InterpreterError(f"Cannot assign to name '{name}': doing this would erase the existing tool!")


def _execute_bounded(code, ns, timeout_s):
    """_execute, with anything that escapes it (a value whose methods raise while the result is built)
    turned into a bounded error instead of crossing to JavaScript as a huge exception."""
    try:
        return _execute(code, ns, timeout_s)
    except KeyboardInterrupt:
        raise
    except BaseException as e:
        _RUN.active = False
        _RUN.prints = None
        return {
            "isFinalAnswer": False,
            "logs": "",
            "output": "None",
            "error": _error(
                type(e).__name__,
                f"Code execution failed due to: {type(e).__name__}: {_truncate(_safe_str(e), _MAX_ERROR)}",
            ),
        }


def _dump(result):
    try:
        return _json.dumps(result, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        result["finalAnswer"] = _truncate(_safe_str(result.get("finalAnswer")), _CONFIG["max_output"])
        return _json.dumps(result)


# ---------------------------------------------------------------- episode and candidates

_STATE = {"ns": _fresh_namespace(), "candidates": {}}


def _rebind_function(fn, ns):
    if ns.get("__builtins__") is not _SAFE_BUILTINS:
        raise RuntimeError("a namespace without the sandbox's builtins")
    clone = _types.FunctionType(fn.__code__, ns, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = _copy.copy(fn.__kwdefaults__)
    clone.__qualname__ = fn.__qualname__
    clone.__dict__.update(fn.__dict__)
    return clone


def _copy_namespace(src):
    """A candidate's own copy of the episode namespace.

    Values are deep-copied with one shared memo (so aliases stay aliases); functions defined by the model
    held directly by a variable are re-bound to the copy so their globals are the copy's (functions inside
    containers are shared: deepcopy treats functions as atoms). Modules are shared; anything deepcopy
    refuses (generators, objects holding modules or locks) is shared too, so its mutation can leak.
    Classes are shared (their methods keep the namespace they were defined in). The memo holds nothing
    of the sandbox's own (a model's __getattr__ can be asked for __deepcopy__ and be handed the memo).
    """
    # __builtins__ first: a function takes its builtins from its globals when it is created, and without
    # them it would get this module's (the real ones).
    dst = {"__builtins__": _SAFE_BUILTINS}
    memo = {id(src): dst}
    for value in src.values():
        if isinstance(value, _types.FunctionType) and value.__globals__ is src:
            memo[id(value)] = _rebind_function(value, dst)
    for key, value in src.items():
        if key in ("__builtins__", "__name__") or isinstance(value, _types.ModuleType):
            dst[key] = value
            continue
        if id(value) in memo:  # deepcopy returns functions as they are, before looking at the memo
            dst[key] = memo[id(value)]
            continue
        try:
            _RUN.active = True
            dst[key] = _copy.deepcopy(value, memo)
        except KeyboardInterrupt:
            raise
        except BaseException:
            dst[key] = value
        finally:
            _RUN.active = False
    return dst


def configure(authorized, max_output, max_print, search):
    _CONFIG["authorized"] = list(authorized)
    _CONFIG["max_output"] = int(max_output)
    _CONFIG["max_print"] = int(max_print)
    _CONFIG["search"] = search
    _install_write_guard()
    _after_import()
    _FS["baseline"] = _fs_listing()


def reset():
    _STATE["ns"] = _fresh_namespace()
    _STATE["candidates"] = {}
    _restore_modules()
    _restore_instances()
    _wipe_files()
    cache = _sys.modules.get("sympy.core.cache")
    if cache is not None:  # its caches hold the model's objects (and their __eq__/__hash__)
        cache.clear_cache()


def run(code, timeout_s):
    return _dump(_execute_bounded(code, _STATE["ns"], timeout_s))


def run_candidate(code, candidate_id, timeout_s):
    ns = _copy_namespace(_STATE["ns"])
    _STATE["candidates"][int(candidate_id)] = ns
    return _dump(_execute_bounded(code, ns, timeout_s))


def commit_candidate(candidate_id):
    ns = _STATE["candidates"].get(int(candidate_id))
    if ns is None:
        return False
    _STATE["ns"] = ns
    _STATE["candidates"] = {}
    return True


def hold_candidate(candidate_id):
    # A candidate refused before it ran (a package that cannot be loaded) still gets its namespace copy.
    if int(candidate_id) not in _STATE["candidates"]:
        _STATE["candidates"][int(candidate_id)] = _copy_namespace(_STATE["ns"])


def discard_candidates():
    _STATE["candidates"] = {}


def replay(codes_json, timeout_s):
    """Re-runs earlier successful actions after a restart; returns the first failure or ''."""
    for code in _json.loads(codes_json):
        result = _execute_bounded(code, _STATE["ns"], timeout_s)
        if "error" in result:
            return result["error"]["message"]
    return ""


def packages_to_load(code):
    """Top-level authorized modules imported by the code that are not installed yet."""
    try:
        tree = _ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "[]"
    wanted = []
    for node in _ast.walk(tree):
        names = []
        if isinstance(node, _ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, _ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        for name in names:
            root = name.split(".")[0]
            if root in wanted or not _module_authorized(root) or root in _sys.modules:
                continue
            if _importlib_util.find_spec(root) is None:
                wanted.append(root)
    return _json.dumps(wanted)


# ---------------------------------------------------------------- shared state between episodes

# Module attributes: a snapshot of every authorized module (and sympy/mpmath's) taken when it is first
# seen, restored by reset(); the model cannot assign to modules anyway (__pa_target__), this undoes what
# library code changed at its request.
_MODULE_SNAPSHOTS = {}
_SEEN = {"modules": 0}


def _snapshot_wanted(name):
    return _module_authorized(name) or name.split(".")[0] in _GUARDED_PACKAGES


_ATOMS = (_types.ModuleType, _types.FunctionType, _types.BuiltinFunctionType, int, float, complex, str, bytes,
          bool, frozenset, type(None))


def _own(value, depth):
    # Classes and functions are guarded by their module (__pa_target__); only data is recorded here.
    if isinstance(value, (*_ATOMS, type, *_FUNCTION_TYPES)) or id(value) in _LIBRARY_OWNED:
        return
    _LIBRARY_OWNED.add(id(value))
    if depth >= 3:
        return
    if type(value) is dict:
        items = list(value.values())
    elif type(value) in (list, tuple, set):
        items = list(value)
    else:
        return
    for item in items[:5000]:
        _own(item, depth + 1)


def _record_library_objects(module):
    """Remember module-level containers and instances of a library module (a few levels into containers,
    and the containers its classes hold) as shared state the model may read but not change."""
    for value in list(vars(module).values()):
        if isinstance(value, type):
            if type.__dict__["__module__"].__get__(value) == module.__name__:
                for attr in list(value.__dict__.values()):
                    if isinstance(attr, (dict, list, set, bytearray)):
                        _own(attr, 1)
            continue
        _own(value, 0)


def _after_import():
    """Newly loaded library modules: guard their eval/exec/compile, snapshot them."""
    if len(_sys.modules) == _SEEN["modules"]:
        return
    _guard_library_modules()
    for name, module in list(_sys.modules.items()):
        if name in _MODULE_SNAPSHOTS or not isinstance(module, _types.ModuleType) or not _snapshot_wanted(name):
            continue
        _MODULE_SNAPSHOTS[name] = dict(vars(module))
        _record_library_objects(module)
        _snapshot_instances(module)
    _SEEN["modules"] = len(_sys.modules)


# Module-level instances' attributes (sympy's global_parameters: a suspended evaluate(False) context
# would leave evaluation off for the next episodes).
_INSTANCE_SNAPSHOTS = {}


def _snapshot_instances(module):
    for value in list(vars(module).values()):
        if isinstance(value, (*_ATOMS, type, *_FUNCTION_TYPES, *_CONTAINERS, tuple)) or id(value) in _INSTANCE_SNAPSHOTS:
            continue
        try:
            state = object.__getattribute__(value, "__dict__")
        except (AttributeError, TypeError):
            continue
        if type(state) is dict:
            _INSTANCE_SNAPSHOTS[id(value)] = (value, dict(state))


def _restore_instances():
    for value, snapshot in _INSTANCE_SNAPSHOTS.values():
        state = object.__getattribute__(value, "__dict__")
        for key in [k for k in state if k not in snapshot]:
            del state[key]
        for key, item in snapshot.items():
            if state.get(key, _restore_instances) is not item:
                state[key] = item


def _restore_modules():
    for name, snapshot in _MODULE_SNAPSHOTS.items():
        module = _sys.modules.get(name)
        if module is None:
            continue
        namespace = vars(module)
        for key in [k for k in namespace if k not in snapshot]:
            if not isinstance(namespace[key], _types.ModuleType):
                del namespace[key]
        for key, value in snapshot.items():
            if namespace.get(key, _restore_modules) is not value:
                namespace[key] = value


# Files: nothing the model runs may write (open/os writes refused while an action runs), and reset()
# removes whatever appeared since set-up under the writable places anyway.
_FS = {"baseline": None}
_FS_ROOTS = ("/tmp", "/home/pyodide")


def _fs_roots():
    roots = list(_FS_ROOTS)
    try:
        cwd = _os.getcwd()
        if cwd not in roots and cwd != "/":
            roots.append(cwd)
    except OSError:
        pass
    return roots


def _fs_listing():
    seen = set()
    for root in _fs_roots():
        for dirpath, dirnames, filenames in _os.walk(root):
            seen.add(dirpath)
            for n in dirnames + filenames:
                seen.add(_os.path.join(dirpath, n))
    return seen


def _wipe_files():
    baseline = _FS["baseline"]
    if baseline is None:
        return
    for path in sorted(_fs_listing() - baseline, key=len, reverse=True):
        try:
            if _os.path.isdir(path) and not _os.path.islink(path):
                _os.rmdir(path)
            else:
                _os.unlink(path)
        except OSError:
            pass


_WRITE_FLAGS = _os.O_WRONLY | _os.O_RDWR | _os.O_CREAT | _os.O_TRUNC | _os.O_APPEND


def _refuse_write(what):
    raise PermissionError(f"Forbidden: {what} (the sandbox's file system is read-only for actions)")


def _install_write_guard():
    if getattr(_builtins.open, "_pa_guarded", False):
        return
    real_open = _builtins.open

    def open(file, mode="r", *args, **kwargs):
        if _RUN.active and isinstance(mode, str) and any(c in mode for c in "wax+"):
            _refuse_write(f"open({file!r}, {mode!r})")
        return real_open(file, mode, *args, **kwargs)

    open._pa_guarded = True
    open.__module__ = "io"  # refused to the model like the real one, however reached
    _DANGEROUS_BUILTINS.add(id(open))
    _builtins.open = open
    _io.open = open
    real_os_open = _os.open

    def os_open(path, flags, *args, **kwargs):
        if _RUN.active and flags & _WRITE_FLAGS:
            _refuse_write(f"os.open({path!r})")
        return real_os_open(path, flags, *args, **kwargs)

    os_open.__module__ = "os"
    _os.open = os_open
    for name in ("mkdir", "makedirs", "rmdir", "remove", "unlink", "rename", "renames", "replace", "symlink",
                 "link", "chmod", "truncate", "utime", "mkfifo", "mknod", "removedirs", "chown"):
        real = getattr(_os, name, None)
        if real is None:
            continue

        def guarded(*args, _real=real, _name=name, **kwargs):
            if _RUN.active:
                _refuse_write(f"os.{_name}")
            return _real(*args, **kwargs)

        guarded.__module__ = "os"
        guarded.__name__ = name
        setattr(_os, name, guarded)


# ---------------------------------------------------------------- library eval/exec (sympy)

# sympy evaluates strings (sympify, parse_expr, lambdify) with eval/exec/compile and the real builtins,
# which would hand the model a way around every check above: sympify("__import__('os')"). Every loaded
# sympy/mpmath module gets guarded eval/exec/compile as module globals (shadowing the builtins): the code
# is checked (no dunder or frame names) and rewritten like the model's own (attribute reads and calls
# through the guards), and it runs with the sandbox's builtins.
_GUARDED_PACKAGES = ("sympy", "mpmath")
_LIBRARY_DEPENDENCIES = {"mpmath"}
_real_eval = eval
_real_exec = exec
_real_compile = compile
_guarded_modules = set()


def _library_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and name.split(".")[0] in _LIBRARY_DEPENDENCIES and name.split(".")[0] not in _HARD_DENIED:
        module = _builtins.__import__(name, globals, locals, fromlist, level)
        _after_import()
        return module
    try:
        return _safe_import(name, globals, locals, fromlist, level)
    except InterpreterError as refusal:
        # Libraries probe optional modules (lambdify tries scipy, numpy...) and expect ImportError.
        raise ModuleNotFoundError(str(refusal)) from None


_LIBRARY_BUILTINS = _types.MappingProxyType(
    dict(
        _SAFE_BUILTINS,
        __import__=_library_import,
        __pa_getattr__=_pa_getattr_library,
        __pa_call__=_pa_call_library,
    )
)


def _check_library_tree(tree):
    for node in _ast.walk(tree):
        if isinstance(node, _ast.Name):
            _check_name_use(node.id)
            if node.id in _FRAME_ATTRS:
                raise InterpreterError(f"Forbidden name in evaluated string: {node.id}")
        elif isinstance(node, _ast.Attribute):
            _guard_name(node.attr)
        elif isinstance(node, (_ast.Global, _ast.Nonlocal)):
            for name in node.names:
                _check_name_use(name)
        elif isinstance(node, _ast.match_case):
            _check_pattern(node.pattern, True)
        elif isinstance(node, (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.ClassDef)):
            if node.name.startswith("__") and node.name not in _ALLOWED_DEF_DUNDERS:
                raise InterpreterError(f"Forbidden special method: {node.name}")
        elif isinstance(node, _ast.ImportFrom) and node.level:
            raise InterpreterError("Relative imports are not allowed.")
        for name in _bound_names(node):
            if name and (name.startswith("__pa_") or name in _RESERVED_BINDINGS):
                raise InterpreterError(f"Forbidden name: {name}")


def _name_error(refusal):
    # The old check's wording, kept: "Forbidden name in evaluated string: <name>".
    text = str(refusal)
    for prefix in ("Forbidden access to dunder name: ", "Forbidden access to dunder attribute: "):
        if text.startswith(prefix):
            return InterpreterError(f"Forbidden name in evaluated string: {text[len(prefix):]}")
    return refusal


# Code objects this module compiled (guarded), by id; a library may only evaluate those.
_GUARDED_CODE = {}


def _guarded_compile(source, filename="<string>", mode="exec", flags=0, dont_inherit=False, optimize=-1, **kw):
    if flags & _ast.PyCF_ONLY_AST:
        return _real_compile(source, filename, mode, flags, dont_inherit, optimize)
    if isinstance(source, _ast.AST):
        tree = _copy.deepcopy(source)
    else:
        if isinstance(source, (bytes, bytearray)):
            source = bytes(source).decode("utf-8")
        tree = _ast.parse(_exact_name(source), filename, mode)
    try:
        _check_library_tree(tree)
    except InterpreterError as refusal:
        raise _name_error(refusal) from None
    tree = _ast.fix_missing_locations(_Guard("__pa_getattr__", "__pa_call__").visit(tree))
    code = _real_compile(tree, filename, mode, flags, dont_inherit, optimize)
    if len(_GUARDED_CODE) > 4096:
        _GUARDED_CODE.clear()
    _GUARDED_CODE[id(code)] = code
    return code


def _library_code(source, mode):
    if isinstance(source, _types.CodeType):
        if _GUARDED_CODE.get(id(source)) is not source:
            raise InterpreterError("Forbidden: evaluating code the sandbox did not check")
        return source
    return _guarded_compile(source, "<string>", mode)


def _clean_scope(namespace):
    """A mapping that evaluated code looks names up in (its globals or locals): an exact dict (a subclass's
    __missing__/__getitem__ would answer any name) without the sandbox's hook names (rewritten code finds
    __pa_call__ & co. there before the builtins) and without the real dangerous builtins."""
    if type(namespace) is not dict:
        namespace = dict(namespace)
    for key, value in list(namespace.items()):
        if type(key) is not str or key.startswith("__pa_") or key in _RESERVED_BINDINGS:
            del namespace[key]
        elif id(value) in _DANGEROUS_BUILTINS:
            namespace[key] = _SAFE_BUILTINS.get(key, _forbidden(key))
    return namespace


def _sanitize_globals(namespace):
    namespace = _clean_scope({} if namespace is None else namespace)
    namespace["__builtins__"] = _LIBRARY_BUILTINS
    return namespace


def _caller_scope(globals, locals):
    if globals is None:
        frame = _sys._getframe(2)
        globals = dict(frame.f_globals)
        if locals is None:
            locals = frame.f_locals
    if locals is not None:
        locals = _clean_scope(locals)
    return _sanitize_globals(globals), locals


def _guarded_eval(source, globals=None, locals=None):
    code = _library_code(source, "eval")
    g, l = _caller_scope(globals, locals)
    return _real_eval(code, g, l)


def _guarded_exec(source, globals=None, locals=None, **kwargs):
    code = _library_code(source, "exec")
    g, l = _caller_scope(globals, locals)
    return _real_exec(code, g, l)


_IMPORTER = {"original": None, "guarded": None}


def _guard_importer():
    """sympy's import_module imports any dotted name with the real import system (module code runs on
    first import). The guarded one hands out modules already loaded (holding them is harmless, using them
    is checked) and authorized ones, and answers None (as for a missing module) for anything else."""
    tools = _sys.modules.get("sympy.external.importtools")
    if tools is None or _IMPORTER["original"] is not None:
        return
    original = tools.import_module

    def import_module(module, *args, **kwargs):
        if isinstance(module, str):
            name = _exact_name(module)
            if name not in _sys.modules and not _library_module_authorized(name):
                return None
        return original(module, *args, **kwargs)

    import_module.__module__ = original.__module__
    import_module.__name__ = original.__name__
    import_module.__doc__ = original.__doc__
    _IMPORTER["original"] = original
    _IMPORTER["guarded"] = import_module


def _guard_library_modules():
    _guard_importer()
    original, guarded = _IMPORTER["original"], _IMPORTER["guarded"]
    for name, module in list(_sys.modules.items()):
        if name in _guarded_modules or name.split(".")[0] not in _GUARDED_PACKAGES or module is None:
            continue
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            if original is not None:
                for key, value in list(namespace.items()):
                    if value is original:
                        namespace[key] = guarded
            namespace.setdefault("eval", _guarded_eval)
            namespace.setdefault("exec", _guarded_exec)
            namespace.setdefault("compile", _guarded_compile)
        _guarded_modules.add(name)


# Modules that evaluate strings and are otherwise imported lazily, inside the call that needs them.
_EAGER_SUBMODULES = {
    "sympy": ("sympy.parsing.sympy_parser", "sympy.utilities.lambdify", "sympy.parsing.ast_parser",
              "sympy.plotting.experimental_lambdify", "sympy.polys.monomials"),
}


def _ast_compat():
    """Debian's sympy 1.11 builds ast.Num/ast.NameConstant nodes, aliases Python 3.14 removed."""

    def constant(value=None, *args, **kwargs):
        kwargs.pop("ctx", None)
        return _ast.Constant(value, *args, **kwargs)

    for old in ("Num", "Str", "NameConstant"):
        if not hasattr(_ast, old):
            setattr(_ast, old, constant)


_ast_compat()


def site_packages():
    return next(p for p in _sys.path if p.endswith("site-packages"))


def import_packages(names_json):
    """Imports freshly installed packages outside any action's time limit (sympy takes seconds)."""
    import importlib

    for name in _json.loads(names_json):
        importlib.import_module(name)
        for sub in _EAGER_SUBMODULES.get(name, ()):
            try:
                importlib.import_module(sub)
            except ImportError:
                pass
    _after_import()


def installed():
    """Call after new files landed in site-packages so the import system sees them."""
    import importlib

    importlib.invalidate_caches()
`;
