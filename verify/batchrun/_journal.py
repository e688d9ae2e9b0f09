"""The output of ``verify batch``: one JSON line per id, appended as results arrive.

Each ``write`` appends whole lines, flushes and fsyncs, so after a crash or ``kill -9`` the
file holds whole lines and at most one torn last line. ``Journal.open(path, resume=True)``
reads the ids already there (the torn tail, if any, is cut off first) so that they are not
checked again; a line it cannot read elsewhere in the file stops the run (exit 2), since
resuming over it could lose or repeat an id. A row whose id is already in the file is never
written twice.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from ..batch import exit_code_of
from ..errors import ExitCode, InputError

__all__ = ["Journal", "row_code"]


def row_code(row: Mapping[str, Any]) -> ExitCode:
    """The exit code an output line stands for: its ``exit_code`` where it is an error line,
    else 3 if a claim's verdict is ``error``, 1 if it blocks, 0 if it passes."""
    if "exit_code" in row:
        return ExitCode(int(row["exit_code"]))
    if any(claim.get("verdict") == "error" for claim in row.get("claims", ())):
        return ExitCode.INTERNAL
    return ExitCode.BLOCKED if row.get("decision") == "block" else ExitCode.PASS


class Journal:
    """An output file open for appending, with the ids it holds and what they decided."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: BinaryIO | None = None
        self.done: set[str] = set()
        self.resumed = 0  # rows that were in the file when it was opened
        self.codes: Counter[ExitCode] = Counter()
        self.decisions: Counter[str] = Counter()
        self.errors = 0
        self.first_error = ""

    @classmethod
    def open(cls, path: Path, *, resume: bool) -> Journal:
        """The journal at ``path``: new (an existing non-empty file is refused without
        ``resume``), or continued with the ids it holds."""
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        except OSError as exc:
            raise InputError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from exc
        if size and not resume:
            raise InputError(
                f"{str(path)!r} already holds results: pass --resume to continue that run, "
                "or remove the file to start over"
            )
        journal = cls(path)
        keep = _read(path, journal._count) if size else 0
        try:
            if keep < size:  # a torn last line from a killed run
                os.truncate(path, keep)
            journal._fh = path.open("ab")
        except OSError as exc:
            raise InputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
        journal.resumed = len(journal.done)
        return journal

    def write(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Append the rows whose ids are new, then flush and fsync; how many were new."""
        lines = []
        for row in rows:
            if row["id"] in self.done:
                continue
            self._count(row)
            lines.append(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        if lines:
            assert self._fh is not None, "write after close"
            self._fh.write(b"".join(lines))
            self._fh.flush()
            os.fsync(self._fh.fileno())
        return len(lines)

    def exit_code(self) -> ExitCode:
        return exit_code_of(set(self.codes))

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def _count(self, row: Mapping[str, Any]) -> None:
        self.done.add(row["id"])
        self.codes[row_code(row)] += 1
        self.decisions[str(row.get("decision"))] += 1
        if "error" in row:
            self.errors += 1
            self.first_error = self.first_error or str(row["error"])


def _read(path: Path, on_row: Callable[[dict[str, Any]], None]) -> int:
    """Hand each row of an existing output to ``on_row``; how many bytes the rows take (a
    torn last line excluded). A line that is not a row, other than the last, is an
    ``InputError``."""
    keep = 0
    try:
        with path.open("rb") as fh:
            for number, line in enumerate(fh, 1):
                whole = line.endswith(b"\n")
                if not line.strip():
                    keep += len(line)
                    continue
                try:
                    row = json.loads(line)
                    ok = isinstance(row, dict) and isinstance(row.get("id"), str)
                except ValueError:
                    ok = False
                if ok and whole:
                    on_row(row)
                    keep += len(line)
                elif not whole or not fh.read(1):
                    break  # the torn tail of a killed run (no newline, or not JSON): cut off
                else:
                    raise InputError(
                        f"{path!s}:{number} is not a line verify batch wrote; --resume will "
                        "not continue over it: fix or remove the file"
                    )
    except OSError as exc:
        raise InputError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from exc
    return keep
