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
