"""What a name or an attribute chain in a Python file refers to, if it is the repo's own.

``Resolver.resolve(node)`` answers a ``Ref`` (a repository module, class, instance or
function), a ``Missing`` (a repository module or class that does not define the attribute),
or ``None`` when it cannot tell — anything outside the repository, anything bound more
than once, anything dynamic. Checks report only ``Missing`` and what a ``Ref``'s signature
rules out, so an unknown never becomes a finding.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field

from .._packages import Environment, closest
from ._defs import ClassInfo, FunctionInfo, Signature, class_info
from ._modules import Location, RepoModules
from ._namespace import ModuleInfo, absolute_module

__all__ = ["ClassRef", "FileScope", "FuncRef", "Missing", "ModRef", "Ref", "Resolver"]

_MAX_DEPTH = 8


@dataclass(frozen=True)
class ModRef:
    info: ModuleInfo


@dataclass(frozen=True)
class ClassRef:
    info: ClassInfo
    instance: bool  # an instance of the class, not the class itself


@dataclass(frozen=True)
class FuncRef:
    info: FunctionInfo
    owner: ClassInfo | None = None
    via_instance: bool = False

    def call_signature(self) -> Signature | None:
        sig = self.info.signature
        if sig is None or self.owner is None or self.info.kind == "staticmethod":
            return sig
        if self.info.kind == "classmethod" or self.via_instance:
            return sig.bound()
        return sig  # a plain method called on the class takes ``self`` explicitly


@dataclass(frozen=True)
class Missing:
    what: str  # "module pkg.mod" / "class Client (pkg/client.py:12)"
    attr: str
    where: str  # path of the module or class that lacks it
    line: int
    suggestions: tuple[str, ...] = ()


Ref = ModRef | ClassRef | FuncRef
_MISSING = object()


class Resolver:
    """Resolution against the repository's modules, shared by every file of a change."""

    def __init__(self, repo: RepoModules, env: Environment) -> None:
        self.repo = repo
        self.env = env

    def module_ref(self, target: str, importer: str) -> ModRef | None:
        """The repository module an import target names; None if it is not the repo's."""
        if target.startswith("@"):
            key = target[1:]
            if key.endswith("/"):
                return ModRef(self.repo.module(Location("", key[:-1], "", True)))
            return ModRef(self.repo.module_at(key))
        loc = self.repo.locate(target, importer)
        if loc is None:
            return None
        top = target.split(".")[0]
        if not (loc.primary and loc.path) and self.env.provides_module(top):
            return None  # a stray folder of the repo does not shadow an installed package
        return ModRef(self.repo.module(loc))

    def member(self, ref: Ref, attr: str, depth: int = 0) -> Ref | Missing | None:
        if depth > _MAX_DEPTH or (attr.startswith("__") and attr.endswith("__")):
            return None
        if isinstance(ref, ModRef):
            return self._module_member(ref.info, attr, depth)
        if isinstance(ref, ClassRef):
            found = self._class_lookup(ref.info, attr, set())
            if found is _MISSING:
                c = ref.info
                return Missing(
                    f"class {c.name}",
                    attr,
                    c.path,
                    c.line,
                    tuple(n for n, _ in closest(attr, sorted(self._class_names(c)))),
                )
            if isinstance(found, FunctionInfo):
                return FuncRef(found, ref.info, ref.instance)
            return None
        return None

    def _module_member(self, m: ModuleInfo, attr: str, depth: int) -> Ref | Missing | None:
        if attr in m.names:
            if attr in m.rebound:
                return None
            if attr in m.functions:
                return FuncRef(m.functions[attr])
            if attr in m.classes:
                return ClassRef(m.classes[attr], False)
            if attr in m.imports:
                target, name = m.imports[attr]
                mod = self.module_ref(target, m.path or m.folder + "/__init__.py")
                if mod is None:
                    return None
                return mod if name is None else self.member(mod, name, depth + 1)
            return None
        if m.folder and attr in self.repo.submodules(m.folder):
            loc = self.repo.locate_relative(m.folder + "/__init__.py", 1, attr)
            return ModRef(self.repo.module(loc)) if loc else None
        if m.open:
            return None
        for star in m.stars:
            mod = self.module_ref(star, m.path)
            if mod is None:
                return None  # a star import from outside: anything may exist
            found = self._module_member(mod.info, attr, depth + 1)
            if not isinstance(found, Missing):
                return found
        names = m.names | (self.repo.submodules(m.folder) if m.folder else set())
        return Missing(
            f"module {m.name}",
            attr,
            m.path or m.folder,
            1,
            tuple(n for n, _ in closest(attr, sorted(names))),
        )

    def _class_lookup(self, c: ClassInfo, attr: str, seen: set[int]) -> object:
        """A ``FunctionInfo``, ``True`` for a plain attribute, None if unknowable,
        ``_MISSING`` if ``c`` and every base are known and none defines it."""
        if id(c) in seen:
            return None
        seen.add(id(c))
        if attr in c.methods:
            return c.methods[attr]
        if attr in c.attrs:
            return True
        if c.open:
            return None
        for base in c.bases:
            if isinstance(base, ast.Name) and base.id == "object":
                continue
            ref = self.in_module(c.module, base)
            if not isinstance(ref, ClassRef):
                return None
            found = self._class_lookup(ref.info, attr, seen)
            if found is not _MISSING:
                return found
        return _MISSING

    def _class_names(self, c: ClassInfo, depth: int = 0) -> set[str]:
        names = set(c.attrs)
        if depth < _MAX_DEPTH:
            for base in c.bases:
                ref = self.in_module(c.module, base)
                if isinstance(ref, ClassRef):
                    names |= self._class_names(ref.info, depth + 1)
        return names

    def returned(self, fn: FunctionInfo) -> ClassRef | None:
        """An instance of the repository class ``fn`` is annotated to return."""
        if fn.returns is None or fn.module is None:
            return None
        ref = self.in_module(fn.module, fn.returns)
        return ClassRef(ref.info, True) if isinstance(ref, ClassRef) and not ref.instance else None

    def constructor(self, c: ClassInfo) -> Signature | None:
        """The signature ``C(...)`` must match, if every class on the way is known."""
        chain: list[ClassInfo] = []
        if not self._linear(c, chain, 0):
            return None
        for k in chain:
            if "__new__" in k.attrs or k.open:
                return None
            if "__init__" in k.methods:
                sig = k.methods["__init__"].signature
                return sig.bound() if sig else None
            if k.init_known and k.init is not None:
                return k.init.bound()
            if "__init__" in k.attrs:
                return None  # assigned, or written by a decorator we cannot follow
        return Signature(c.name, c.path, c.line, (), 0, 0, False, (), frozenset(), False)

    def _linear(self, c: ClassInfo, chain: list[ClassInfo], depth: int) -> bool:
        if depth > _MAX_DEPTH:
            return False
        chain.append(c)
        for base in c.bases:
            if isinstance(base, ast.Name) and base.id == "object":
                continue
            ref = self.in_module(c.module, base)
            if not isinstance(ref, ClassRef) or not self._linear(ref.info, chain, depth + 1):
                return False
        return True

    def in_module(self, m: ModuleInfo, node: ast.expr, depth: int = 0) -> Ref | Missing | None:
        """What ``node`` (a name or attribute chain) means at the top level of ``m``."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Name):
            if node.id not in m.names or node.id in m.rebound:
                return None
            return self._module_member(m, node.id, depth)
        if isinstance(node, ast.Attribute):
            base = self.in_module(m, node.value, depth + 1)
            if isinstance(base, ModRef | ClassRef):
                return self.member(base, node.attr, depth + 1)
        return None


@dataclass
class FileScope:
    """Bindings of one file: a name bound exactly once in the whole file can be trusted."""

    tree: ast.Module
    path: str
    counts: Counter[str] = field(default_factory=Counter)
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    assigned: dict[str, ast.expr] = field(default_factory=dict)
    parents: dict[int, ast.AST] = field(default_factory=dict)
    subclassed: set[str] = field(default_factory=set)  # names some class here derives from
    star: bool = False

    @classmethod
    def build(cls, tree: ast.Module, path: str, repo: RepoModules) -> FileScope:
        scope = cls(tree, path)
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                scope.parents[id(child)] = node
            scope._bindings(node, repo)
        return scope

    def _bindings(self, node: ast.AST, repo: RepoModules) -> None:
        bind = self.counts.update
        if isinstance(node, ast.Import):
            for a in node.names:
                name = a.asname or a.name.split(".")[0]
                bind([name])
                self.imports[name] = (a.name if a.asname else name, None)
        elif isinstance(node, ast.ImportFrom):
            target = absolute_module(repo, self.path, node)
            for a in node.names:
                if a.name == "*":
                    self.star = True
                    continue
                bind([a.asname or a.name])
                if target is not None:
                    self.imports[a.asname or a.name] = (target, a.name)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bind([node.name])
            if isinstance(node, ast.ClassDef):
                self.subclassed.update(b.id for b in node.bases if isinstance(b, ast.Name))
        elif isinstance(node, ast.arg):
            bind([node.arg])
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bind([node.id])
            parent = self.parents.get(id(node))
            if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
                self.assigned[node.id] = parent.value
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bind([node.name])
        elif isinstance(node, ast.Global | ast.Nonlocal):
            bind(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            bind([node.name])
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bind([node.rest])

    def trusted(self, name: str) -> bool:
        return self.counts.get(name, 0) == 1

    def enclosing(self, node: ast.AST, kinds: tuple[type, ...]) -> ast.AST | None:
        cur = self.parents.get(id(node))
        while cur is not None and not isinstance(cur, kinds):
            cur = self.parents.get(id(cur))
        return cur


class FileResolver:
    """Resolves expressions of one changed file, with its own bindings in view."""

    def __init__(self, resolver: Resolver, scope: FileScope, module: ModuleInfo) -> None:
        self.r = resolver
        self.scope = scope
        self.module = module
        self._memo: dict[int, Ref | Missing | None] = {}
        self._classes: dict[int, ClassInfo] = {}
        self._methods: dict[tuple[int, str], ClassRef | None] = {}

    def resolve(self, node: ast.expr) -> Ref | Missing | None:
        key = id(node)
        if key not in self._memo:
            self._memo[key] = None  # cycles resolve to "unknown"
            self._memo[key] = self._resolve(node)
        return self._memo[key]

    def _resolve(self, node: ast.expr) -> Ref | Missing | None:
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            base = self.resolve(node.value)
            if isinstance(base, ModRef | ClassRef):
                return self.r.member(base, node.attr)
            return None
        if isinstance(node, ast.Call):
            target = self.resolve(node.func)
            if isinstance(target, ClassRef) and not target.instance:
                return ClassRef(target.info, True)
            if isinstance(target, FuncRef):
                return self.r.returned(target.info)
        return None

    def _name(self, node: ast.Name) -> Ref | Missing | None:
        name, scope = node.id, self.scope
        if name in ("self", "cls"):
            return self._self(node)
        if not scope.trusted(name):
            return None
        if name in scope.imports:
            target, attr = scope.imports[name]
            mod = self.r.module_ref(target, scope.path)
            if mod is None:
                return None
            return mod if attr is None else self.r.member(mod, attr)
        if name in self.module.functions and name not in self.module.rebound:
            return FuncRef(self.module.functions[name])
        if name in self.module.classes and name not in self.module.rebound:
            return ClassRef(self.module.classes[name], False)
        value = scope.assigned.get(name)
        if isinstance(value, ast.Call):
            made = self.resolve(value.func)
            if isinstance(made, ClassRef) and not made.instance:
                return ClassRef(made.info, True)
        return None

    def _self(self, node: ast.Name) -> Ref | None:
        """``self``/``cls`` inside a method of a class of this file."""
        fn = self.scope.enclosing(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        key = (id(fn), node.id)
        if key not in self._methods:
            self._methods[key] = self._method_owner(fn, node.id)
        return self._methods[key]

    def _method_owner(
        self, fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str
    ) -> ClassRef | None:
        owner = self.scope.parents.get(id(fn))
        if not isinstance(owner, ast.ClassDef) or not fn.args.args:
            return None
        first = (fn.args.posonlyargs + fn.args.args)[0].arg
        decorators = {d.id for d in fn.decorator_list if isinstance(d, ast.Name)}
        if first != name or "staticmethod" in decorators or _rebinds(fn, first):
            return None
        if owner.name in self.scope.subclassed or any(
            w in owner.name for w in ("Mixin", "Base", "Abstract", "Protocol", "Interface")
        ):
            return None  # a class meant to be extended may use what subclasses define
        info = self._class_info(owner)
        return ClassRef(info, "classmethod" not in decorators)

    def _class_info(self, node: ast.ClassDef) -> ClassInfo:
        top = self.module.classes.get(node.name)
        if top is not None and top.line == node.lineno:
            return top
        if id(node) not in self._classes:
            self._classes[id(node)] = class_info(node, self.module)
        return self._classes[id(node)]


def _rebinds(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    return any(
        isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)
        for n in ast.walk(fn)
    )
