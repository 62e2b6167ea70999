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
