"""``extract_claims``: a text in, its checkable claims and what was skipped (and why) out.

Each unit of the text (sentence, heading, code block, table row) ends up either as one or
more claims or as one skipped span; spans never overlap and follow the text's order, and
every ``text`` is exactly ``source[start:end]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checks.extraction._blocks import table_cells, trim
from checks.extraction._checkable import (
    Reason,
    clause_reason,
    content_start,
    sentence_reason,
    word_count,
)
from checks.extraction._compound import split_compound
from checks.extraction._sentences import Unit, units
from checks.extraction._visible import visible
from checks.types import Claim

__all__ = ["Extraction", "Skipped", "extract_claims"]


@dataclass(frozen=True)
class Skipped:
    """A span that is not a checkable claim; ``text == source[start:end]``."""

    text: str
    start: int
    end: int
    reason: Reason

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end, "reason": self.reason}


@dataclass(frozen=True)
class Extraction:
    """The claims of a text in order (ids ``c1``, ``c2``, ...) and the spans left out."""

    claims: tuple[Claim, ...]
    skipped: tuple[Skipped, ...]


class _Collector:
    def __init__(self, source: str) -> None:
        self.source = source
        self.claims: list[Claim] = []
        self.skipped: list[Skipped] = []

    def claim(self, start: int, end: int, standalone: str = "") -> None:
        text = self.source[start:end]
        standalone = "" if standalone == text else standalone
        self.claims.append(Claim(f"c{len(self.claims) + 1}", text, start, end, standalone))

    def skip(self, start: int, end: int, reason: Reason) -> None:
        self.skipped.append(Skipped(self.source[start:end], start, end, reason))

    def row(self, unit: Unit) -> None:
        """A table row is a claim; its header turns it into "Key: value; Default: 8081"."""
        source = self.source
        values = [source[a:b] for a, b in table_cells(source, unit.start, unit.end)]
        words = word_count(source, unit.start, unit.end)
        if unit.header and len(unit.header) == len(values) and words >= 2:
            pairs = [f"{h}: {v}" if h else v for h, v in zip(unit.header, values, strict=True) if v]
            self.claim(unit.start, unit.end, "; ".join(pairs))
        elif words >= 3:
            self.claim(unit.start, unit.end)
        else:
            self.skip(unit.start, unit.end, "empty")

    def sentence(self, start: int, end: int) -> None:
        reason = sentence_reason(self.source, start, end)
        if reason is not None:
            self.skip(start, end, reason)
            return
        lead = content_start(self.source, start, end)
        parts = split_compound(self.source, lead, end)
        first = clause_reason(self.source[parts[0].start : parts[0].end])
        if first in ("hedge", "opinion"):  # its subject and scope cover the whole sentence
            self.skip(start, end, first)
            return
        for n, part in enumerate(parts):
            s = start if n == 0 else part.start
            standalone = part.standalone
            if n == 0 and lead > start:
                a, b = trim(self.source, lead, part.end)
                standalone = self.source[a:b]
            reason = clause_reason(standalone or self.source[s : part.end])
            if reason is None:
                self.claim(s, part.end, standalone)
            else:
                self.skip(s, part.end, reason)


def extract_claims(text: str) -> Extraction:
    """Cut ``text`` into checkable claims; questions, opinions, plans, code... are skipped.

    The claims are cut from what a reader sees (``_visible``: no hidden characters, no
    look-alike letters or digits); where that differs from ``text``, a claim's ``standalone``
    is its visible wording, so the checks read what the reviewer reads.
    """
    shown, origin = visible(text)
    found = _extract(shown)
    if shown == text:
        return found
    return Extraction(
        tuple(_back(c, text, origin) for c in found.claims),
        tuple(_skip_back(s, text, origin) for s in found.skipped),
    )


def _span(start: int, end: int, size: int, origin: list[int]) -> tuple[int, int]:
    """A span of the visible text as a span of the original one."""
    a = origin[start] if start < len(origin) else size
    return a, (origin[end - 1] + 1 if end > start else a)


def _back(c: Claim, text: str, origin: list[int]) -> Claim:
    start, end = _span(c.start, c.end, len(text), origin)
    original = text[start:end]
    shown = c.standalone or c.text
    return Claim(c.id, original, start, end, "" if shown == original else shown)


def _skip_back(s: Skipped, text: str, origin: list[int]) -> Skipped:
    start, end = _span(s.start, s.end, len(text), origin)
    return Skipped(text[start:end], start, end, s.reason)


def _extract(text: str) -> Extraction:
    out = _Collector(text)
    for unit in units(text):
        if unit.kind == "code":
            out.skip(unit.start, unit.end, "code")
        elif unit.kind in ("heading", "header_row"):
            out.skip(unit.start, unit.end, "heading")
        elif unit.kind == "row":
            out.row(unit)
        else:
            out.sentence(unit.start, unit.end)
    return Extraction(tuple(out.claims), tuple(out.skipped))
