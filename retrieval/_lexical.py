"""The FTS5 queries for a text: its terms, and which of them are too common to match on.

FTS5 computes BM25 for every row a MATCH expression admits, so a query of terms that a
large share of the corpus holds costs as much as a scan while those terms rank next to
nothing. As in Lucene's "common terms" query, a term whose document frequency is above
``COMMON_SHARE`` of the chunks *and* above ``COMMON_MIN_DF`` rows is common:

- with a rarer term in the query, only rows holding a rarer term are admitted, and the
  common terms still add to their BM25 score (their scores equal a plain OR query's);
- a query made only of common terms admits the rows holding all of them, and when those
  are too few, the rows holding all but one (rows holding more terms then score higher).

Below ``COMMON_MIN_DF`` rows no term is common, so small and mid-sized corpora rank
exactly as the plain OR query would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import combinations

__all__ = ["COMMON_MIN_DF", "COMMON_SHARE", "match_plan", "phrase", "query_terms"]

COMMON_SHARE = 0.05
COMMON_MIN_DF = 5000

_TOKEN = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    (
        "a an and are as at be by can do does for from has have how i if in into is it its me "
        "my of on or our so that the their them then there these they this to was we what when "
        "where which who why will with you your should would could about after before than"
    ).split()
)


def query_terms(query: str) -> list[str]:
    """The distinct lowercased word tokens of ``query`` that are not stop words, in order."""
    return list(dict.fromkeys(t for t in _TOKEN.findall(query.lower()) if t not in _STOP))


def phrase(term: str) -> str:
    """``term`` as an FTS5 string (a phrase of its tokens), quotes doubled."""
    return '"' + term.replace('"', '""') + '"'


def _any(terms: Sequence[str]) -> str:
    return "(" + " OR ".join(map(phrase, terms)) + ")"


def _all(terms: Sequence[str]) -> str:
    return "(" + " AND ".join(map(phrase, terms)) + ")"


def match_plan(
    terms: Sequence[str], rows: int, document_frequency: Callable[[str], int]
) -> list[str]:
    """FTS5 MATCH expressions for ``terms`` over a table of ``rows`` rows, to try in order
    until one admits enough rows (each admits a superset of the one before); [] for none.

    ``document_frequency(term)`` counts the rows holding ``term``; it is asked only when
    the table is large enough for a term to be common.
    """
    if not terms:
        return []
    cutoff = max(COMMON_MIN_DF, COMMON_SHARE * rows)
    if rows <= cutoff:
        return [_any(terms)]
    common = [t for t in terms if document_frequency(t) > cutoff]
    rare = [t for t in terms if t not in common]
    if not common:
        return [_any(terms)]
    if rare:  # every term, but not the rows whose only terms are common ones
        return [f"{_any(terms)} NOT ({_any(common)} NOT {_any(rare)})"]
    plan = [_all(common)]
    if len(common) >= 3:
        plan.append(" OR ".join(_all(c) for c in combinations(common, len(common) - 1)))
    return plan
