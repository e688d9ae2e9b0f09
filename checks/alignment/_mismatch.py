"""Polarity mismatches between a claim and an evidence sentence about the same thing.

``negation_mismatch``: one side negates what the other states ("is never retried" against
"retries the call"), or they use opposite state words ("manual" against "automatic").
``quantifier_mismatch``: "all" against "some"/"only"/"no" over the same words, or the same
number bounded on opposite sides ("at most 5" against "at least 5"). Each returns whether it
found one and a short note for the explanation.
"""

from __future__ import annotations

from checks.language import stem, words

from ._bounds import bound_before, bound_negation
from ._compare import opposite_bounds
from ._context import role_score, word_contexts
from ._polarity import Negation, QuantifierKind, antonym
from ._sides import Side
from ._switches import enabled
from ._values import Value

__all__ = ["NEG_ROLE_MIN", "NEG_ROLE_SINGLE", "negation_mismatch", "quantifier_mismatch"]

NEG_ROLE_MIN = 0.15  # context similarity of a word negated on one side, stated on the other
NEG_ROLE_SINGLE = 0.3  # ... when it is the only word the negation governs ("no index")


def negation_mismatch(c: Side, e: Side) -> tuple[bool, str, str]:
    """One side negates what the other states, about the same thing.

    The shared words must sit in similar contexts on both sides (so "without a lock timeout"
    does not deny "locking the table"), conditional negations ("if the page is not
    acknowledged") never count, and a negation the other side shares is agreement. A
    prohibition ("Do not raise the timeout") denies only a text that states its verb.
    Returns whether it found one, a note, and the rule that found it.
    """
    if enabled("negation"):
        found, note, rule = _negated(c, e)
        if found:
            return True, note, rule
    if enabled("antonyms"):
        found, note = _opposed(c, e)
        if found:
            return True, note, "antonyms"
    return False, "", ""


def _negated(c: Side, e: Side) -> tuple[bool, str, str]:
    """Whether one side negates what the other states, a note, and the rule that found it
    ("boolean-cells" where the negation is a table cell that says no)."""
    for who, neg, other in (("evidence", e, c), ("claim", c, e)):
        plain = other.pol.affirmed - other.pol.negated - other.pol.in_negated_clause()
        for n in neg.pol.negations:
            if n.scope & other.pol.negated or _bounds_only(neg, n):
                continue
            if n.conditional and not (n.case and n.case <= other.pol.affirmed):
                continue  # a case, not a fact: it denies only a text stating that case
            floor = NEG_ROLE_SINGLE if len(n.scope) == 1 else NEG_ROLE_MIN
            if n.row:  # a cell that says no: about the row's subject, if the other names it
                if _says_off(other, n.scope):
                    continue  # "Preemption is switched off" against "Preemption: false"
                about = n.row <= {w.stem for w in words(other.text)}
                shared = n.scope & plain if about else frozenset()
            else:
                shared = frozenset(
                    w for w in n.scope & plain if _anchored(neg, other, w, w, floor, n.end)
                )
            if n.prohibition and n.verb not in shared:
                continue  # "Do not raise the timeout" says nothing of overriding it
            if len(shared) >= 2 or (shared and len(n.scope) == 1):
                named = ", ".join(sorted(shared))
                note = f"{who} negates ({n.cue} {named}) what the other states"
                return True, note, "boolean-cells" if n.row else "negation"
    return False, "", ""


#: "switched off", "turned off" (as ``compounds`` joins them), "disabled": a state said to be off
_SWITCHED_OFF = frozenset({"switchoff", "turnoff", stem("disabled")})


def _says_off(side: Side, header: frozenset[str]) -> bool:
    """Whether ``side`` says the state a cell's ``header`` names is off: its opposite
    ("inactive" for "Active"), or "disabled", "switched off", "turned off"."""
    opposite = {antonym(h) for h in header} - {None}
    return bool(side.pol.states & opposite or side.pol.affirmed & _SWITCHED_OFF)


def _bounds_only(side: Side, n: Negation) -> bool:
    """Whether negation ``n`` only turns over a bound ("Do not resync more than three sites":
    at most three are resynced), so it denies no action (rule "negated-bounds")."""
    if not enabled("negated-bounds"):
        return False
    for v in side.values:
        before = bound_before(side.text, v.start)
        at = bound_negation(side.text, before[1], before[0]) if before else None
        if at is not None and n.start <= at < n.end:
            return True
    return False


def _opposed(c: Side, e: Side) -> tuple[bool, str]:
    for s in c.pol.states:
        a = antonym(s)
        opposed = a and a in e.pol.states and s not in e.pol.states and a not in c.pol.states
        if a and opposed and _anchored(c, e, s, a):
            return True, f"claim says {s}, evidence says {a}"
    return False, ""


def _anchored(
    x: Side, y: Side, wx: str, wy: str, floor: float = NEG_ROLE_MIN, after: int = -1
) -> bool:
    """``wx`` in ``x`` (its first occurrence past ``after``) and some ``wy`` in ``y`` have
    similar contexts."""
    return any(
        role_score(cx, cy) >= floor
        for cx in word_contexts(x.lay, wx, after)
        for cy in word_contexts(y.lay, wy)
    )


def quantifier_mismatch(c: Side, e: Side, matched: list[tuple[Value, Value]]) -> tuple[bool, str]:
    if not enabled("quantifiers"):
        return False, ""
    for cv, ev in matched:
        if opposite_bounds(cv, ev):
            return True, f"claim bounds {cv.raw} as {cv.qualifier}, evidence as {ev.qualifier}"
    pc, pe = c.pol, e.pol
    pairs: tuple[tuple[QuantifierKind, tuple[QuantifierKind, ...]], ...] = (
        ("universal", ("existential", "restrictive", "negative")),
        ("restrictive", ("universal",)),
        ("negative", ("universal",)),
    )
    for c_kind, e_kinds in pairs:
        c_scope = pc.quantified(c_kind)
        if not c_scope:
            continue
        for e_kind in e_kinds:
            shared = c_scope & pe.quantified(e_kind)
            if shared and not shared & pe.quantified(c_kind):
                words = ", ".join(sorted(shared))
                return True, f"claim quantifies ({words}) as {c_kind}, evidence as {e_kind}"
    return False, ""
