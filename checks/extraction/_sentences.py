"""Sentence boundaries inside Markdown blocks: ``units`` and the public ``split_sentences``.

A terminator (``.``, ``!``, ``?``, an ellipsis) ends a sentence only when whitespace or the
end of its block follows, so ``v3.14.2``, ``1.5 GB``, ``src/app.py``, ``Corvex.js`` and
URLs never split. Inline code spans and URLs are opaque. A period after a known
abbreviation does not split (``e.g.``, ``Dr.``, ``No. 5``), except that a few which often
end sentences (``etc.``, ``U.S.``, ``Inc.``) split before a typical sentence opener. A
line ending in a colon ends its sentence ("The ports are:").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Final, Literal

from checks.extraction._blocks import blocks, trim
from checks.extraction._visible import visible
from checks.language import code_spans, wordset

__all__ = ["Unit", "UnitKind", "split_sentences", "units"]

UnitKind = Literal["sentence", "heading", "code", "row", "header_row"]

_TERMINATOR = re.compile(r"[.!?…。！？‼⁇⁈⁉]+")
_CJK_TERMINATORS = frozenset("。！？")
_CLOSERS = frozenset("\"'”’»)]}*_")
_FOOTNOTE = re.compile(r"\[\d{1,3}\]")
_URL = re.compile(r"(?:https?|ftp|file)://[^\s<>`]+|www\.[^\s<>`]+", re.IGNORECASE)
_URL_TAIL = ".,;:!?'\")]"
_COLON_EOL = re.compile(r":[ \t]*\r?\n")
_ACRONYM = re.compile(r"(?:[a-z]\.)+[a-z]")
_PLAIN_LOWER = re.compile(r"[a-z]+[,;:]?")

#: Never end a sentence: titles and in-sentence Latin/English abbreviations.
_NEVER: Final = wordset(
    """
    e.g i.e eg vs v cf approx viz esp ca resp incl excl dr mr mrs ms prof rev gen col lt sgt
    capt hon gov sen rep mt messrs w.r.t a.k.a"""
)
#: End no sentence when a number follows ("No. 5", "Fig. 3", "v. 2").
_NUMBERED: Final = wordset(
    "no nos fig figs eq eqs sec ch vol vols pp p art ref ver nr op para tab pt ex"
)
#: May end a sentence: split only when a typical sentence opener follows.
_MAYBE: Final = wordset(
    """
    inc ltd co corp jr sr al bros llc min max mins secs hr hrs dept univ est st ave jan feb
    mar apr jun jul aug sep sept oct nov dec"""
)
_OPENERS: Final = wordset(
    """
    The This That These Those It Its They Their There He She His Her We Our You Your I In On
    At For But And However If When After Before A An So Then Also As To By With Each Every All
    Some Most Many One Both Only During Since While Although Because Here Now Today Yes No
    Note See"""
)


@dataclass(frozen=True, slots=True)
class Unit:
    """One sentence, heading, code block or table row of a text."""

    start: int
    end: int
    kind: UnitKind
    header: tuple[str, ...] = ()


def _protected(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Inline code spans and URLs inside ``[start, end)``, sorted, non-overlapping."""
    spans = sorted(code_spans(text, start, end).items())
    for m in _URL.finditer(text, start, end):
        s, e = m.start(), m.end()
        while e > s and text[e - 1] in _URL_TAIL:
            e -= 1
        k = bisect.bisect_right(spans, (s, end))
        if not (k and spans[k - 1][1] > s) and not (k < len(spans) and spans[k][0] < e):
            spans.insert(k, (s, e))
    return spans


def _inside(spans: list[tuple[int, int]], i: int) -> bool:
    k = bisect.bisect_right(spans, (i, 1 << 62)) - 1
    return k >= 0 and spans[k][0] <= i < spans[k][1]


def _next_word(text: str, i: int, end: int) -> str:
    while i < end and text[i].isspace():
        i += 1
    j = i
    while j < end and not text[j].isspace():
        j += 1
    return text[i:j].lstrip("\"'“‘(*_[")


def _period_ends(prev: str, following: str) -> bool:
    """Whether a single period after token ``prev`` ends the sentence before ``following``."""
    if not prev:
        return True
    low = prev.lower()
    if low in _NEVER:
        return False
    if low in _NUMBERED and following[:1].isdigit():
        return False
    if low == "etc":
        return following[:1].isupper()
    if low in _MAYBE or _ACRONYM.fullmatch(low) or (len(prev) == 1 and prev.isupper()):
        return following.rstrip(",;:") in _OPENERS
    return True


def _is_boundary(text: str, i: int, j: int, end: int) -> int:
    """Where the sentence ends for the terminator run ``text[i:j]``; -1 if it does not."""
    run = text[i:j]
    while j < end and text[j] in _CLOSERS:
        j += 1
    if run[-1] in _CJK_TERMINATORS:
        return j
    if j < end and not text[j].isspace():
        m = _FOOTNOTE.match(text, j, end)
        if not m or (m.end() < end and not text[m.end()].isspace()):
            return -1
        j = m.end()
    if j >= end:
        return j
    following = _next_word(text, j, end)
    if "?" in run or "!" in run or "‼" in run:
        return -1 if _PLAIN_LOWER.fullmatch(following) else j
    if len(run) > 1 or "…" in run:  # an ellipsis ends a sentence before a capital only
        return j if following[:1].isupper() else -1
    k = i
    while k > 0 and not text[k - 1].isspace():
        k -= 1
    prev = re.split(r"[-/–]", text[k:i].lstrip("\"'“‘([*_"))[-1]  # "Korea-U.S." -> "U.S"
    return j if _period_ends(prev, following) else -1


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    protected = _protected(text, start, end)
    cuts: list[int] = []
    for m in _TERMINATOR.finditer(text, start, end):
        if _inside(protected, m.start()):
            continue
        cut = _is_boundary(text, m.start(), m.end(), end)
        if cut >= 0:
            cuts.append(cut)
    for m in _COLON_EOL.finditer(text, start, end):
        if not _inside(protected, m.start()):
            cuts.append(m.start() + 1)
    spans: list[tuple[int, int]] = []
    s = start
    for cut in [*sorted(set(cuts)), end]:
        if cut <= s:
            continue
        a, b = trim(text, s, cut)
        if a < b:
            spans.append((a, b))
        s = cut
    return spans


def units(text: str) -> list[Unit]:
    """Every sentence, heading, fenced code block and table row of ``text``, in order."""
    out: list[Unit] = []
    for block in blocks(text):
        if block.kind == "para":
            out.extend(
                Unit(s, e, "sentence") for s, e in _sentence_spans(text, block.start, block.end)
            )
        else:
            out.append(Unit(block.start, block.end, block.kind, block.header))
    return out


def split_sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` spans of the sentences of ``text``; fenced code blocks are left out.

    Headings, list items and table rows are units of their own; list markers, heading
    marks and surrounding whitespace are trimmed, so ``text[start:end]`` is the sentence.
    Sentences are found in what a reader sees (``_visible``), as claims are: a hidden
    character neither ends a sentence nor joins two.
    """
    shown, origin = visible(text)
    spans = [(u.start, u.end) for u in units(shown) if u.kind != "code"]
    if shown == text:
        return spans
    return [(origin[s], origin[e - 1] + 1) for s, e in spans]
