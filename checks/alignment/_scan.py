"""The shared state of one extraction pass: which characters are already read, and what.

Extractors run in a fixed order of precedence (identifiers, dates, versions, quantities,
plain numbers, names); each claims the characters of what it finds, and a later extractor
never reads inside a claimed span. That is how "v2" inside a file name or "01" inside
``kafka-retail-01`` never become values of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["Found", "Norm", "Scan"]

#: A normalized, comparable value: seconds, bytes, an ISO date, a version tuple, a name.
Norm = float | int | str | tuple[int, ...]


class Found(NamedTuple):
    kind: str
    start: int
    end: int
    norm: Norm
    unit: str | None
    amount: float | None


@dataclass
class Scan:
    text: str
    taken: bytearray = field(init=False)
    found: list[Found] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.taken = bytearray(len(self.text))

    def free(self, start: int, end: int) -> bool:
        return end > start and not any(self.taken[start:end])

    def add(
        self,
        kind: str,
        start: int,
        end: int,
        norm: Norm,
        unit: str | None = None,
        amount: float | None = None,
    ) -> bool:
        if not self.free(start, end):
            return False
        self.taken[start:end] = b"\x01" * (end - start)
        self.found.append(Found(kind, start, end, norm, unit, amount))
        return True

    def matches(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Matches of ``pattern`` that do not touch a claimed span."""
        for m in pattern.finditer(self.text):
            if self.free(m.start(), m.end()):
                yield m
