"""A claim that pairs what a table keeps apart: the cell of one row with the cell of another.

"A token that lacks the required scope gets error code TP-1101" against the rows
"Code: TP-1101; Meaning: Missing or expired token" and "Code: TP-1103; Meaning: Token lacks
the required scope": the claim names the code of one row and the meaning of another, so the
table, read as a reader reads it, says the claim is wrong. Each row is a sentence of its own
(``retrieval`` writes one segment per row), so no single row conflicts with the claim; the
rows read together do (rule "row-pairs").
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass

from checks.language import content_stems

from ._table import row_cells

__all__ = ["Pairing", "row_pairing"]

_MIN_WORDS = 2  # a cell of prose matches when it has at least this many content words ...
_SHARE = 0.75  # ... and the claim holds at least this share of them


@dataclass(frozen=True)
class Pairing:
    """The claim names ``key`` (column ``key_label`` of row ``row``) with ``said`` (column
    ``label`` of row ``other``), where row ``row`` has ``instead``."""

    row: int  # index in the rows given
    other: int
    key_label: str
    key: str
    label: str
    said: str
    instead: str

    @property
    def explain(self) -> str:
        return (
            f'claim pairs {self.key_label} "{self.key}" with {self.label} "{self.said}"; '
            f'that row has {self.label} "{self.instead}"'
        )


def row_pairing(claim: str, rows: Sequence[str]) -> Pairing | None:
    """Where ``rows`` (rows of one table, read as sentences) put two cells the claim names
    in different rows and columns, each row with one cell named: the pairing, else None."""
    cells = [_cells(r) for r in rows]
    if len(cells) < 2 or not all(cells) or len({tuple(c) for c in cells}) != 1:
        return None  # not rows of one table (the same headers)
    stems = content_stems(claim)
    tokens = {t.strip(".,;:()'\"`").lower() for t in claim.split()}
    named: dict[int, list[str]] = {}
    for i, row in enumerate(cells):
        for label, value in row.items():
            if _named(
                value, stems, tokens, [r.get(label, "") for j, r in enumerate(cells) if j != i]
            ):
                named.setdefault(i, []).append(label)
    if len(named) != 2 or any(len(labels) != 1 for labels in named.values()):
        return None
    (a, (la,)), (b, (lb,)) = named.items()
    if la == lb or not stems & (content_stems(la) | content_stems(lb)):
        return None  # one column, or no header the claim speaks of: no pairing asserted
    # the claim names a's cell in column la and b's in lb: wrong if a's own cell in lb differs
    if _norm(cells[a][lb]) == _norm(cells[b][lb]):
        return None
    return Pairing(a, b, la, cells[a][la], lb, cells[b][lb], cells[a][lb])


def _cells(row: str) -> dict[str, str]:
    return {
        row[slice(*c.label)].strip(): row[slice(*c.value)].strip().strip("`*").strip()
        for c in row_cells(row)
    }


def _norm(value: str) -> str:
    return " ".join(value.lower().split())


def _named(value: str, stems: Set[str], tokens: Set[str], others: list[str]) -> bool:
    """Whether the claim names cell ``value``: a code or identifier as written, a phrase of
    prose by most of its content words; never a bare number (values are aligned elsewhere),
    never what another row of the column says too."""
    v = _norm(value)
    if not v or v in {_norm(o) for o in others} or v.replace(",", "").replace(".", "").isdigit():
        return False
    if " " not in v:
        return v in tokens and (
            any(ch.isdigit() for ch in v) or "-" in v or "_" in v or value[:1].isupper()
        )
    content = content_stems(value)
    if len(content) < _MIN_WORDS:
        return False
    return len(content & stems) >= _SHARE * len(content)
