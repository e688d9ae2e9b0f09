"""Claim extraction: cut an agent's answer into atomic, checkable claims.

``split_sentences`` finds sentence spans in Markdown-ish text (code spans, paths, versions,
abbreviations and list structure survive); ``extract_claims`` turns those sentences into
``Claim`` objects, splitting compounds and giving each part a self-contained wording, and
reports what it left out (questions, opinions, plans, instructions, code, headings, meta
talk, fragments) as ``Skipped`` spans.
"""

from checks.extraction._answers import (
    SHORT_WORDS,
    answer_claims,
    answer_statement,
    is_bare_answer,
)
from checks.extraction._checkable import REASONS, Reason
from checks.extraction._extract import Extraction, Skipped, extract_claims
from checks.extraction._sentences import split_sentences
from checks.extraction._visible import disguised, visible

__all__ = [
    "REASONS",
    "SHORT_WORDS",
    "Extraction",
    "Reason",
    "Skipped",
    "answer_claims",
    "answer_statement",
    "disguised",
    "extract_claims",
    "is_bare_answer",
    "split_sentences",
    "visible",
]
