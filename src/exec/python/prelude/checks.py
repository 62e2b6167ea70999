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
