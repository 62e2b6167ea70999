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
 *   (gi_frame, f_back, tb_frame...), no names starting with "__", no relative imports;
 * - rewritten code: every attribute read goes through __pa_getattr__ and every call through
 *   __pa_call__, which refuse unauthorized modules, frames/code/tracebacks, JS proxies and dangerous
 *   callables (eval, exec, open, os.*...), whatever route produced them;
 * - builtins: a reduced dict with a guarded __import__ (the allowlist) and guarded getattr/setattr.
 * The model code never sees this module's globals: it runs in its own dict with its own builtins.
 */
export const PRELUDE_PY = String.raw`
import ast as _ast
import builtins as _builtins
import copy as _copy
import importlib.util as _importlib_util
import json as _json
import sys as _sys
import types as _types


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

# Never importable, whatever the configuration says: these reach the host, the network or the
# interpreter's internals.
_HARD_DENIED = {
    "os", "posix", "nt", "sys", "subprocess", "socket", "_socket", "ssl", "ctypes", "_ctypes", "importlib",
    "_imp", "builtins", "js", "pyodide", "pyodide_js", "_pyodide", "_pyodide_core", "micropip", "inspect",
    "gc", "io", "_io", "pickle", "_pickle", "marshal", "code", "codeop", "runpy", "shutil", "pathlib",
    "threading", "_thread", "multiprocessing", "asyncio", "urllib", "http", "ftplib", "smtplib", "webbrowser",
    "sysconfig", "site", "zipimport", "pkgutil", "types", "weakref", "copyreg", "tempfile", "glob", "signal",
}
# Callables from these modules are refused even when reached indirectly.
_DENIED_CALLABLE_ROOTS = {
    "os", "posix", "nt", "sys", "subprocess", "socket", "_socket", "ctypes", "_ctypes", "importlib", "_imp",
    "js", "pyodide", "pyodide_js", "_pyodide", "_pyodide_core", "micropip", "shutil", "pathlib", "io", "_io",
    "inspect", "gc", "pickle", "_pickle", "marshal", "runpy", "code", "codeop", "pyodide_http", "urllib", "http",
    "ssl", "_ssl", "ftplib", "smtplib", "webbrowser", "asyncio", "multiprocessing", "_posixsubprocess", "signal",
}
_FRAME_ATTRS = {
    "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code", "ag_await",
    "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace", "tb_frame", "tb_next", "co_code",
    "func_globals", "func_code", "attrgetter", "methodcaller",
}
_ALLOWED_DUNDER_NAMES = {"__name__"}
_TOOL_NAMES = ("final_answer", "web_search")


def _module_authorized(name):
    root = name.split(".")[0]
    if root in _HARD_DENIED:
        return False
    if "*" in _CONFIG["authorized"]:
        return True
    return any(name == imp or name.startswith(imp + ".") for imp in _CONFIG["authorized"])


def _import_refusal(name):
    return InterpreterError(f"Import of {name} is not allowed. Authorized imports are: {_CONFIG['authorized']}")


# ---------------------------------------------------------------- runtime guards

_DANGEROUS_BUILTINS = set()
for _n in ("eval", "exec", "compile", "open", "__import__", "globals", "locals", "vars", "breakpoint", "input",
           "help", "getattr", "setattr", "delattr", "exit", "quit", "memoryview"):
    if hasattr(_builtins, _n):
        _DANGEROUS_BUILTINS.add(id(getattr(_builtins, _n)))
del _n


def _is_js_value(value):
    module = getattr(type(value), "__module__", "") or ""
    return module.startswith("pyodide") or module.startswith("_pyodide") or type(value).__name__.startswith("Js")


def _check_value(value, label):
    if isinstance(value, _types.ModuleType):
        if not _module_authorized(value.__name__):
            raise InterpreterError(f"Forbidden access to module: {value.__name__}")
        return value
    if isinstance(value, (_types.FrameType, _types.TracebackType, _types.CodeType)):
        raise InterpreterError(f"Forbidden access to {type(value).__name__} objects ({label})")
    if _is_js_value(value):
        raise InterpreterError(f"Forbidden access to JavaScript objects ({label})")
    if isinstance(value, type):
        module = getattr(value, "__module__", None)
        if isinstance(module, str) and module.split(".")[0] in _DENIED_CALLABLE_ROOTS:
            raise InterpreterError(f"Forbidden access to class: {module}.{value.__qualname__}")
        return value
    if callable(value):
        if id(value) in _DANGEROUS_BUILTINS:
            raise InterpreterError(f"Forbidden access to function: {label}")
        if isinstance(value, (_types.BuiltinFunctionType, _types.FunctionType, _types.MethodType)) or type(
            value
        ).__name__ in ("method_descriptor", "wrapper_descriptor", "builtin_function_or_method"):
            module = getattr(value, "__module__", None)
            if isinstance(module, str) and module.split(".")[0] in _DENIED_CALLABLE_ROOTS:
                raise InterpreterError(f"Forbidden access to function: {module}.{label}")
    return value


def _guard_name(name, obj=None):
    """Dunder and mangled-private names are refused everywhere; single-underscore ones on modules."""
    if not isinstance(name, str):
        raise TypeError(f"attribute name must be string, not '{type(name).__name__}'")
    if name.startswith("__"):
        raise InterpreterError(f"Forbidden access to dunder attribute: {name}")
    if name.startswith("_") and isinstance(obj, _types.ModuleType):
        raise InterpreterError(f"Forbidden access to private attribute of module {obj.__name__}: {name}")
    if name in _FRAME_ATTRS:
        raise InterpreterError(f"Forbidden access to attribute: {name}")


def _pa_getattr(obj, name):
    if isinstance(obj, _types.ModuleType):
        if not _module_authorized(obj.__name__):
            raise InterpreterError(f"Forbidden access to module: {obj.__name__}")
        _guard_name(name, obj)
    return _check_value(getattr(obj, name), name)


def _pa_call(fn, /, *args, **kwargs):
    _check_value(fn, getattr(fn, "__name__", type(fn).__name__))
    return _check_value(fn(*args, **kwargs), "call result")


def _safe_getattr(obj, name, *default):
    _guard_name(name, obj)
    if isinstance(obj, _types.ModuleType) and not _module_authorized(obj.__name__):
        raise InterpreterError(f"Forbidden access to module: {obj.__name__}")
    return _check_value(getattr(obj, name, *default), name)


def _safe_setattr(obj, name, value):
    _guard_name(name, obj)
    return setattr(obj, name, value)


def _safe_delattr(obj, name):
    _guard_name(name, obj)
    return delattr(obj, name)


def _safe_hasattr(obj, name):
    _guard_name(name, obj)
    return hasattr(obj, name)


def _safe_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level:
        raise InterpreterError("Relative imports are not allowed.")
    if not _module_authorized(name):
        raise _import_refusal(name)
    module = _builtins.__import__(name, globals, locals, fromlist, level)
    if name.split(".")[0] in _GUARDED_PACKAGES:
        _guard_library_modules()
    for item in fromlist or ():
        if item == "*":
            exported = getattr(module, "__all__", [n for n in dir(module) if not n.startswith("_")])
            for n in exported:
                _check_value(getattr(module, n, None), n)
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
            self.tail = (self.tail + text)[-self.limit :]

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


_RUN = _Run()


def _print(*args, **kwargs):
    # The reference ignores sep/end/file: every print adds the space-joined str() of its arguments + "\n".
    _RUN.prints.write(" ".join(map(str, args)) + "\n")


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
        extra = [repr(a) for a in args] + [f"{k}=..." for k in kwargs]
        raise TypeError(f"web_search() takes exactly one argument 'query' (a string); got extra: {', '.join(extra)}")
    if query is None:
        raise TypeError("web_search() missing required argument: 'query' (a string)")
    if not isinstance(query, str):
        raise TypeError(f"web_search(): 'query' must be a string, not {type(query).__name__}")
    if not query.strip():
        raise ValueError("web_search(): 'query' must be a non-empty string")
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
    "super", "tuple", "type", "zip", "aiter", "anext", "__build_class__", "True", "False", "None", "Ellipsis",
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
        }
    )
    return safe


_SAFE_BUILTINS = _make_builtins()


def _fresh_namespace():
    return {"__builtins__": _SAFE_BUILTINS, "__name__": "__main__"}


# ---------------------------------------------------------------- static checks

_BINDING_FIELDS = {
    _ast.arg: ("arg",),
    _ast.FunctionDef: ("name",),
    _ast.AsyncFunctionDef: ("name",),
    _ast.ClassDef: ("name",),
    _ast.ExceptHandler: ("name",),
    _ast.alias: ("asname",),
    _ast.MatchAs: ("name",),
    _ast.MatchStar: ("name",),
    _ast.MatchMapping: ("rest",),
}
_RESERVED_BINDINGS = {"__builtins__", "__import__", "__build_class__", "__loader__", "__spec__"}


def _check_name_use(name):
    if name.startswith("__") and name not in _ALLOWED_DUNDER_NAMES:
        raise InterpreterError(f"Forbidden access to dunder name: {name}")


def _check_binding(name):
    # Defining __init__/__repr__... is fine; shadowing the sandbox's own hooks is not.
    if name and (name.startswith("__pa_") or name in _RESERVED_BINDINGS):
        raise InterpreterError(f"Forbidden name: {name}")


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
        elif isinstance(node, _ast.MatchClass):
            for attr in node.kwd_attrs:
                _guard_name(attr)
        if isinstance(node, _ast.Name) and isinstance(node.ctx, _ast.Store) and node.id in _TOOL_NAMES:
            raise InterpreterError(
                f"Cannot assign to name '{node.id}': doing this would erase the existing tool!"
            )
        if isinstance(node, _ast.Name):
            _check_name_use(node.id)
        for field in _BINDING_FIELDS.get(type(node), ()):
            _check_binding(getattr(node, field, None))


# ---------------------------------------------------------------- rewriting

def _name(id_):
    return _ast.Name(id=id_, ctx=_ast.Load())


def _wrap(fn, value):
    return _ast.Call(func=_name(fn), args=[value], keywords=[])


class _Guard(_ast.NodeTransformer):
    """Routes attribute reads and calls through the runtime guards."""

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if isinstance(node.ctx, _ast.Load):
            call = _ast.Call(func=_name("__pa_getattr__"), args=[node.value, _ast.Constant(node.attr)], keywords=[])
            return _ast.copy_location(call, node)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, _ast.Name) and node.func.id == "super":
            return node
        call = _ast.Call(func=_name("__pa_call__"), args=[node.func, *node.args], keywords=node.keywords)
        return _ast.copy_location(call, node)


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


def _json_value(value):
    """The final answer as JSON when it is made only of JSON scalars, lists and str-keyed dicts."""
    if value is None or isinstance(value, (bool, str)):
        return True
    if isinstance(value, int):
        return abs(value) <= _MAX_SAFE_INT
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if type(value) is list:
        return all(_json_value(v) for v in value)
    if type(value) is dict:
        return all(isinstance(k, str) and _json_value(v) for k, v in value.items())
    return False


def _safe_str(value):
    try:
        return str(value)
    except BaseException as e:  # a broken __str__ must not take the run down
        return f"<unprintable {type(value).__name__}: {type(e).__name__}>"


def _execute(code, ns, timeout_s):
    _RUN.prints = _Prints(_CONFIG["max_print"])
    _RUN.value = None
    max_output = _CONFIG["max_output"]
    result = {"isFinalAnswer": False}
    try:
        tree = _ast.parse(code)
    except SyntaxError as e:
        result["error"] = {
            "type": type(e).__name__,
            "message": f"Code parsing failed on line {e.lineno} due to: {type(e).__name__}\n"
            f"{e.text}{' ' * (e.offset or 0)}^\nError: {str(e)}",
        }
        result["logs"] = ""
        result["output"] = "None"
        return result
    value = None
    node = None
    try:
        for node in tree.body:
            compiled, is_expr = _compile_statement(node)
            _RUN.value = None
            if is_expr:
                value = eval(compiled, ns)
            else:
                exec(compiled, ns)
                value = _RUN.value if isinstance(node, (_ast.Assign, _ast.AnnAssign, _ast.AugAssign, _ast.For,
                                                        _ast.AsyncFor, _ast.If)) else None
        result["output"] = _truncate(_safe_str(value), max_output)
    except _FinalAnswer as fa:
        result["isFinalAnswer"] = True
        result["output"] = _truncate(_safe_str(fa.value), max_output)
        result["finalAnswer"] = fa.value if _json_value(fa.value) else _safe_str(fa.value)
    except KeyboardInterrupt:
        segment = _ast.get_source_segment(code, node) if node is not None else code
        limit = f"{timeout_s:g}"
        result["error"] = {
            "type": "TimeoutError",
            "message": f"Code execution failed at line '{segment}' due to: TimeoutError: "
            f"Code execution exceeded the time limit of {limit} seconds",
        }
        result["output"] = "None"
    except BaseException as e:
        segment = _ast.get_source_segment(code, node) if node is not None else code
        result["error"] = {
            "type": type(e).__name__,
            "message": f"Code execution failed at line '{segment}' due to: {type(e).__name__}: {_safe_str(e)}",
        }
        result["output"] = "None"
    result["logs"] = _RUN.prints.value()
    _RUN.prints = None
    return result


def _dump(result):
    try:
        return _json.dumps(result, allow_nan=False)
    except (TypeError, ValueError):
        result["finalAnswer"] = _safe_str(result.get("finalAnswer"))
        return _json.dumps(result)


# ---------------------------------------------------------------- episode and candidates

_STATE = {"ns": _fresh_namespace(), "candidates": {}}


def _rebind_function(fn, ns):
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
    Classes are shared (their methods keep the namespace they were defined in).
    """
    dst = {}
    memo = {id(src): dst, id(_SAFE_BUILTINS): _SAFE_BUILTINS}
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
            dst[key] = _copy.deepcopy(value, memo)
        except Exception:
            dst[key] = value
    return dst


def configure(authorized, max_output, max_print, search):
    _CONFIG["authorized"] = list(authorized)
    _CONFIG["max_output"] = int(max_output)
    _CONFIG["max_print"] = int(max_print)
    _CONFIG["search"] = search


def reset():
    _STATE["ns"] = _fresh_namespace()
    _STATE["candidates"] = {}


def run(code, timeout_s):
    return _dump(_execute(code, _STATE["ns"], timeout_s))


def run_candidate(code, candidate_id, timeout_s):
    ns = _copy_namespace(_STATE["ns"])
    _STATE["candidates"][int(candidate_id)] = ns
    return _dump(_execute(code, ns, timeout_s))


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
        result = _execute(code, _STATE["ns"], timeout_s)
        if "error" in result:
            return result["error"]["message"]
    return ""


def packages_to_load(code):
    """Top-level authorized modules imported by the code that are not installed yet."""
    try:
        tree = _ast.parse(code)
    except SyntaxError:
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


# ---------------------------------------------------------------- library eval/exec (sympy)

# sympy evaluates strings (sympify, parse_expr, lambdify) with eval/exec and the real builtins, which
# would hand the model a way around every check above: sympify("__import__('os')"). Every loaded
# sympy/mpmath module gets guarded eval/exec as module globals (shadowing the builtins): code whose
# names include dunders or frame attributes is refused, and it runs with the sandbox's builtins.
_GUARDED_PACKAGES = ("sympy", "mpmath")
_LIBRARY_DEPENDENCIES = {"mpmath"}
_real_eval = eval
_real_exec = exec
_guarded_modules = set()


def _library_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and name.split(".")[0] in _LIBRARY_DEPENDENCIES and name.split(".")[0] not in _HARD_DENIED:
        return _builtins.__import__(name, globals, locals, fromlist, level)
    try:
        return _safe_import(name, globals, locals, fromlist, level)
    except InterpreterError as refusal:
        # Libraries probe optional modules (lambdify tries scipy, numpy...) and expect ImportError.
        raise ModuleNotFoundError(str(refusal)) from None


_LIBRARY_BUILTINS = dict(_SAFE_BUILTINS, __import__=_library_import)


def _code_names(code):
    names = set(code.co_names) | set(code.co_varnames)
    for const in code.co_consts:
        if isinstance(const, _types.CodeType):
            names |= _code_names(const)
    return names


def _check_library_code(source, mode):
    code = source if isinstance(source, _types.CodeType) else compile(source, "<string>", mode)
    for name in _code_names(code):
        if (name.startswith("__") and name not in _ALLOWED_DUNDER_NAMES) or name in _FRAME_ATTRS:
            raise InterpreterError(f"Forbidden name in evaluated string: {name}")
    return code


def _sanitize_globals(namespace):
    if namespace is None:
        namespace = {}
    for key, value in list(namespace.items()):
        if id(value) in _DANGEROUS_BUILTINS:
            namespace[key] = _SAFE_BUILTINS.get(key, _forbidden(key))
    namespace["__builtins__"] = _LIBRARY_BUILTINS
    return namespace


def _guarded_eval(source, globals=None, locals=None):
    code = _check_library_code(source, "eval")
    return _real_eval(code, _sanitize_globals(globals), locals)


def _guarded_exec(source, globals=None, locals=None, **kwargs):
    code = _check_library_code(source, "exec")
    return _real_exec(code, _sanitize_globals(globals), locals)


def _guard_library_modules():
    for name, module in list(_sys.modules.items()):
        if name in _guarded_modules or name.split(".")[0] not in _GUARDED_PACKAGES or module is None:
            continue
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            namespace.setdefault("eval", _guarded_eval)
            namespace.setdefault("exec", _guarded_exec)
        _guarded_modules.add(name)


# Modules that evaluate strings and are otherwise imported lazily, inside the call that needs them.
_EAGER_SUBMODULES = {
    "sympy": ("sympy.parsing.sympy_parser", "sympy.utilities.lambdify", "sympy.parsing.ast_parser"),
}


def _ast_compat():
    """Debian's sympy 1.11 builds ast.Num/ast.NameConstant nodes, aliases Python 3.14 removed."""

    def constant(value=None, *args, **kwargs):
        kwargs.pop("ctx", None)
        return _ast.Constant(value, *args, **kwargs)

    for old in ("Num", "Str", "NameConstant"):
        if not hasattr(_ast, old):
            setattr(_ast, old, constant)


def site_packages():
    return next(p for p in _sys.path if p.endswith("site-packages"))


def import_packages(names_json):
    """Imports freshly installed packages outside any action's time limit (sympy takes seconds)."""
    import importlib

    _ast_compat()
    for name in _json.loads(names_json):
        importlib.import_module(name)
        for sub in _EAGER_SUBMODULES.get(name, ()):
            try:
                importlib.import_module(sub)
            except ImportError:
                pass
    _guard_library_modules()


def installed():
    """Call after new files landed in site-packages so the import system sees them."""
    import importlib

    importlib.invalidate_caches()
`;
