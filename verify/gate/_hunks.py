"""The change as a reviewer reads it: its description and diff hunks, cut to fit one page.

``review_hunks`` turns the parsed patch into ``reports.DiffHunk`` values (the only way
the diff can reach ``reports``). A page holds at most ``MAX_LINES`` diff lines: hunks with a
finding on them come first, then the rest of the files that exist after the change, then
the bodies of deleted files; whatever does not fit is counted in ``omitted``, never dropped
silently. A file without text hunks (binary, a pure rename) gets a note in their place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from reports import DiffHunk, DiffLine, Finding

from ._change import Change
from ._diff import FileChange, Hunk

__all__ = ["MAX_DESCRIPTION_LINES", "MAX_LINES", "review_hunks"]

#: diff lines on one reviewer's page (a 2,000-line change with its context fits)
MAX_LINES = 5000
MAX_DESCRIPTION_LINES = 300

_KINDS: dict[str, Literal["context", "add", "remove"]] = {
    " ": "context",
    "+": "add",
    "-": "remove",
}


def review_hunks(
    change: Change, findings: Iterable[Finding] = (), max_lines: int | None = None
) -> tuple[DiffHunk, ...]:
    """The description (if any), then every file's hunks in diff order, within ``max_lines``
    (default ``MAX_LINES``)."""
    places = {(f.path, f.line) for f in findings}
    files = [(f, [_lines(h) for h in f.hunks]) for f in change.files]
    budget = _budget(files, places, MAX_LINES if max_lines is None else max_lines)
    out = _description(change)
    for i, (f, hunks) in enumerate(files):
        notes = _notes(f)
        out += [DiffHunk(f.path, note) for note in notes]
        if f.binary or not f.hunks:
            if not notes:
                out.append(DiffHunk(f.path, "no content change"))
            continue
        for j, (h, lines) in enumerate(zip(f.hunks, hunks, strict=True)):
            shown = budget.get((i, j), 0)
            out.append(DiffHunk(f.path, _header(h), tuple(lines[:shown]), len(lines) - shown))
    return tuple(out)


def _lines(h: Hunk) -> list[DiffLine]:
    old, new = h.old_start, h.new_start
    out = []
    for tag, text in h.lines:
        out.append(
            DiffLine(_KINDS[tag], None if tag == "+" else old, None if tag == "-" else new, text)
        )
        if tag != "+":
            old += 1
        if tag != "-":
            new += 1
    return out


def _budget(
    files: Sequence[tuple[FileChange, list[list[DiffLine]]]],
    places: set[tuple[str, int]],
    max_lines: int,
) -> dict[tuple[int, int], int]:
    """(file, hunk) -> how many of its lines to show: hunks with findings first."""

    def rank(key: tuple[int, int]) -> tuple[int, int, int]:
        f, lines = files[key[0]][0], files[key[0]][1][key[1]]
        found = any((f.path, ln.new) in places for ln in lines if ln.new is not None)
        return (0 if found else 1 if f.status != "deleted" else 2, *key)

    keys = [(i, j) for i, (_, hunks) in enumerate(files) for j in range(len(hunks))]
    left = max_lines
    out: dict[tuple[int, int], int] = {}
    for key in sorted(keys, key=rank):
        out[key] = min(left, len(files[key[0]][1][key[1]]))
        left -= out[key]
    return out


def _description(change: Change) -> list[DiffHunk]:
    if not change.description.strip():
        return []
    lines = change.description.splitlines()  # as read_description numbers them
    shown = [
        DiffLine("context", None, n, text)
        for n, text in enumerate(lines[:MAX_DESCRIPTION_LINES], 1)
    ]
    return [
        DiffHunk(
            change.description_path,
            "description",
            tuple(shown),
            len(lines) - len(shown),
            "description",
        )
    ]


def _notes(f: FileChange) -> list[str]:
    notes = []
    if f.status == "added":
        notes.append("new file")
    elif f.status == "deleted":
        notes.append("deleted file")
    elif f.status == "renamed":
        notes.append(f"renamed from {f.old_path}")
    if f.binary:
        notes.append("binary file, not shown")
    return notes


def _header(h: Hunk) -> str:
    old = f"{h.old_start},{h.old_count}" if h.old_count != 1 else str(h.old_start)
    new = f"{h.new_start},{h.new_count}" if h.new_count != 1 else str(h.new_start)
    return f"@@ -{old} +{new} @@" + (f" {h.section}" if h.section else "")
