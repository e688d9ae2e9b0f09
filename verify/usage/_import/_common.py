"""What the three importers share: defaults from flags, the batch they fill, content keys.

Content key: the sha256 of the source name and the record's canonical JSON (keys sorted, no
whitespace), so formatting differences do not matter and the same record always gets the
same key. Where a record has no identity of its own (a llama.cpp timing pair, a verify JSON
document; an OpenAI response without an ``id``), its occurrence number among identical
records of the file is part of the key: two identical calls in one log are two calls, a file
imported twice is imported once, and a log that grew keeps its earlier keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...ledger import ActionRow, CallRow, RunRow

__all__ = [
    "Batch",
    "Defaults",
    "Keys",
    "NotJson",
    "clean",
    "load_json",
    "read_lines",
    "synthetic_run",
    "whole",
]

MAX_IMPORT_BYTES = 1024 * 1024 * 1024
#: The largest count a ledger column holds (SQLite integers are 64-bit).
MAX_COUNT = 2**63 - 1


@dataclass(frozen=True)
class Defaults:
    """Fills what a record does not say (from ``--agent``, ``--user``, ``--run``, ...)."""

    agent: str = ""
    user: str = ""
    team: str = ""
    run: str = ""
    task: str = ""
    model: str = ""


@dataclass
class Batch:
    runs: dict[str, RunRow] = field(default_factory=dict)
    calls: list[CallRow] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)
    records: int = 0  # source records accepted

    def add_run(self, run: RunRow) -> None:
        known = self.runs.get(run.run_id)
        if known is None or (run.started_at and run.started_at < known.started_at):
            self.runs[run.run_id] = run

    def error(self, line: int, message: str) -> None:
        self.errors.append((line, message))


class Keys:
    """Content keys for one file of one source (see the module docstring)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._seen: Counter[str] = Counter()

    def key(self, record: Any, *, occurrence: bool) -> str:
        canonical = json.dumps(
            record, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str
        )
        base = hashlib.sha256(f"{self.source}\0{canonical}".encode()).hexdigest()
        if not occurrence:
            return base
        n = self._seen[base]
        self._seen[base] += 1
        return base if n == 0 else hashlib.sha256(f"{base}\0{n}".encode()).hexdigest()


def clean(value: Any, limit: int = 200) -> str:
    """A metadata value as a short single-line string ('' for None)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return " ".join(text.split())[:limit]


def whole(value: Any) -> int | None:
    """``value`` as a token count: a whole number from 0 to ``MAX_COUNT``, else None (bools
    are not numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 0 <= value <= MAX_COUNT:
        return value
    return None


def synthetic_run(source: str, agent: str, user: str, when: float) -> str:
    """A stable run id for records that name none: one run per source, agent, user and day."""
    day = dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%d")
    return f"{source}:{agent or 'unknown'}:{user or 'unknown'}:{day}"


class NotJson(ValueError):
    """A record that is not JSON; the message says why, short enough for one line."""


def load_json(text: str) -> Any:
    """``json.loads``, with every way ``text`` can fail to be JSON raised as ``NotJson``:
    syntax, nesting deeper than the parser's recursion allows, and numbers with more digits
    than Python converts (all of which ``json.loads`` raises as different exceptions)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotJson(f"not JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise NotJson("not JSON (nested too deeply)") from None
    except ValueError:
        raise NotJson("not JSON (a number with too many digits)") from None


def read_lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text) from ``path``; text is None for a line that is not UTF-8."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError(f"cannot import {str(path)!r}: not a file")
        if size > MAX_IMPORT_BYTES:
            raise InputError(
                f"{path} is {size} bytes, over the {MAX_IMPORT_BYTES}-byte import cap; split it"
            )
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from exc
    with fh:
        for number, raw in enumerate(fh, 1):
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                yield number, None
