"""``verify usage import``: token accounting for agents that did not run under verify.

``import_file(ledger, path, source, defaults)`` parses ``path`` with the parser for
``source`` (one module each: ``_openai``, ``_llama``, ``_verify_json``), then writes every
accepted record in one transaction: all or nothing, and nothing twice (content keys, see
``_common``); that transaction also marks the runs it touched stale, and the usage
aggregates are brought up to date right after (``_stored.refresh``). Malformed records come
back in ``ImportResult.errors`` with their line numbers; the caller reports them and the rest
is imported.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError
from ...ledger import Ledger
from .._stored import refresh
from . import _llama, _openai, _verify_json
from ._common import Batch, Defaults, read_lines

__all__ = ["SOURCES", "Defaults", "ImportResult", "import_file", "parse"]

Parser = Callable[[Iterable[tuple[int, str | None]], Defaults, float], Batch]
_PARSERS: dict[str, Parser] = {
    _openai.SOURCE: _openai.parse,
    _llama.SOURCE: _llama.parse,
    _verify_json.SOURCE: _verify_json.parse,
}
SOURCES: tuple[str, ...] = tuple(_PARSERS)


@dataclass(frozen=True)
class ImportResult:
    records: int  # source records accepted (a record may become several rows)
    added: int  # rows (calls and actions) new to the ledger
    present: int  # rows already in the ledger, skipped
    errors: list[tuple[int, str]]  # (line number, why) for every record skipped


def parse(path: Path, source: str, defaults: Defaults, now: float | None = None) -> Batch:
    if source not in _PARSERS:
        raise InputError(f"unknown import format {source!r}; choose one of: {', '.join(SOURCES)}")
    return _PARSERS[source](read_lines(path), defaults, time.time() if now is None else now)


def import_file(
    ledger: Ledger,
    path: Path,
    source: str,
    defaults: Defaults,
    now: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Parse ``path`` and add what it holds to ``ledger`` (see the module docstring).

    A run the ledger already holds from ``verify run`` itself is not imported again from its
    JSON: the runner recorded its calls and actions as they happened.
    """
    batch = parse(path, source, defaults, now)
    names = sorted(batch.runs)
    recorded = {
        row[0]
        for start in range(0, len(names), 500)  # the batch's runs only: a ledger holds millions
        for row in ledger.execute(
            "SELECT run_id FROM runs WHERE source = 'verify'"
            f" AND run_id IN ({','.join('?' * len(names[start : start + 500]))})",
            tuple(names[start : start + 500]),
        )
    }
    calls = [c for c in batch.calls if c.run_id not in recorded]
    actions = [a for a in batch.actions if a.run_id not in recorded]
    skipped = len(batch.calls) + len(batch.actions) - len(calls) - len(actions)
    runs = [r for r in batch.runs.values() if r.run_id not in recorded]
    added, present = ledger.add(runs, calls, actions)
    if added:
        refresh(ledger, progress)
    return ImportResult(batch.records, added, present + skipped, sorted(batch.errors))
