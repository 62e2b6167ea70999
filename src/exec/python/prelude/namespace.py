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
