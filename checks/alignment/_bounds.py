"""Bound phrases around a number: "up to 10 MB", "at least 5", "more than 2 minutes", "about 40".

``bound_before``/``bound_after`` tell ``_values`` how a number is stated (its
:data:`Qualifier`); ``_polarity`` reads the same phrases as quantifiers.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["BOUND_BEFORE", "Qualifier", "bound_after", "bound_before", "bound_negation", "negated"]

#: How a value is stated: exactly, as a bound, approximately, or as one end of a range.
Qualifier = Literal[
    "exact", "at_most", "at_least", "more_than", "less_than", "approx", "range_low", "range_high"
]

# Phrases match case-insensitively, longest first.
BOUND_BEFORE: dict[str, Qualifier] = {
    "up to": "at_most", "at most": "at_most", "no more than": "at_most",
    "not more than": "at_most", "a maximum of": "at_most", "maximum of": "at_most",
    "maximum": "at_most", "max": "at_most", "max.": "at_most", "no later than": "at_most",
    "within": "at_most", "capped at": "at_most", "limited to": "at_most", "≤": "at_most",
    "<=": "at_most",
    "at least": "at_least", "no less than": "at_least", "not less than": "at_least",
    "no fewer than": "at_least", "a minimum of": "at_least", "minimum of": "at_least",
    "minimum": "at_least", "min": "at_least", "≥": "at_least", ">=": "at_least",
    "more than": "more_than", "over": "more_than", "above": "more_than",
    "exceeds": "more_than", "exceeding": "more_than", "greater than": "more_than",
    "longer than": "more_than", "older than": "more_than", "beyond": "more_than",
    ">": "more_than",
    "less than": "less_than", "fewer than": "less_than", "under": "less_than",
    "below": "less_than", "shorter than": "less_than", "<": "less_than",
    "about": "approx", "around": "approx", "approximately": "approx", "approx.": "approx",
    "roughly": "approx", "nearly": "approx", "almost": "approx", "~": "approx",
    "some": "approx", "circa": "approx", "an estimated": "approx",
    "up to about": "at_most", "up to roughly": "at_most",
}  # fmt: skip
_BOUND_AFTER: dict[str, Qualifier] = {
    "or more": "at_least", "or above": "at_least", "or higher": "at_least",
    "or greater": "at_least", "or longer": "at_least",
    "or fewer": "at_most", "or less": "at_most", "or below": "at_most",
    "or lower": "at_most", "or shorter": "at_most", "at most": "at_most",
    "at the most": "at_most", "or so": "approx", "at the latest": "at_most",
}  # fmt: skip

_BEFORE_RE = re.compile(
    "(?:^|(?<=[\\s(]))(?:"
    + "|".join(re.escape(p) for p in sorted(BOUND_BEFORE, key=len, reverse=True))
    + ")\\s*$",
    re.IGNORECASE,
)
_AFTER_RE = re.compile(
    "^\\s*(?:"
    + "|".join(re.escape(p) for p in sorted(_BOUND_AFTER, key=len, reverse=True))
    + ")(?![\\w])",
    re.IGNORECASE,
)


def bound_before(text: str, start: int) -> tuple[Qualifier, int] | None:
    """The bound phrase ending right before ``start`` ("up to " in "up to 10 MB")."""
    window = text[max(0, start - 24) : start]
    m = _BEFORE_RE.search(window)
    if m is None:
        return None
    phrase = " ".join(m.group().lower().split())
    return BOUND_BEFORE[phrase], start - len(window) + m.start()


def bound_after(text: str, end: int) -> Qualifier | None:
    """The bound phrase right after ``end`` ("or more" in "5 or more")."""
    m = _AFTER_RE.match(text[end : end + 24])
    if m is None:
        return None
    return _BOUND_AFTER[" ".join(m.group().lower().split())]


#: What a strict bound says when its clause is negated: "Do not run more than three" allows
#: at most three, "never less than 5 minutes" at least five.
_NEGATED: dict[Qualifier, Qualifier] = {"more_than": "at_most", "less_than": "at_least"}
_NEGATION = re.compile(r"\b(?:not|never|cannot|no)\b|n[’']t\b", re.IGNORECASE)
# where the clause holding a bound begins: punctuation, or a word opening another clause
_CLAUSE = re.compile(
    r"[.;:!?]|,\s|\b(?:if|when|whenever|unless|until|because|but|while|since|after|before|"
    r"which|that|who)\b",
    re.IGNORECASE,
)


def negated(text: str, start: int, qualifier: Qualifier) -> Qualifier:
    """``qualifier``, the bound of a phrase beginning at ``start``, as its clause states it:
    a strict bound under a negation of its clause turns over ("Do not keep logs longer than
    30 days": at most 30 days)."""
    return _NEGATED[qualifier] if bound_negation(text, start, qualifier) is not None else qualifier


def bound_negation(text: str, start: int, qualifier: Qualifier) -> int | None:
    """Where the negation that turns over a strict bound (``qualifier``, of the phrase at
    ``start``) stands in ``text``; None where no negation of its clause governs it."""
    if qualifier not in _NEGATED:
        return None
    before = text[:start]
    breaks = list(_CLAUSE.finditer(before))
    at = breaks[-1].end() if breaks else 0
    found = _NEGATION.search(before, at)
    return found.start() if found else None
