"""A Python module's namespace: the names its top-level statements bind (``ModuleInfo``).

``collect(info, repo, tree)`` fills a ``ModuleInfo`` from a module's top-level statements
(following ``if``/``try``/``with`` blocks, not function bodies): the names bound, and how
often; its functions and classes (read by ``_defs``); what each import binds, relative ones
resolved to repository locations (``absolute_module``). A module that may bind names no
statement shows (``globals()``, ``vars()``, ``__import__``, a module ``__getattr__``, a star
import that cannot be located) is *open*.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._defs import ClassInfo, FunctionInfo, class_info, function_info, target_names

if TYPE_CHECKING:
    from ._modules import RepoModules

__all__ = ["ModuleInfo", "absolute_module", "collect"]


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
            info.functions[stmt.name] = function_info(stmt, info, stmt.name, in_class=False)
        elif isinstance(stmt, ast.ClassDef):
            self._bind(stmt.name)
            info.classes[stmt.name] = class_info(stmt, info)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                for name in target_names(t):
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
            for name in target_names(stmt.target):
                self._bind(name)
            self._body(stmt.body)
            self._body(stmt.orelse)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                if item.optional_vars is not None:
                    for name in target_names(item.optional_vars):
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


def collect(info: ModuleInfo, repo: RepoModules, tree: ast.Module) -> None:
    """Fill ``info`` from the module ``tree``."""
    info.tree = tree
    _Collector(info, repo).run(tree)
