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
