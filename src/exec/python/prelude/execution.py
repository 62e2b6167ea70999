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
