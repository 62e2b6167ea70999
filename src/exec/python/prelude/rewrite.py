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
