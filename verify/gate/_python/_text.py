"""The prose inside Python code, and where its logic (not only its text) changed.

``prose_blocks`` finds the comments and docstrings a change adds: runs of ``#`` comments
(tool pragmas and commented-out code left out) and whole docstrings that gained a line,
so that a claim can be read in its sentence; the gate keeps only the claims on added lines.
``logic_changes`` compares the syntax trees before and after with docstrings removed:
equal trees mean only comments, docstrings or layout changed. Where they differ, new
literal values, new operators and changed signatures of existing functions are behaviour
changes; anything else (a rename, an extracted helper) is a change of form.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import Counter
from collections.abc import Iterator

from .._diff import FileChange
from .._languages import LogicChange, ProseBlock

__all__ = ["logic_changes", "prose_blocks"]

_PRAGMA = re.compile(
    r"^(!|\s*(type|noqa|pragma|fmt|pylint|mypy|ruff|isort|nosec|pyright)\b"
    r"|\s*-\*-)",
    re.I,
)
_CODEISH = re.compile(
    r"^\s*(\w+(\.\w+)*\s*(=|\()|(if|for|while|return|import|from|def|class|"
    r"print|assert|raise)\b.*[:(\]]\s*$)"
)


def prose_blocks(file: FileChange, text: str) -> list[ProseBlock]:
    added = file.added
    blocks = list(_comments(file.path, text, set(added)))
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return blocks
    for node in ast.walk(tree):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        doc = _docstring(node)
        if doc is None:
            continue
        end = doc.end_lineno or doc.lineno
        if any(n in added for n in range(doc.lineno, end + 1)):
            assert isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str)
            body = "\n".join(ln.strip() for ln in doc.value.value.split("\n"))
            blocks.append(ProseBlock(file.path, doc.lineno, body, "docstring"))
    return blocks


def _comments(path: str, text: str, added: set[int]) -> Iterator[ProseBlock]:
    run: list[tuple[int, str]] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return
    for tok in tokens:
        if tok.type != tokenize.COMMENT or tok.start[0] not in added:
            continue
        body = tok.string[1:].strip()
        if not body or _PRAGMA.match(tok.string[1:]) or _CODEISH.match(body):
            continue
        line = tok.start[0]
        if run and run[-1][0] != line - 1:
            yield ProseBlock(path, run[0][0], "\n".join(t for _, t in run), "comment")
            run = []
        run.append((line, body))
    if run:
        yield ProseBlock(path, run[0][0], "\n".join(t for _, t in run), "comment")


def _docstring(node: ast.AST) -> ast.Expr | None:
    body = getattr(node, "body", None)
    if not body:
        return None
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return first
    return None


def logic_changes(
    file: FileChange, before: str | None, after: str | None
) -> list[LogicChange] | None:
    """Where code changed, or None if a side does not parse (the caller falls back)."""
    try:
        old = _strip(ast.parse(before)) if before is not None else None
        new = _strip(ast.parse(after)) if after is not None else None
    except (SyntaxError, ValueError):
        return None
    if new is None:
        return [LogicChange(1, "deletes the module", True)] if old and old.body else []
    first = min(file.added, default=file.hunks[0].new_start if file.hunks else 1)
    if old is None:
        lines = _code_lines(new, set(file.added))
        return (
            [LogicChange(lines[0] if lines else first, "adds a module with code", True)]
            if new.body
            else []
        )
    if ast.dump(old) == ast.dump(new):
        return []
    added = set(file.added)
    out = _new_values(old, new, added) + _new_operators(old, new, added)
    out += _signature_changes(old, new)
    if out:
        return sorted(out, key=lambda c: c.line)
    lines = _code_lines(new, added)
    return [
        LogicChange(
            lines[0] if lines else first,
            "code changed (no value, operator or signature changed)",
            False,
        )
    ]


def _strip(tree: ast.Module) -> ast.Module:
    """``tree`` without docstrings (an emptied body keeps a ``pass``)."""
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and _docstring(node) is not None:
            del body[0]
            if not body and not isinstance(node, ast.Module):
                body.append(ast.Pass())
    return tree


def _code_lines(tree: ast.Module, added: set[int]) -> list[int]:
    lines = {
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.stmt) and getattr(n, "lineno", 0) in added
    }
    return sorted(lines)


def _literals(tree: ast.Module) -> Iterator[tuple[tuple[str, str], ast.Constant]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            yield (type(node.value).__name__, repr(node.value)), node


def _new_values(old: ast.Module, new: ast.Module, added: set[int]) -> list[LogicChange]:
    before = Counter(k for k, _ in _literals(old))
    after = Counter(k for k, _ in _literals(new))
    fresh = after - before
    out = []
    for key, node in _literals(new):
        if fresh.get(key, 0) > 0 and node.lineno in added:
            fresh[key] -= 1
            out.append(LogicChange(node.lineno, f"new value {key[1][:40]}", True))
    return out


def _ops(tree: ast.Module) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for op in node.ops:
                yield type(op).__name__, node.lineno
        elif isinstance(node, ast.BinOp | ast.BoolOp | ast.UnaryOp | ast.AugAssign):
            yield type(node.op).__name__, node.lineno


def _new_operators(old: ast.Module, new: ast.Module, added: set[int]) -> list[LogicChange]:
    fresh = Counter(k for k, _ in _ops(new)) - Counter(k for k, _ in _ops(old))
    out = []
    for name, line in _ops(new):
        if fresh.get(name, 0) > 0 and line in added:
            fresh[name] -= 1
            out.append(LogicChange(line, f"new operator {name}", True))
    return out


def _defs(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    out: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                out[prefix + stmt.name] = stmt
            elif isinstance(stmt, ast.ClassDef):
                visit(stmt.body, f"{prefix}{stmt.name}.")

    visit(tree.body, "")
    return out


def _signature_changes(old: ast.Module, new: ast.Module) -> list[LogicChange]:
    before, after = _defs(old), _defs(new)
    out = []
    for name, fn in after.items():
        was = before.get(name)
        if was is not None and _shape(was.args) != _shape(fn.args):
            out.append(LogicChange(fn.lineno, f"signature of `{name}` changed", True))
    return out


def _shape(a: ast.arguments) -> tuple[object, ...]:
    """What callers see of a signature but for parameter names: a rename is a refactor."""
    return (
        len(a.posonlyargs),
        len(a.args),
        a.vararg is not None,
        len(a.kwonlyargs),
        a.kwarg is not None,
        [ast.dump(d) for d in a.defaults],
        [ast.dump(d) if d else "" for d in a.kw_defaults],
    )
