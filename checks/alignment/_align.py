"""``align(claim, evidence)``: do the claim's key values agree with the evidence sentence's?

Steps: read both sentences (``_sides``: values, layout, contexts, polarity); measure
subject overlap; pair every claim value with the evidence value that plays the same role
(``_pair``); look for negation and quantifier mismatches (``_mismatch``); sum it up in a
verdict hint with a one-line explanation.

Precision comes first: a conflict needs (1) evidence about the same subject (subject overlap
of at least ``SUBJECT_MIN``), (2) two values of a comparable kind, (3) in the same role (the
cosine of their contexts reaches ``ROLE_MIN``), (4) no evidence value that agrees and plays
the role about as well (``MARGIN``), (5) values that are not consistent (two approximate
values close together, or a value inside a range the evidence allows, are no
contradiction), and (6) an evidence value not already accounted for by another claim value.
Identifiers and names are held to a stricter bar (same type noun nearby or the same shape),
since a sentence names many things in passing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from checks.language import content_stems

from ._compare import agree, comparable, consistent
from ._context import near_words, role_score, subject_overlap, value_tokens
from ._identifiers import identifier_words
from ._mismatch import negation_mismatch, quantifier_mismatch
from ._roles import role_mismatch
from ._sides import Side, side
from ._switches import enabled
from ._table import row_cells
from ._values import Value, rule_of

__all__ = ["Alignment", "Conflict", "Hint", "align"]

Hint = Literal["agree", "conflict", "neutral"]

SUBJECT_MIN = 0.3  # below this the two sentences are not about the same thing
ROLE_MIN = 0.3  # context similarity a claim value needs with the evidence value it conflicts
ROLE_MIN_SINGLE = 0.15  # ... when that is the evidence's only value of the kind
SINGLE_SUBJECT_MIN = 0.5  # ... and the sentences share at least this much subject
MARGIN = 0.25  # how much better a differing value must fit the role than an agreeing one
ID_ROLE_MIN = 0.45  # identifiers and names: a stricter bar
ID_MARGIN = 0.35
SWAP_MARGIN = 0.5  # a name present in the evidence but in another role ("deputy" not "lead")


@dataclass(frozen=True)
class Conflict:
    """A claim value and an evidence value in the same role that say different things."""

    claim_value: Value
    evidence_value: Value
    why: str


@dataclass(frozen=True)
class Alignment:
    """How a claim's values line up with one evidence sentence.

    ``subject_overlap`` is the share of the claim's content words and names (numbers and
    measures left out) that the evidence uses too, in [0, 1]. ``matched`` pairs agreeing
    values; ``conflicts`` pairs contradicting ones; ``unmatched_claim_values`` are the claim
    values the evidence neither states nor contradicts.
    """

    subject_overlap: float
    matched: tuple[tuple[Value, Value], ...]
    conflicts: tuple[Conflict, ...]
    negation_mismatch: bool
    quantifier_mismatch: bool
    unmatched_claim_values: tuple[Value, ...]
    verdict_hint: Hint
    explain: str
    #: the rules (``RULES``) behind the hint: those that found the conflicts, or that read
    #: the agreeing values; () for "neutral"
    rules: tuple[str, ...] = ()


def align(claim: str, evidence: str) -> Alignment:
    c, e = side(claim), side(evidence)
    overlap = subject_overlap(c.lay, e.lay)
    matched: list[tuple[Value, Value]] = []
    conflicts: list[Conflict] = []
    unmatched: list[Value] = []
    taken = _taken(c, e)
    for i, cv in enumerate(c.values):
        outcome = _pair(c, e, i, overlap, taken)
        if isinstance(outcome, Conflict):
            conflicts.append(outcome)
        elif outcome is not None:
            matched.append((cv, outcome))
        else:
            unmatched.append(cv)
    negation, neg_note, neg_rule, quantifier, q_note = False, "", "", False, ""
    swapped, r_note = False, ""  # a role given to someone else ("lead Priya Raman")
    if overlap >= SUBJECT_MIN:  # polarity only matters between sentences on one subject
        negation, neg_note, neg_rule = negation_mismatch(c, e)
        quantifier, q_note = quantifier_mismatch(c, e, matched)
        if not (negation or quantifier):
            swapped, r_note = role_mismatch(c, e)
    hint: Hint = "neutral"
    rules: list[str] = []
    if conflicts or negation or quantifier or swapped:
        hint = "conflict"
        rules = [rule_of(k.claim_value) for k in conflicts]
        found = ((negation, neg_rule), (quantifier, "quantifiers"), (swapped, "roles"))
        rules += [rule for fired, rule in found if fired]
    elif matched and not unmatched and overlap >= SUBJECT_MIN:
        hint = "agree"
        rules = [rule_of(cv) for cv, _ in matched]
    explain = _explain(hint, matched, conflicts, unmatched, neg_note, q_note or r_note, overlap)
    return Alignment(
        subject_overlap=round(overlap, 6),
        matched=tuple(matched),
        conflicts=tuple(conflicts),
        negation_mismatch=negation,
        quantifier_mismatch=quantifier,
        unmatched_claim_values=tuple(unmatched),
        verdict_hint=hint,
        explain=explain,
        rules=tuple(dict.fromkeys(rules)),
    )


def _taken(c: Side, e: Side) -> dict[int, set[int]]:
    """Evidence value -> the claim values it agrees with (each explains its own claim value)."""
    out: dict[int, set[int]] = {}
    for j, ev in enumerate(e.values):
        for i, cv in enumerate(c.values):
            if agree(cv, ev):
                out.setdefault(j, set()).add(i)
    return out


def _pair(
    c: Side, e: Side, i: int, overlap: float, taken: dict[int, set[int]]
) -> Value | Conflict | None:
    """The evidence value agreeing with claim value ``i``, a conflict, or ``None``.

    An evidence value that agrees with another claim value is no rival for this one: in
    "paybridge uses 8084 and postbox uses 8086" against "postbox ... port 8086", the 8086 is
    postbox's and says nothing about paybridge.
    """
    cv = c.values[i]
    hedged = e.pol.hedged
    best_eq: tuple[float, int] | None = None
    best_diff: tuple[float, int] | None = None
    rivals = 0
    ranges = _ranges(e.values)
    stated = cv.qualifier != "exact" and cv.qualifier != "approx"
    headed = _headed_column(cv, e)
    for j, ev in enumerate(e.values):
        score = role_score(c.contexts[i], e.contexts[j])
        if j in ranges and not stated and _allowed_by(cv, ranges[j], hedged):
            continue
        if headed and ev.kind == "number":
            continue  # "Burst: 100" is no rate when "Requests per minute: 600" is the row's
        if cv.kind == "date" and ev.kind == "date" and _other_event(c, e, ev):
            continue  # "Created: 2024-08-05" is no rival for the day something was raised
        if agree(cv, ev):
            if best_eq is None or score > best_eq[0]:
                best_eq = (score, j)
        elif j in ranges and any(_consistent(cv, end, hedged) for end in ranges[j]):
            continue  # "from 22 November to 3 December": one end agrees, the other is no rival
        elif taken.get(j, set()) - {i}:
            continue
        elif comparable(cv, ev) and not _consistent(cv, ev, hedged):
            rivals += 1
            if best_diff is None or score > best_diff[0]:
                best_diff = (score, j)
    if best_diff is not None and overlap >= SUBJECT_MIN:
        conflict = _conflict(c, e, i, best_diff, best_eq, rivals, overlap)
        if conflict is not None:
            return conflict
    if best_eq is not None:
        return e.values[best_eq[1]]
    return None


def _headed_column(cv: Value, e: Side) -> bool:
    """Whether table row ``e`` has a column whose header gives its numbers the unit of claim
    value ``cv`` ("Requests per minute: 600" for "100 requests per minute"): that column
    holds the claim's quantity, and a bare number under another header is another quantity
    (rule "column-units")."""
    if not (cv.unit and cv.kind in _HEADED and enabled("column-units")):
        return False
    if not (enabled("table-rows") and row_cells(e.text)):
        return False  # not a row, or not read as one
    return any(ev.kind == cv.kind and ev.unit == cv.unit for ev in e.values)


_HEADED = frozenset({"count", "duration", "size", "percent", "money"})

#: header words that name no event of their own: the row's date, whatever happened on it
_DATE_HEADERS = content_stems("date dated day when time timestamp effective")


def _other_event(c: Side, e: Side, ev: Value) -> bool:
    """Whether date ``ev`` stands in a table row's cell whose header names an event the claim
    does not speak of ("Created: 2024-08-05" against "was raised on 2024-09-16"): a row's
    dates are each the date of its header's event (rule "dated-cells")."""
    if not (enabled("dated-cells") and enabled("table-rows")):
        return False
    for cell in row_cells(e.text):
        if cell.value[0] <= ev.start < cell.value[1]:
            header = content_stems(identifier_words(e.text[slice(*cell.label)])) - _DATE_HEADERS
            return bool(header) and not header & content_stems(c.text)
    return False


def _allowed_by(cv: Value, bounds: tuple[Value, Value], hedged: bool) -> bool:
    """ "1–4096 MB" says what is allowed, not what the value is: a value inside the range (or
    at one end) is no contradiction, and no confirmation either."""
    return _within(cv, *bounds) or any(_consistent(cv, end, hedged) for end in bounds)


def _consistent(cv: Value, ev: Value, hedged: bool) -> bool:
    """``consistent``, reading every evidence number as approximate in a hedged sentence."""
    if hedged and ev.kind not in ("identifier", "date", "time", "version"):
        ev = replace(ev, qualifier="approx")
    return consistent(cv, ev)


def _conflict(
    c: Side,
    e: Side,
    i: int,
    best_diff: tuple[float, int],
    best_eq: tuple[float, int] | None,
    rivals: int,
    overlap: float,
) -> Conflict | None:
    score, j = best_diff
    cv, ev = c.values[i], e.values[j]
    floor, margin = ROLE_MIN, MARGIN
    if cv.kind == "identifier":
        fit = _same_slot(c, e, i, j)
        if fit is None or not _absent(ev, c.text):
            return None
        floor, margin = (ROLE_MIN, ID_MARGIN) if fit == "shape" else (ID_ROLE_MIN, ID_MARGIN)
        if not _absent(cv, e.text):
            margin = SWAP_MARGIN  # the claim's name is there too, in another role
    elif _only_rival(cv, ev, rivals, best_eq is None, overlap):
        floor = ROLE_MIN_SINGLE
    if score < floor or (best_eq is not None and score < best_eq[0] + margin):
        return None
    return Conflict(cv, ev, _why(cv, ev, c.contexts[i], e.contexts[j]))


def _only_rival(cv: Value, ev: Value, rivals: int, no_match: bool, overlap: float) -> bool:
    """The evidence's only value of this (specific) kind, in a sentence on the same subject."""
    specific = cv.kind == ev.kind and cv.kind != "number"
    return rivals == 1 and no_match and overlap >= SINGLE_SUBJECT_MIN and specific


def _same_slot(c: Side, e: Side, i: int, j: int) -> Literal["shape", "anchor"] | None:
    """Do two identifiers fill the same slot? By their shape, or by the words around them.

    ``CHECKOUT_PAYBRIDGE_TIMEOUT_MS`` / ``CHECKOUT_PAYMENTS_TIMEOUT_MS`` share most parts
    ("shape"). "the Inventory team" / "Owning team: Search & Discovery" share the word "team"
    next to them ("anchor"); other identifiers need two such words, a name one. A claim
    identifier whose parts are a strict part of an evidence identifier's ("stock-change" in
    ``inventory.stock-changed``) refers to it loosely and conflicts with nothing.
    """
    cv, ev = c.values[i], e.values[j]
    mine = _parts(cv)
    for other in e.values:
        if other.kind == "identifier" and other.unit != "name" and mine and mine < _parts(other):
            return None
    theirs = _parts(ev)
    if cv.unit != "name" and mine and theirs and len(mine & theirs) / len(mine | theirs) >= 0.5:
        return "shape"
    shared = near_words(c.lay, i) & near_words(e.lay, j)
    return "anchor" if len(shared) >= (1 if cv.unit == "name" else 2) else None


def _parts(v: Value) -> frozenset[str]:
    return value_tokens(v) - {str(v.norm).casefold()}


def _ranges(values: list[Value]) -> dict[int, tuple[Value, Value]]:
    """Index of each range end -> (low end, high end)."""
    out: dict[int, tuple[Value, Value]] = {}
    for j, lo in enumerate(values):
        if lo.qualifier != "range_low":
            continue
        for k in range(j + 1, min(j + 3, len(values))):
            hi = values[k]
            if hi.qualifier == "range_high" and hi.kind == lo.kind:
                out[j] = out[k] = (lo, hi)
                break
    return out


def _within(cv: Value, lo: Value, hi: Value) -> bool:
    if cv.qualifier in ("range_low", "range_high") or not comparable(cv, lo):
        return False
    if not all(isinstance(v.norm, int | float) for v in (cv, lo, hi)):
        return False
    return float(lo.norm) <= float(cv.norm) <= float(hi.norm)  # type: ignore[arg-type]


def _absent(v: Value, other: str) -> bool:
    return v.raw.casefold() not in other.casefold()


def _why(cv: Value, ev: Value, cctx: dict[str, float], ectx: dict[str, float]) -> str:
    shared = sorted(
        (t for t in cctx if t in ectx and " " not in t),
        key=lambda t: -min(cctx[t], ectx[t]),
    )[:3]
    anchor = f" for the same role ({', '.join(shared)})" if shared else ""
    kind = cv.kind.replace("_", " ")
    return f"different {kind}{anchor}: claim {cv.describe()}, evidence {ev.describe()}"


def _explain(
    hint: Hint,
    matched: list[tuple[Value, Value]],
    conflicts: list[Conflict],
    unmatched: list[Value],
    neg_note: str,
    q_note: str,
    overlap: float,
) -> str:
    parts: list[str] = []
    for k in conflicts:
        parts.append(
            f"claim says {k.claim_value.describe()}, evidence says {k.evidence_value.describe()}"
        )
    parts.extend(note for note in (neg_note, q_note) if note)
    if hint == "agree":
        pairs = "; ".join(f"{cv.describe()} = {ev.describe()}" for cv, ev in matched[:4])
        parts.append(f"values agree: {pairs}")
    elif not parts:
        if overlap < SUBJECT_MIN:
            parts.append(f"different subject (overlap {overlap:.2f})")
        elif unmatched:
            parts.append(
                "not stated in evidence: " + ", ".join(v.describe() for v in unmatched[:4])
            )
        else:
            parts.append("no values to compare")
    return "; ".join(parts)
