"""What a ``def`` or ``class`` statement defines: functions and their signatures, classes.

``signature_of`` reads what a call to a function must match (a ``Signature``);
``function_info`` adds its kind and the class its return annotation names; ``class_info``
reads a class body, the attributes its methods set on ``self``, and the ``__init__``
``@dataclass`` writes. A function whose decorators may change its signature, or that is
overloaded, gets no ``Signature``, and a class with a metaclass, an unknown decorator or
``__getattr__`` is *open*: nothing about it is reported missing. What a whole module binds:
``_namespace``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ._namespace import ModuleInfo

__all__ = [
    "ClassInfo",
    "FunctionInfo",
    "Signature",
    "class_info",
    "decorator_name",
    "function_info",
    "signature_of",
    "target_names",
]

Kind = Literal["function", "method", "staticmethod", "classmethod"]
#: decorators that leave a function's signature as written
_KEEPS_SIGNATURE = {
    "staticmethod",
    "classmethod",
    "abstractmethod",
    "cache",
    "lru_cache",
    "override",
    "final",
    "wraps",
}
_PROPERTY = {"property", "cached_property", "setter", "getter", "deleter"}
#: class decorators that add no attributes a check could miss
_PLAIN_CLASS_DECORATORS = {"dataclass", "final", "total_ordering", "unique", "runtime_checkable"}


@dataclass(frozen=True)
class Signature:
    """What a call must match; ``required`` counts the leading positional params with no
    default."""

    name: str
    path: str
    line: int
    positional: tuple[str, ...]
    posonly: int  # how many of ``positional`` are positional-only
    required: int
    vararg: bool
    kwonly: tuple[str, ...]
    kwonly_required: frozenset[str]
    kwarg: bool

    def bound(self) -> Signature:
        """The signature with its first parameter (``self``/``cls``) supplied."""
        if not self.positional:
            return self
        return Signature(
            self.name,
            self.path,
            self.line,
            self.positional[1:],
            max(self.posonly - 1, 0),
            max(self.required - 1, 0),
            self.vararg,
            self.kwonly,
            self.kwonly_required,
            self.kwarg,
        )

    def render(self) -> str:
        parts = []
        for i, p in enumerate(self.positional):
            parts.append(p if i < self.required else f"{p}=…")
            if self.posonly and i == self.posonly - 1:
                parts.append("/")
        if self.vararg:
            parts.append("*args")
        elif self.kwonly:
            parts.append("*")
        parts += [k if k in self.kwonly_required else f"{k}=…" for k in self.kwonly]
        if self.kwarg:
            parts.append("**kwargs")
        return f"{self.name}({', '.join(parts)})"


@dataclass
class FunctionInfo:
    name: str
    kind: Kind
    signature: Signature | None  # None: decorated or overloaded, so not checkable
    returns: ast.expr | None = None  # the return annotation, if it names one class
    module: ModuleInfo | None = None  # where ``returns`` is to be read


@dataclass
class ClassInfo:
    name: str
    path: str
    line: int
    module: ModuleInfo
    bases: list[ast.expr]
    attrs: set[str] = field(default_factory=set)
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    open: bool = False  # a metaclass, an unknown decorator or __getattr__: attrs unknown
    init: Signature | None = None  # synthesised by @dataclass
    init_known: bool = False  # ``init`` is the full story (dataclass), not a lookup miss


def decorator_name(node: ast.expr) -> str:
    """The last name of a decorator (``x`` of ``@a.x`` or ``@x(...)``), or ""."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def signature_of(fn: ast.FunctionDef | ast.AsyncFunctionDef, path: str, qualname: str) -> Signature:
    a = fn.args
    positional = tuple(x.arg for x in (*a.posonlyargs, *a.args))
    return Signature(
        qualname,
        path,
        fn.lineno,
        positional,
        len(a.posonlyargs),
        len(positional) - len(a.defaults),
        a.vararg is not None,
        tuple(x.arg for x in a.kwonlyargs),
        frozenset(x.arg for x, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is None),
        a.kwarg is not None,
    )


def target_names(node: ast.expr) -> list[str]:
    """The plain names an assignment target binds (unpacking included)."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Tuple | ast.List):
        return [n for elt in node.elts for n in target_names(elt)]
    if isinstance(node, ast.Starred):
        return target_names(node.value)
    return []


def function_info(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, module: ModuleInfo, qualname: str, *, in_class: bool
) -> FunctionInfo:
    """``fn`` as a ``FunctionInfo`` of ``module``: its kind, and its signature where its
    decorators keep the one written."""
    names = [decorator_name(d) for d in fn.decorator_list]
    kind: Kind = "method" if in_class else "function"
    if "staticmethod" in names:
        kind = "staticmethod"
    elif "classmethod" in names:
        kind = "classmethod"
    checkable = all(n in _KEEPS_SIGNATURE for n in names)
    sig = signature_of(fn, module.path, qualname) if checkable else None
    return FunctionInfo(fn.name, kind, sig, _returned_class(fn.returns), module)


def _returned_class(node: ast.expr | None) -> ast.expr | None:
    """A return annotation naming one class (``Cart``, ``"Cart"``, ``m.Cart``), else None:
    ``Optional``, unions and generics may not be the class."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.Name) and node.id not in ("None", "Self"):
        return node
    return node if isinstance(node, ast.Attribute) else None


def class_info(node: ast.ClassDef, module: ModuleInfo) -> ClassInfo:
    """What class ``node`` of ``module`` defines: attributes, methods, ``__init__``."""
    info = ClassInfo(node.name, module.path, node.lineno, module, list(node.bases))
    decorators = [decorator_name(d) for d in node.decorator_list]
    if any(d not in _PLAIN_CLASS_DECORATORS for d in decorators) or node.keywords:
        info.open = True
    overloaded: set[str] = set()
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            info.attrs.add(stmt.name)
            names = [decorator_name(d) for d in stmt.decorator_list]
            if "overload" in names:
                overloaded.add(stmt.name)
            elif not (set(names) & _PROPERTY):
                info.methods[stmt.name] = function_info(
                    stmt, module, f"{node.name}.{stmt.name}", in_class=True
                )
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                info.attrs.update(target_names(t))
                if isinstance(t, ast.Name) and t.id == "__slots__":
                    info.attrs.update(_strings(stmt.value))
        elif isinstance(stmt, ast.ClassDef):
            info.attrs.add(stmt.name)
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            info.attrs.update(a.asname or a.name.split(".")[0] for a in stmt.names)
        elif not isinstance(stmt, ast.Expr | ast.Pass):
            info.open = True  # conditional or looping class bodies: too clever to follow
    for name in overloaded:
        info.methods[name] = FunctionInfo(name, "method", None)
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Attribute)
            and isinstance(sub.ctx, ast.Store)
            and isinstance(sub.value, ast.Name)
            and sub.value.id in ("self", "cls")
        ):
            info.attrs.add(sub.attr)
        elif (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Name)
            and sub.func.id in ("setattr", "vars")
        ):
            info.open = True
    if {"__getattr__", "__getattribute__"} & info.attrs:
        info.open = True
    if "dataclass" in decorators:
        _dataclass_init(node, info)
    return info


def _dataclass_init(node: ast.ClassDef, info: ClassInfo) -> None:
    """Synthesise the ``__init__`` @dataclass writes; where its options or fields are too
    rich to follow, record that the class has an ``__init__`` nobody can see, so that its
    constructor is left unchecked rather than taken for ``object()``'s."""
    info.attrs.add("__init__")
    deco = next(d for d in node.decorator_list if decorator_name(d) == "dataclass")
    options = {k.arg: k.value for k in deco.keywords} if isinstance(deco, ast.Call) else {}
    if (
        node.bases
        or "__init__" in info.methods
        or any(
            not (isinstance(v, ast.Constant) and v.value in (True, False)) for v in options.values()
        )
    ):
        return
    flags = {k: v.value for k, v in options.items() if isinstance(v, ast.Constant)}
    if flags.get("init") is False:
        info.attrs.discard("__init__")  # no __init__ written: the bases' one is used
        return
    kw_only = flags.get("kw_only") is True
    positional: list[str] = []
    required = 0
    seen_default = False
    kwonly: list[str] = []
    kwonly_required: set[str] = set()
    for stmt in node.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        if "ClassVar" in ast.unparse(stmt.annotation):
            continue
        name = stmt.target.id
        has_default = stmt.value is not None
        if isinstance(stmt.value, ast.Call) and decorator_name(stmt.value) == "field":
            kw = {k.arg: k.value for k in stmt.value.keywords}
            if "init" in kw or "kw_only" in kw or stmt.value.args:
                return  # rarer field options: leave the constructor unchecked
            has_default = "default" in kw or "default_factory" in kw
        if kw_only:
            kwonly.append(name)
            if not has_default:
                kwonly_required.add(name)
            continue
        positional.append(name)
        if has_default:
            seen_default = True
        elif not seen_default:
            required += 1
    info.init = Signature(
        info.name,
        info.path,
        info.line,
        ("self", *positional),
        0,
        required + 1,
        False,
        tuple(kwonly),
        frozenset(kwonly_required),
        False,
    )
    info.init_known = True


def _strings(node: ast.expr | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return []
