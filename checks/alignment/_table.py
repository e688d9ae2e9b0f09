"""A table row read as a sentence: "Plan: Business; Requests per minute: 600; Burst: 100".

Retrieval writes each row of a markdown table under its header this way (one segment per
row, ``retrieval._segments``). Read as a reader reads a table, each cell is a label (its
column's header) and a value, the first cell names what the row is about, and a header can
carry the unit of the bare numbers under it ("Requests per minute", "Timeout (ms)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Cell", "header_unit", "row_cells"]

_LABEL = r"[^:;\n]{1,60}"
_ROW = re.compile(rf"{_LABEL}: [^;\n]*(?:; {_LABEL}: [^;\n]*)+")
_CELL = re.compile(r"(?:^|(?<=; ))(?P<label>[^:;\s][^:;\n]{0,59}): (?P<value>[^;\n]*)")
# the unit a header gives the numbers under it: "(days)", "(ms)", "(req/min)" in parentheses,
# or a rate it ends with ("Requests per minute")
_PAREN_UNIT = re.compile(r"\(\s*(?:in\s+)?([^()]{1,20}?)\s*\)\s*$")
_RATE = re.compile(r"\b([A-Za-z]+ per [A-Za-z]+)\s*$")


@dataclass(frozen=True)
class Cell:
    label: tuple[int, int]  # where its column's header stands in the row's text
    value: tuple[int, int]  # where its value stands


@lru_cache(maxsize=4096)
def row_cells(text: str) -> tuple[Cell, ...]:
    """The cells of ``text`` if it is a table row read as a sentence (at least two "label:
    value" cells joined by "; "), else ()."""
    if not _ROW.fullmatch(text):
        return ()
    return tuple(
        Cell((m.start("label"), m.end("label")), (m.start("value"), m.end("value")))
        for m in _CELL.finditer(text)
    )


def header_unit(label: str) -> str | None:
    """The unit a column's header gives the bare numbers under it, as words to read after
    a number ("days", "requests per minute"), or None."""
    paren = _PAREN_UNIT.search(label)
    if paren:
        return paren.group(1)
    rate = _RATE.search(label)
    return rate.group(1).lower() if rate else None
