"""Unified diffs: parse ``git diff`` / ``diff -u`` / ``git format-patch`` text, apply hunks.

``parse_patch(text)`` returns a :class:`Patch` of :class:`FileChange` objects whose
``added`` maps each line the change adds to its number in the new file (and ``removed``
each line it drops to its number in the old one). Anything that is not a well-formed diff
raises :class:`DiffError` (an input error, exit 2) naming the line that broke it.
``apply_hunks`` rebuilds one side of a file from the other, so a patch can be checked
against a working tree that does or does not have it applied yet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import Literal

from ..errors import InputError

__all__ = ["DiffError", "FileChange", "Hunk", "Patch", "apply_hunks", "parse_patch"]

Status = Literal["added", "deleted", "modified", "renamed"]

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
_GIT_HEADER = re.compile(r"^diff --git (\"?a/.*?\"?) (\"?b/.*\"?)$")
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "r": "\r",
    "v": "\v",
}
#: how far a hunk may have moved in the file it is applied to
_MAX_OFFSET = 200


class DiffError(InputError):
    """The patch is not a unified diff (exit 2)."""


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str  # the text after the second ``@@`` (git puts the enclosing def there)
    lines: tuple[tuple[str, str], ...]  # (" " | "+" | "-", text)

    @property
    def old_lines(self) -> list[str]:
        return [t for tag, t in self.lines if tag != "+"]

    @property
    def new_lines(self) -> list[str]:
        return [t for tag, t in self.lines if tag != "-"]


@dataclass(frozen=True)
class FileChange:
    """One file of a patch; ``path`` is the new path (the old one for a deletion)."""

    path: str
    old_path: str
    status: Status
    hunks: tuple[Hunk, ...] = ()
    binary: bool = False

    @cached_property
    def added(self) -> dict[int, str]:
        """New-file line number -> text, for each line the change adds."""
        out: dict[int, str] = {}
        for h in self.hunks:
            n = h.new_start
            for tag, text in h.lines:
                if tag == "+":
                    out[n] = text
                if tag != "-":
                    n += 1
        return out

    @cached_property
    def removed(self) -> dict[int, str]:
        """Old-file line number -> text, for each line the change drops."""
        out: dict[int, str] = {}
        for h in self.hunks:
            n = h.old_start
            for tag, text in h.lines:
                if tag == "-":
                    out[n] = text
                if tag != "+":
                    n += 1
        return out


@dataclass(frozen=True)
class Patch:
    files: tuple[FileChange, ...]
    message: str = ""  # subject and body of a ``git format-patch`` mail, if the patch is one
    notes: tuple[str, ...] = field(default=())

    def file(self, path: str) -> FileChange | None:
        return next((f for f in self.files if f.path == path), None)


def parse_patch(text: str, *, allow_empty: bool = False) -> Patch:
    """Parse unified-diff ``text``; raises ``DiffError`` if it is not one."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    parser = _Parser(lines)
    files = parser.run()
    if not files and not allow_empty:
        raise DiffError(
            "the patch holds no file changes: give the output of `git diff` or `diff -u`"
        )
    return Patch(tuple(files), _mail_message(lines))


class _Parser:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.i = 0
        self.files: list[FileChange] = []

    def run(self) -> list[FileChange]:
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.startswith("diff --git "):
                self._git_file()
            elif line.startswith("--- ") and self._peek(1).startswith("+++ "):
                self._plain_file()
            elif _HUNK.match(line):
                raise DiffError(f"patch line {self.i + 1}: a hunk with no file header before it")
            else:
                self.i += 1  # mail headers, commit message, signatures: not diff content
        return self.files

    def _peek(self, k: int) -> str:
        j = self.i + k
        return self.lines[j] if j < len(self.lines) else ""

    def _git_file(self) -> None:
        header = self.lines[self.i]
        m = _GIT_HEADER.match(header)
        if not m:
            raise DiffError(f"patch line {self.i + 1}: malformed `diff --git` header")
        old, new = _strip_prefix(_unquote(m.group(1))), _strip_prefix(_unquote(m.group(2)))
        status: Status = "modified"
        binary = False
        self.i += 1
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.startswith(("diff --git ", "@@ ")) or (
                line.startswith("--- ") and self._peek(1).startswith("+++ ")
            ):
                break
            if line.startswith("new file mode"):
                status = "added"
            elif line.startswith("deleted file mode"):
                status = "deleted"
            elif line.startswith("rename from "):
                old, status = _unquote(line[12:]), "renamed"
            elif line.startswith("rename to "):
                new, status = _unquote(line[10:]), "renamed"
            elif line.startswith(("Binary files ", "GIT binary patch")):
                binary = True
            elif not line.startswith(
                (
                    "index ",
                    "old mode",
                    "new mode",
                    "similarity index",
                    "dissimilarity index",
                    "copy from",
                    "copy to",
                )
            ):
                break
            self.i += 1
        hunks: list[Hunk] = []
        if self.i < len(self.lines) and self.lines[self.i].startswith("--- "):
            old_name, new_name = self._names()
            old = old_name or old
            new = new_name or new
            hunks = self._hunks()
        self._add(old, new, status, hunks, binary)

    def _plain_file(self) -> None:
        old_name, new_name = self._names()
        status: Status = "modified"
        if old_name is None:
            status = "added"
        elif new_name is None:
            status = "deleted"
        old = old_name or new_name or ""
        new = new_name or old_name or ""
        self._add(old, new, status, self._hunks(), False)

    def _names(self) -> tuple[str | None, str | None]:
        """Read the ``---``/``+++`` pair; None stands for /dev/null."""
        names: list[str | None] = []
        for prefix in ("--- ", "+++ "):
            line = self.lines[self.i]
            if not line.startswith(prefix):
                raise DiffError(f"patch line {self.i + 1}: expected `{prefix.strip()}` header")
            name = line[4:].split("\t", 1)[0].rstrip()
            name = _unquote(name)
            names.append(None if name == "/dev/null" else _strip_prefix(name))
            self.i += 1
        return names[0], names[1]

    def _hunks(self) -> list[Hunk]:
        hunks: list[Hunk] = []
        while self.i < len(self.lines):
            m = _HUNK.match(self.lines[self.i])
            if not m:
                if self.lines[self.i].startswith("@@"):
                    raise DiffError(
                        f"patch line {self.i + 1}: malformed hunk header "
                        f"{self.lines[self.i][:60]!r}"
                    )
                break
            hunks.append(self._hunk(m))
            line = self.lines[self.i] if self.i < len(self.lines) else ""
            if (
                line[:1] in "+-"
                and line
                and line != "-- "
                and not line.startswith(("--- ", "+++ "))
            ):
                raise DiffError(f"patch line {self.i + 1}: hunk is longer than its header says")
        if not hunks:
            raise DiffError(f"patch line {self.i + 1}: file header with no hunks after it")
        return hunks

    def _hunk(self, m: re.Match[str]) -> Hunk:
        start = self.i + 1
        old_start, new_start = int(m.group(1)), int(m.group(3))
        old_count = 1 if m.group(2) is None else int(m.group(2))
        new_count = 1 if m.group(4) is None else int(m.group(4))
        self.i += 1
        body: list[tuple[str, str]] = []
        need_old, need_new = old_count, new_count
        while need_old > 0 or need_new > 0:
            if self.i >= len(self.lines):
                raise DiffError(
                    f"patch line {start}: hunk ends early ({need_old} old and "
                    f"{need_new} new lines missing)"
                )
            line = self.lines[self.i]
            tag, content = (line[:1], line[1:]) if line else (" ", "")
            if tag == "\\":
                self.i += 1
                continue
            if tag not in " +-":
                raise DiffError(
                    f"patch line {self.i + 1}: {line[:60]!r} is not a context, "
                    "added or removed line"
                )
            if tag != "+":
                need_old -= 1
            if tag != "-":
                need_new -= 1
            if need_old < 0 or need_new < 0:
                raise DiffError(f"patch line {start}: hunk is longer than its header says")
            body.append((tag, content))
            self.i += 1
        while self.i < len(self.lines) and self.lines[self.i].startswith("\\"):
            self.i += 1
        return Hunk(old_start, old_count, new_start, new_count, m.group(5).strip(), tuple(body))

    def _add(self, old: str, new: str, status: Status, hunks: list[Hunk], binary: bool) -> None:
        if not old and not new:
            raise DiffError("patch names a file with no path")
        for name in (old, new):
            parts = PurePosixPath(name).parts
            if name.startswith(("/", "\\")) or ".." in parts or "\0" in name:
                raise DiffError(f"patch names the path {name!r}, outside the repository")
        path = old if status == "deleted" else new
        self.files.append(FileChange(path, old or new, status, tuple(hunks), binary))


def _strip_prefix(name: str) -> str:
    return name[2:] if name[:2] in ("a/", "b/") else name


def _unquote(name: str) -> str:
    """Git's C-style quoting of unusual paths: ``"a/caf\\303\\251.md"``."""
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    raw = bytearray()
    body = name[1:-1]
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and re.match(r"[0-7]{3}", body[i + 1 : i + 4]):
                raw.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            raw += _ESCAPES.get(nxt, nxt).encode()
            i += 2
            continue
        raw += c.encode()
        i += 1
    return raw.decode("utf-8", "replace")


def _mail_message(lines: Sequence[str]) -> str:
    """Subject and body of a ``git format-patch`` mail, or "" if the patch is not one."""
    if not lines or not lines[0].startswith("From "):
        return ""
    subject: list[str] = []
    body: list[str] = []
    i = 1
    while i < len(lines) and lines[i]:
        if lines[i].startswith("Subject:"):
            subject.append(re.sub(r"^\[PATCH[^\]]*\]\s*", "", lines[i][8:].strip()))
            while i + 1 < len(lines) and lines[i + 1].startswith((" ", "\t")):
                i += 1
                subject.append(lines[i].strip())
        i += 1
    for line in lines[i + 1 :]:
        if line == "---" or line.startswith("diff --git "):
            break
        body.append(line)
    return "\n".join([" ".join(subject), "", *body]).strip()


def apply_hunks(
    lines: Sequence[str], hunks: Sequence[Hunk], *, reverse: bool = False
) -> list[str] | None:
    """``lines`` with ``hunks`` applied (or un-applied), or None where they do not fit.

    A hunk may have moved by up to a few hundred lines (other changes above it); its context
    and removed lines must match exactly, as ``git apply`` without fuzz requires.
    """
    out: list[str] = []
    pos = 0  # next line of ``lines`` not yet copied
    for h in hunks:
        want = h.new_lines if reverse else h.old_lines
        put = h.old_lines if reverse else h.new_lines
        start = (h.new_start if reverse else h.old_start) - 1
        if not want:
            start += 1  # a pure insertion's start names the line it follows
        at = _find(lines, want, max(start, 0), pos)
        if at is None:
            return None
        out.extend(lines[pos:at])
        out.extend(put)
        pos = at + len(want)
    out.extend(lines[pos:])
    return out


def _find(lines: Sequence[str], want: Sequence[str], start: int, floor: int) -> int | None:
    for delta in range(_MAX_OFFSET + 1):
        for at in (start,) if delta == 0 else (start - delta, start + delta):
            if at < floor or at + len(want) > len(lines):
                continue
            if list(lines[at : at + len(want)]) == list(want):
                return at
    return None
