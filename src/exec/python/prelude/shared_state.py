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
