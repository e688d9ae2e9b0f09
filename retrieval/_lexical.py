"""The FTS5 queries for a text: its terms, and which of them are too common to match on.

FTS5 computes BM25 for every row a MATCH expression admits (about 4 microseconds a row on
the measuring machine), so a query of terms that a large share of the corpus holds costs as
much as a scan while those terms rank next to nothing. As in Lucene's "common terms" query,
a term whose document frequency is above ``COMMON_SHARE`` of the chunks *and* above
``COMMON_MIN_DF`` rows is common -- and past 100,000 chunks, where 5% would grow with the
corpus, any term above ``COMMON_MAX_DF`` rows is, so that the rows a rare term admits (and
the BM25 work) stop growing with it:

- with a rarer term in the query, only rows holding a rarer term are admitted, and the
  common terms still add to their BM25 score (their scores equal a plain OR query's);
- a query made only of common terms admits the rows holding all of them, and when those
  are too few, the rows holding all but one (rows holding more terms then score higher).
  Such an expression may still admit tens of thousands of rows on a large corpus; the
  index then scores only about ``COMMON_SCORED_ROWS`` of them, the first in index order
  (as Elasticsearch's ``terminate_after``): see ``Index._lexical``.

Below ``COMMON_MIN_DF`` rows no term is common, so small and mid-sized corpora rank
exactly as the plain OR query would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

__all__ = [
    "COMMON_MAX_DF",
    "COMMON_MIN_DF",
    "COMMON_SCORED_ROWS",
    "COMMON_SHARE",
    "Plan",
    "match_plan",
    "phrase",
    "plan",
    "query_terms",
]

COMMON_SHARE = 0.05
COMMON_MIN_DF = 5000
COMMON_MAX_DF = 5000
#: Rows an expression of only common terms has scored by BM25 at most (about 20 ms).
COMMON_SCORED_ROWS = 5000

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


@dataclass(frozen=True)
class Plan:
    """MATCH expressions to try in order until one admits enough rows (each admits a
    superset of the one before), and whether the query's terms are all common."""

    matches: list[str]
    common_only: bool = False


def match_plan(
    terms: Sequence[str], rows: int, document_frequency: Callable[[str], int]
) -> list[str]:
    """``plan(...).matches``: the FTS5 MATCH expressions for ``terms``; [] for none."""
    return plan(terms, rows, document_frequency).matches


def plan(terms: Sequence[str], rows: int, document_frequency: Callable[[str], int]) -> Plan:
    """The plan for ``terms`` over a table of ``rows`` rows.

    ``document_frequency(term)`` counts the rows holding ``term``; it is asked only when
    the table is large enough for a term to be common.
    """
    if not terms:
        return Plan([])
    cutoff = max(COMMON_MIN_DF, min(COMMON_SHARE * rows, COMMON_MAX_DF))
    if rows <= cutoff:
        return Plan([_any(terms)])
    common = [t for t in terms if document_frequency(t) > cutoff]
    rare = [t for t in terms if t not in common]
    if not common:
        return Plan([_any(terms)])
    if rare:  # every term, but not the rows whose only terms are common ones
        return Plan([f"{_any(terms)} NOT ({_any(common)} NOT {_any(rare)})"])
    matches = [_all(common)]
    if len(common) >= 3:
        matches.append(" OR ".join(_all(c) for c in combinations(common, len(common) - 1)))
    return Plan(matches, common_only=True)
