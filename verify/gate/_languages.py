"""Language plugins: one class per language, found by file suffix through a registry.

A plugin declares one abstract method, ``check`` (findings on code references in the lines a
change adds); ``prose`` (comments and docstrings to check against the corpus) and
``logic_lines`` (where code, as opposed to text, changed) have line-based defaults that a
plugin refines when it can parse its language. Register a new language with
``register_language(MyPlugin)``; ``plugin_for(path)`` picks the one whose suffix matches.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import ClassVar

from reports import Finding

from ._change import Change
from ._diff import FileChange
from ._packages import Environment

__all__ = [
    "Context",
    "LanguagePlugin",
    "LogicChange",
    "PlainPlugin",
    "ProseBlock",
    "languages",
    "plugin_for",
    "plugin_instance",
    "register_language",
]

_COMMENT = re.compile(r"^\s*(#|//|--|;|/\*|\*|<!--)")


@dataclass(frozen=True)
class Context:
    """What a plugin may consult besides the file: the whole change and the environment."""

    change: Change
    env: Environment


@dataclass(frozen=True)
class ProseBlock:
    """Text whose claims are checked; ``line`` is the new-file line its first line is on."""

    path: str
    line: int
    text: str
    kind: str  # "doc", "comment", "docstring"


@dataclass(frozen=True)
class LogicChange:
    """A new-file line where code changed, and whether the change alters behaviour."""

    line: int
    why: str
    behaviour: bool  # a value, operator or public signature changed, not only the form


class LanguagePlugin(ABC):
    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]

    @abstractmethod
    def check(self, files: Sequence[FileChange], ctx: Context) -> list[Finding]:
        """Findings on the lines ``files`` add (each file is one this plugin handles)."""

    def prose(self, file: FileChange, text: str) -> list[ProseBlock]:
        """Comments the change adds: runs of added lines that start with a comment mark."""
        blocks: list[ProseBlock] = []
        run: list[tuple[int, str]] = []
        for n in sorted(file.added):
            line = file.added[n]
            m = _COMMENT.match(line)
            if m and (not run or run[-1][0] == n - 1):
                run.append((n, line[m.end() :].strip(" */>-")))
                continue
            if run:
                blocks.append(_block(file.path, run))
            run = [(n, line[m.end() :].strip(" */>-"))] if m else []
        if run:
            blocks.append(_block(file.path, run))
        return blocks

    def logic_lines(
        self, file: FileChange, before: str | None, after: str | None
    ) -> list[LogicChange]:
        """Added or removed lines that are not blank or comments; all count as behaviour."""
        out = [
            LogicChange(n, "changed line", True)
            for n, t in sorted(file.added.items())
            if t.strip() and not _COMMENT.match(t)
        ]
        if not out and any(t.strip() and not _COMMENT.match(t) for t in file.removed.values()):
            out.append(
                LogicChange(file.hunks[0].new_start if file.hunks else 1, "removed lines", True)
            )
        return out


def _block(path: str, run: list[tuple[int, str]]) -> ProseBlock:
    return ProseBlock(path, run[0][0], "\n".join(t for _, t in run), "comment")


class PlainPlugin(LanguagePlugin):
    """Files no registered plugin handles: no reference checks; comments and changed lines
    are read line by line."""

    name: ClassVar[str] = "plain"
    suffixes: ClassVar[tuple[str, ...]] = ()

    def check(self, files: Sequence[FileChange], ctx: Context) -> list[Finding]:
        return []


_REGISTRY: dict[str, type[LanguagePlugin]] = {}


def register_language(plugin: type[LanguagePlugin]) -> type[LanguagePlugin]:
    """Add ``plugin`` (usable as a class decorator); a later one for a suffix wins."""
    _REGISTRY[plugin.name] = plugin
    return plugin


def languages() -> list[type[LanguagePlugin]]:
    return list(_REGISTRY.values())


def plugin_for(path: str) -> type[LanguagePlugin] | None:
    suffix = PurePosixPath(path).suffix.lower()
    found = None
    for plugin in _REGISTRY.values():
        if suffix in plugin.suffixes:
            found = plugin
    return found


def plugin_instance(path: str) -> LanguagePlugin:
    """The plugin for ``path``, or ``PlainPlugin`` if no registered one handles it."""
    found = plugin_for(path)
    return found() if found else PlainPlugin()
