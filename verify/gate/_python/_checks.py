"""Hallucinated code references in the lines a change adds to one Python file.

Each rule reports only what it can prove from the repository after the change:

- ``code/syntax-error``: the file no longer parses;
- ``code/unknown-import``: a module that is neither the repo's, the standard library's, nor
  installed or declared as a dependency (imports guarded by ``except ImportError`` are
  optional and left alone);
- ``code/unknown-attribute``: ``from pkg.mod import f`` / ``mod.f`` / ``Cls.f`` /
  ``self.f`` where the repo's module or class (and each of its bases) defines no ``f``;
- ``code/undefined-name``: a name bound nowhere in the file and not a builtin;
- ``code/bad-call-signature``: too many positional arguments, unknown or duplicate keyword
  names, or missing required arguments, for a call into the repo's own functions, methods
  and classes (``*args``/``**kwargs`` and defaults respected on both sides).
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator

from checks.types import Evidence
from reports import Finding

from .._diff import FileChange
from .._packages import Environment, closest
from ._defs import Signature
from ._modules import RepoModules
from ._resolve import ClassRef, FileResolver, FileScope, FuncRef, Missing, ModRef, Resolver

__all__ = ["check_file"]

_BUILTINS = frozenset(dir(builtins)) | {
    "__file__",
    "__name__",
    "__doc__",
    "__spec__",
    "__loader__",
    "__package__",
    "__path__",
    "__builtins__",
    "__annotations__",
    "__dict__",
    "__cached__",
    "__class__",
    "__qualname__",
    "__module__",
    "reveal_type",
    "reveal_locals",
    "__debug__",
    "WindowsError",
    "get_ipython",
    "display",
    "__IPYTHON__",  # what IPython and Jupyter inject
}
_OPTIONAL = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
_CONDITIONAL = re.compile(
    r"\bsys\.(version_info|platform)\b|\bplatform\.system\b|"
    r"\bos\.name\b"
)
#: modules that exist for type checkers only, or in Python versions newer than this one
_ALWAYS_THERE = {"_typeshed", "annotationlib", "compression", "typing_extensions"}


def check_file(
    file: FileChange,
    text: str,
    repo: RepoModules,
    resolver: Resolver,
    env: Environment,
    before: str | None = None,
) -> list[Finding]:
    """Findings on the lines ``file`` adds to ``text`` (the file after the change);
    ``before`` is the file before it, if it existed."""
    added = set(file.added)
    module = repo.module_at(file.path)  # ``text``, parsed once for every check
    if module.tree is None:
        try:
            ast.parse(text, filename=file.path)
        except (SyntaxError, ValueError) as exc:
            if before is not None and not _parses(before):
                return []  # it did not parse before either: newer syntax than ours, maybe
            line = getattr(exc, "lineno", None) or min(added, default=1)
            msg = getattr(exc, "msg", str(exc))
            return [
                Finding(
                    "code/syntax-error",
                    "block",
                    file.path,
                    line,
                    f"the file no longer parses: {msg} (line {line})",
                )
            ]
        return []
    tree = module.tree
    scope = FileScope.build(tree, file.path, repo)
    fr = FileResolver(resolver, scope, module)
    out: list[Finding] = []
    out += _imports(file.path, tree, added, scope, repo, resolver, env)
    out += _attributes(file.path, tree, added, fr)
    if not module.open:  # globals() or exec may bind anything
        out += _undefined(file.path, tree, added, scope)
    out += _calls(file.path, tree, added, fr, resolver)
    return out


# -- imports ---------------------------------------------------------------------------
def _imports(
    path: str,
    tree: ast.Module,
    added: set[int],
    scope: FileScope,
    repo: RepoModules,
    resolver: Resolver,
    env: Environment,
) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or not _touches(node, added):
            continue
        if _optional(node, scope):
            continue
        line = _line(node, added)
        if isinstance(node, ast.Import):
            for alias in node.names:
                problem = _module_problem(alias.name, path, repo, env)
                if problem:
                    yield Finding("code/unknown-import", "block", path, line, problem)
            continue
        if node.level:
            loc = repo.locate_relative(path, node.level, node.module)
            if loc is None:
                shown = "." * node.level + (node.module or "")
                yield Finding(
                    "code/unknown-import",
                    "block",
                    path,
                    line,
                    f"relative import `{shown}`: no such module in the repository",
                )
                continue
            mod: ModRef | None = ModRef(repo.module(loc))
        else:
            name = node.module or ""
            problem = _module_problem(name, path, repo, env)
            if problem:
                yield Finding("code/unknown-import", "block", path, line, problem)
                continue
            mod = resolver.module_ref(name, path)
        if mod is None:
            continue
        for alias in node.names:
            if alias.name == "*":
                continue
            found = resolver.member(mod, alias.name)
            if isinstance(found, Missing):
                yield _missing(path, line, found, f"`from {_shown(node)} import {alias.name}`")


def _module_problem(name: str, path: str, repo: RepoModules, env: Environment) -> str:
    """Why ``import name`` cannot work, or "" if it can (or cannot be told)."""
    if not name:
        return ""
    top = name.split(".")[0]
    top_loc = repo.locate(top, path)
    if top_loc is not None and ((top_loc.primary and top_loc.path) or not env.provides_module(top)):
        if repo.locate(name, path) is not None:
            return ""
        parts = name.split(".")
        for k in range(len(parts) - 1, 0, -1):
            parent = repo.locate(".".join(parts[:k]), path)
            if parent is not None:
                near = closest(parts[k], sorted(repo.submodules(parent.folder)))
                hint = f"; did you mean {near[0][0]!r}?" if near else ""
                where = parent.folder or parent.path
                return (
                    f"import of `{name}`: the repository's package `{'.'.join(parts[:k])}` "
                    f"({where}) has no module `{parts[k]}`{hint}"
                )
        return f"import of `{name}`: no such module in the repository"
    if top in _ALWAYS_THERE or env.provides_module(top):
        return ""
    near = closest(top, sorted(set(env.module_names()) | repo.submodules("")))
    hint = f"; did you mean {near[0][0]!r}?" if near else ""
    return (
        f"import of `{name}`: module `{top}` is not in the repository, the standard "
        f"library, or any installed or declared dependency{hint}"
    )


def _optional(node: ast.AST, scope: FileScope) -> bool:
    """Inside ``try:`` whose handler catches ImportError, or under a check of the Python
    version or platform: an import that may fail by design."""
    cur: ast.AST | None = node
    while cur is not None:
        parent = scope.parents.get(id(cur))
        if isinstance(parent, ast.If) and _CONDITIONAL.search(ast.unparse(parent.test)):
            return True
        if isinstance(parent, ast.Try | ast.TryStar) and cur in parent.body:
            for h in parent.handlers:
                if h.type is None or any(
                    isinstance(n, ast.Name | ast.Attribute)
                    and (
                        getattr(n, "id", None) in _OPTIONAL or getattr(n, "attr", None) in _OPTIONAL
                    )
                    for n in ast.walk(h.type)
                ):
                    return True
        cur = parent
    return False


def _shown(node: ast.ImportFrom) -> str:
    return "." * node.level + (node.module or "")


# -- attributes ------------------------------------------------------------------------
def _attributes(
    path: str, tree: ast.Module, added: set[int], fr: FileResolver
) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)):
            continue
        line = node.end_lineno or node.lineno
        if line not in added and node.lineno not in added:
            continue
        base = fr.resolve(node.value)
        if not isinstance(base, ModRef | ClassRef):
            continue
        found = fr.resolve(node)
        if isinstance(found, Missing):
            yield _missing(
                path, line if line in added else node.lineno, found, f"`{ast.unparse(node)}`"
            )


def _missing(path: str, line: int, m: Missing, used: str) -> Finding:
    hint = f"; did you mean {m.suggestions[0]!r}?" if m.suggestions else ""
    where = f"{m.where}:{m.line}" if m.line > 1 else m.where
    return Finding(
        "code/unknown-attribute",
        "block",
        path,
        line,
        f"{used}: {m.what} ({where}) defines no `{m.attr}`{hint}",
        (Evidence(m.where, m.line, m.line, f"{m.what} defines no {m.attr}", ""),),
    )


# -- undefined names -------------------------------------------------------------------
def _undefined(path: str, tree: ast.Module, added: set[int], scope: FileScope) -> Iterator[Finding]:
    if scope.star:
        return
    bound = set(scope.counts) | _BUILTINS
    reported: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.lineno in added
            and node.id not in bound
            and node.id not in reported
        ):
            reported.add(node.id)
            near = closest(node.id, sorted(set(scope.counts)))
            hint = f"; did you mean {near[0][0]!r}?" if near else ""
            yield Finding(
                "code/undefined-name",
                "block",
                path,
                node.lineno,
                f"`{node.id}` is not defined, imported or a builtin in this file{hint}",
            )


# -- call signatures -------------------------------------------------------------------
def _calls(
    path: str, tree: ast.Module, added: set[int], fr: FileResolver, resolver: Resolver
) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not _touches(node, added):
            continue
        target = fr.resolve(node.func)
        sig: Signature | None = None
        if isinstance(target, FuncRef):
            sig = target.call_signature()
        elif isinstance(target, ClassRef) and not target.instance:
            sig = resolver.constructor(target.info)
        if sig is None:
            continue
        problem = mismatch(sig, node)
        if problem:
            yield Finding(
                "code/bad-call-signature",
                "block",
                path,
                _line(node, added),
                f"`{_short(node)}`: {problem}; it is defined as `{sig.render()}` "
                f"({sig.path}:{sig.line})",
                (Evidence(sig.path, sig.line, sig.line, f"def {sig.render()}", ""),),
            )


def mismatch(sig: Signature, call: ast.Call) -> str:
    """Why ``call`` cannot bind to ``sig``, or "" if it can (or cannot be told)."""
    star_pos = any(isinstance(a, ast.Starred) for a in call.args)
    star_kw = any(k.arg is None for k in call.keywords)
    n_pos = sum(1 for a in call.args if not isinstance(a, ast.Starred))
    names = [k.arg for k in call.keywords if k.arg is not None]
    if not sig.vararg and n_pos > len(sig.positional):
        return (
            f"takes {_count(len(sig.positional), 'positional argument')} but "
            f"{n_pos} {'was' if n_pos == 1 else 'were'} given"
        )
    keywordable = set(sig.positional[sig.posonly :]) | set(sig.kwonly)
    for name in names:
        if name not in keywordable and not sig.kwarg:
            if name in sig.positional[: sig.posonly]:
                return f"`{name}` is positional-only and cannot be passed by keyword"
            near = closest(name, sorted(keywordable))
            hint = f" (did you mean `{near[0][0]}`?)" if near else ""
            return f"unexpected keyword argument `{name}`{hint}"
        if name in sig.positional[:n_pos] and name in keywordable and not star_pos:
            return f"got multiple values for argument `{name}`"
    if star_pos or star_kw:
        return ""
    missing = [
        p for i, p in enumerate(sig.positional[: sig.required]) if i >= n_pos and p not in names
    ]
    missing += sorted(k for k in sig.kwonly_required if k not in names)
    if missing:
        shown = ", ".join(f"`{m}`" for m in missing)
        return f"missing required argument{'s' if len(missing) > 1 else ''} {shown}"
    return ""


# -- helpers ---------------------------------------------------------------------------
def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _touches(node: ast.AST, added: set[int]) -> bool:
    start = getattr(node, "lineno", 0)
    end = getattr(node, "end_lineno", None) or start
    return any(n in added for n in range(start, end + 1))


def _line(node: ast.AST, added: set[int]) -> int:
    start = getattr(node, "lineno", 1)
    end = getattr(node, "end_lineno", None) or start
    return next((n for n in range(start, end + 1) if n in added), start)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _short(node: ast.Call) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 80 else text[:77] + "..."
