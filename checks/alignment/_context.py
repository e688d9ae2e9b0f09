"""Where a value sits in its sentence: the words around it, and what a sentence is about.

A sentence is laid out as a row of *slots*: one per content word and one per value (an
identifier slot carries its word parts, a count slot its noun). Punctuation between slots
adds distance (a comma half a slot, a semicolon or table bar a whole one), so "timeout 30 s,
retried after 5 s" keeps "timeout" nearer to "30 s" than to "5 s". A value's *context* weighs
every token within a few slots by 1/distance; two values play the same role when their
contexts share weight (``role_score``). In a table row read as a sentence, the first cell
(what the row is about) is near every other cell.

``subject_units``/``subject_overlap`` measure what share of the claim's content words and
names the evidence also uses, leaving numbers and measures out so that "port 8080" and
"port 8443" are still about the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from checks.language import STOPWORDS, compounds, is_content, stem, words

from ._identifiers import identifier_parts
from ._switches import enabled
from ._table import row_cells
from ._values import Value

__all__ = [
    "Layout",
    "Unit",
    "context",
    "layout",
    "near_words",
    "role_score",
    "subject_overlap",
    "value_tokens",
    "word_contexts",
]

WINDOW = 6.0
#: A table row read as a sentence ("Data category: GPS traces; Retention period: 90 days"):
#: its first cell names what every other cell is about, so it counts as this near to each
ROW_SUBJECT = 2.0
_GAP_COST = (("\n", 1.0), (";", 1.0), ("|", 1.0), (":", 0.5), (",", 0.5), (". ", 2.0))


@dataclass(frozen=True)
class Slot:
    pos: float
    tokens: frozenset[str]  # what the slot lends to its neighbours' context
    own: frozenset[str]  # what it adds to its own context (a count's noun)
    is_value: bool
    start: int  # where it begins in the text


@dataclass(frozen=True)
class Unit:
    """One thing a sentence talks about: a word (with its spellings) or an identifier."""

    spellings: frozenset[str]
    parts: frozenset[str] = frozenset()  # an identifier also counts when all parts are used


@dataclass(frozen=True)
class Layout:
    slots: tuple[Slot, ...]
    value_slot: dict[int, int]
    tokens: frozenset[str]  # every token of the sentence, compounds and identifier parts too
    units: tuple[Unit, ...]
    row_subject: frozenset[int] = frozenset()  # slots of a table row's first cell


@lru_cache(maxsize=8192)
def value_tokens(v: Value) -> frozenset[str]:
    """Tokens a value lends to its neighbours' context."""
    if v.kind == "identifier":
        norm = str(v.norm)
        if v.unit == "name":
            parts = [stem(w) for w in re.split(r"\W+", norm) if w and w not in STOPWORDS]
        else:
            parts = [stem(p) for p in identifier_parts(norm) if p not in STOPWORDS]
        return frozenset([norm.casefold(), *parts])
    out: set[str] = set()
    if v.kind == "count" and v.unit:
        noun = v.unit.split("/", 1)[0]
        if noun:
            out.add(stem(noun))
    if v.key:  # the number of a table row is known by its key's words
        out |= {stem(p) for p in identifier_parts(v.key) if p not in STOPWORDS}
    return frozenset(out)


def layout(text: str, values: list[Value]) -> Layout:
    spans = [(v.start, v.end) for v in values]
    toks = words(text)
    inside = [any(a <= w.start < b for a, b in spans) for w in toks]
    joined = compounds(text, toks, inside)
    items: list[tuple[int, int, frozenset[str], frozenset[str], int | None]] = []
    all_tokens: set[str] = set()
    units: list[Unit] = []
    for i, v in enumerate(values):
        lent = value_tokens(v)
        all_tokens |= lent
        own = lent if v.kind != "identifier" else frozenset()
        items.append((v.start, v.end, lent, own, i))
        if v.kind == "identifier":
            whole = str(v.norm).casefold()
            units.append(Unit(frozenset([whole]), lent - {whole}))
    for j, w in enumerate(toks):
        if inside[j] or not is_content(w):
            continue
        spellings = frozenset({w.stem} | joined.get(j, set()))
        all_tokens |= spellings
        units.append(Unit(spellings))
        items.append((w.start, w.end, spellings, frozenset(), None))
    items.sort(key=lambda t: t[0])
    slots: list[Slot] = []
    value_slot: dict[int, int] = {}
    pos = 0.0
    prev_end = 0
    for start, end, lent, own, index in items:
        if slots:
            pos += 1.0 + _gap_cost(text[prev_end:start])
        if index is not None:
            value_slot[index] = len(slots)
        slots.append(Slot(pos, lent, own, index is not None, start))
        prev_end = end
    cells = row_cells(text) if enabled("table-rows") else ()
    first_cell = cells[0].value[1] if cells else -1
    row_subject = frozenset(k for k, slot in enumerate(slots) if slot.start < first_cell)
    return Layout(tuple(slots), value_slot, frozenset(all_tokens), tuple(units), row_subject)


def context(lay: Layout, index: int) -> dict[str, float]:
    """Token -> weight (1/distance) around value ``index``."""
    return _around(lay, lay.value_slot[index])


def word_contexts(lay: Layout, stem_: str, after: int = -1) -> list[dict[str, float]]:
    """The context of every plain word spelled ``stem_`` (only the first past ``after``)."""
    found = [
        k
        for k, slot in enumerate(lay.slots)
        if not slot.is_value and stem_ in slot.tokens and slot.start > after
    ]
    if after >= 0:
        found = found[:1]
    return [_around(lay, k) for k in found]


def near_words(lay: Layout, index: int, radius: float = 2.5) -> frozenset[str]:
    """Plain words at most ``radius`` slots from value ``index``: "team" in "Inventory team"."""
    me = lay.slots[lay.value_slot[index]]
    out: set[str] = set()
    for slot in lay.slots:
        if not slot.is_value and abs(slot.pos - me.pos) <= radius:
            out |= slot.tokens
    return frozenset(out)


def _around(lay: Layout, k: int) -> dict[str, float]:
    me = lay.slots[k]
    weights: dict[str, float] = dict.fromkeys(me.own, 1.0)
    in_subject = k in lay.row_subject
    for n, slot in enumerate(lay.slots):
        if slot is me:
            continue
        dist = abs(slot.pos - me.pos)
        if not in_subject and n in lay.row_subject:
            dist = min(dist, ROW_SUBJECT)
        if dist > WINDOW:
            continue
        w = 1.0 / max(1.0, dist)
        for t in slot.tokens:
            if weights.get(t, 0.0) < w:
                weights[t] = w
    return weights


def role_score(claim_ctx: dict[str, float], evidence_ctx: dict[str, float]) -> float:
    """Cosine similarity of two contexts: 1.0 for the same words at the same distances."""
    dot = sum(w * evidence_ctx[t] for t, w in claim_ctx.items() if t in evidence_ctx)
    if dot <= 0:
        return 0.0
    norm_c = sum(w * w for w in claim_ctx.values()) ** 0.5
    norm_e = sum(w * w for w in evidence_ctx.values()) ** 0.5
    return float(min(1.0, dot / (norm_c * norm_e)))


def subject_overlap(claim: Layout, evidence: Layout) -> float:
    """Share of the claim's subject units (words, names) that the evidence uses too."""
    if not claim.units:
        return 0.0
    hit = 0
    for unit in claim.units:
        if unit.spellings & evidence.tokens or (unit.parts and unit.parts <= evidence.tokens):
            hit += 1
    return hit / len(claim.units)


def _gap_cost(gap: str) -> float:
    cost = 0.0
    for mark, c in _GAP_COST:
        if mark in gap:
            cost += c
    return cost
