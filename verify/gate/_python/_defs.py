"""What a Python module defines: names, functions and their signatures, classes.

``collect(info, repo, tree)`` fills a ``ModuleInfo`` from a module's top-level statements
(following ``if``/``try``/``with`` blocks, not function bodies); ``class_info`` reads a class
body, the attributes its methods set on ``self``, and the ``__init__`` ``@dataclass`` writes.
A function whose decorators may change its signature, or that is overloaded, gets no
``Signature``, and a class with a metaclass, an unknown decorator or ``__getattr__`` is
*open*: nothing about it is reported missing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ._modules import RepoModules

__all__ = [
    "ClassInfo",
    "FunctionInfo",
    "ModuleInfo",
    "Signature",
    "absolute_module",
    "class_info",
    "collect",
    "decorator_name",
    "signature_of",
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


@dataclass
class ModuleInfo:
    name: str
    path: str  # the .py file; a namespace package has ""
    folder: str  # the package folder, "" for a plain module
    names: set[str] = field(default_factory=set)
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # alias -> target
    stars: list[str] = field(default_factory=list)  # absolute modules star-imported
    rebound: set[str] = field(default_factory=set)  # names bound more than once
    open: bool = False
    tree: ast.Module | None = None


def decorator_name(node: ast.expr) -> str:
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


class _Collector:
    """Fills a ``ModuleInfo`` from a module's top-level statements."""

    def __init__(self, info: ModuleInfo, repo: RepoModules) -> None:
        self.info = info
        self.repo = repo
        self.counts: dict[str, int] = {}

    def run(self, tree: ast.Module) -> None:
        self._body(tree.body)
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                for n in node.names:
                    self._bind(n)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("globals", "vars", "__import__")
            ):
                self.info.open = True
        if "__getattr__" in self.info.functions:
            self.info.open = True
        self.info.rebound = {n for n, c in self.counts.items() if c > 1}

    def _bind(self, name: str) -> None:
        self.info.names.add(name)
        self.counts[name] = self.counts.get(name, 0) + 1

    def _body(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self._stmt(stmt)

    def _stmt(self, stmt: ast.stmt) -> None:
        info = self.info
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            self._bind(stmt.name)
            info.functions[stmt.name] = _function(stmt, info, stmt.name, in_class=False)
        elif isinstance(stmt, ast.ClassDef):
            self._bind(stmt.name)
            info.classes[stmt.name] = class_info(stmt, info)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                for name in _target_names(t):
                    self._bind(name)
            if (
                isinstance(stmt, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets)
                and isinstance(stmt.value, ast.List | ast.Tuple)
            ):
                for elt in stmt.value.elts:
                    if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                        info.names.add(elt.value)
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                bound = alias.asname or alias.name.split(".")[0]
                self._bind(bound)
                info.imports[bound] = (alias.name if alias.asname else bound, None)
        elif isinstance(stmt, ast.ImportFrom):
            self._import_from(stmt)
        elif isinstance(stmt, ast.If | ast.While):
            self._body(stmt.body)
            self._body(stmt.orelse)
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            for name in _target_names(stmt.target):
                self._bind(name)
            self._body(stmt.body)
            self._body(stmt.orelse)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                if item.optional_vars is not None:
                    for name in _target_names(item.optional_vars):
                        self._bind(name)
            self._body(stmt.body)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            self._body(stmt.body)
            for handler in stmt.handlers:
                if handler.name:
                    self._bind(handler.name)
                self._body(handler.body)
            self._body(stmt.orelse)
            self._body(stmt.finalbody)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                for node in ast.walk(case.pattern):
                    captured = getattr(node, "name", None)
                    if isinstance(captured, str):
                        self._bind(captured)
                self._body(case.body)
        elif isinstance(stmt, ast.Expr):
            for node in ast.walk(stmt):
                if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                    self._bind(node.target.id)

    def _import_from(self, stmt: ast.ImportFrom) -> None:
        info = self.info
        target = absolute_module(self.repo, info.path, stmt)
        for alias in stmt.names:
            if alias.name == "*":
                if target is None:
                    info.open = True
                else:
                    info.stars.append(target)
                continue
            bound = alias.asname or alias.name
            self._bind(bound)
            if target is not None:
                info.imports[bound] = (target, alias.name)


def absolute_module(repo: RepoModules, importer: str, stmt: ast.ImportFrom) -> str | None:
    """The dotted module a ``from`` import reads from; relative ones resolved by folder."""
    if not stmt.level:
        return stmt.module or None
    loc = repo.locate_relative(importer, stmt.level, stmt.module)
    if loc is None:
        return None
    return "@" + (loc.path or loc.folder + "/")  # a repository location, not a dotted name


def _target_names(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Tuple | ast.List):
        return [n for elt in node.elts for n in _target_names(elt)]
    if isinstance(node, ast.Starred):
        return _target_names(node.value)
    return []


def _function(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, module: ModuleInfo, qualname: str, *, in_class: bool
) -> FunctionInfo:
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
                info.methods[stmt.name] = _function(
                    stmt, module, f"{node.name}.{stmt.name}", in_class=True
                )
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                info.attrs.update(_target_names(t))
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


def collect(info: ModuleInfo, repo: RepoModules, tree: ast.Module) -> None:
    """Fill ``info`` from the module ``tree``."""
    info.tree = tree
    _Collector(info, repo).run(tree)
