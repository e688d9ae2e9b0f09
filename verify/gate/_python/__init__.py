"""The Python language plugin: code references via ``ast``, prose from comments and
docstrings, logic changes by comparing syntax trees."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from reports import Finding

from .._diff import FileChange
from .._languages import Context, LanguagePlugin, LogicChange, ProseBlock, register_language
from ._checks import check_file, mismatch
from ._defs import Signature
from ._modules import RepoModules
from ._resolve import Resolver
from ._text import logic_changes, prose_blocks

__all__ = ["PythonPlugin", "RepoModules", "Signature", "mismatch"]


@register_language
class PythonPlugin(LanguagePlugin):
    name: ClassVar[str] = "python"
    suffixes: ClassVar[tuple[str, ...]] = (".py",)

    def check(self, files: Sequence[FileChange], ctx: Context) -> list[Finding]:
        repo = RepoModules(ctx.change.head)
        resolver = Resolver(repo, ctx.env)
        out: list[Finding] = []
        for f in files:
            text = ctx.change.head.read(f.path)
            if text is not None and f.added:
                before = ctx.change.base.read(f.old_path) if f.status != "added" else None
                out += check_file(f, text, repo, resolver, ctx.env, before)
        return out

    def prose(self, file: FileChange, text: str) -> list[ProseBlock]:
        return prose_blocks(file, text)

    def logic_lines(
        self, file: FileChange, before: str | None, after: str | None
    ) -> list[LogicChange]:
        found = logic_changes(file, before, after)
        return super().logic_lines(file, before, after) if found is None else found
