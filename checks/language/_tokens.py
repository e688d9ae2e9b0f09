"""The one tokenizer: a text's tokens and words, with their offsets.

``tokenize`` splits a text at whitespace, an inline code span always one token: what clause
detection reads. ``words`` are the letter runs of those tokens (a word starts with a letter;
inner apostrophes stay, "isn't"; hyphens, dots and digits split), each with its stem: what
alignment compares. A word never crosses a token's edge, so ``words(text)`` is the words of
every token of ``tokenize(text)`` in order (tests/test_language.py holds it to that); it is
read with one regular expression over the text because alignment asks for the words of
every candidate sentence.

Offsets index the original text (never a lower-cased copy: ``"İ".lower()`` is two
characters long), so every span built from tokens slices the source exactly.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from ._lexicon import STOPWORDS
from ._stem import stem

__all__ = [
    "Token", "Word", "code_spans", "compounds", "content_stems", "is_content", "tokenize", "words",
]  # fmt: skip

_LEAD = "\"'“”‘’([{*_<>"
_TRAIL = "\"'“”‘’)]}*_<>,;:.!?…"
_IDENT_CHARS = frozenset("_-/.@#=:$\\+~|")
_BACKTICKS = re.compile(r"`+")
_NUMBER = re.compile(r"[~≈<>]?\d[\d.,:]*%?[a-z]{0,3}")
_PARTICLES = frozenset({"over", "out", "down", "back", "off"})
_INFLECTIONS = ("", "s", "es", "ed", "d", "ing")
# A word starts with a letter; inner apostrophes stay ("isn't"), hyphens and dots split.
_WORD = re.compile(r"[^\W\d_][\w'’]*", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    raw: str
    #: lower-cased, outer punctuation stripped, curly apostrophes straightened
    word: str
    #: holds an inline code span (`like this`)
    code: bool

    @property
    def ident(self) -> bool:
        """Code, a number or an identifier (``inventory_db``, ``v3.1``, ``search-api``)."""
        return self.code or any(c.isdigit() or c in _IDENT_CHARS for c in self.word)

    @property
    def numeric(self) -> bool:
        """Holds a digit: a number, a version, an identifier like ``0042_add_index``."""
        return any(c.isdigit() for c in self.word)

    @property
    def number(self) -> bool:
        """A quantity: ``30``, ``3,180``, ``30s``, ``09:00``, ``20%``."""
        return not self.code and _NUMBER.fullmatch(self.word) is not None

    @property
    def comma_after(self) -> bool:
        return self.raw.rstrip(_TRAIL.replace(",", "")).endswith(",")


def code_spans(text: str, start: int, end: int) -> dict[int, int]:
    """Inline code spans of ``text[start:end]`` as {opening offset: end offset}.

    CommonMark: a run of n backticks opens a span that closes at the next run of exactly n
    backticks; a run with no such partner is literal. Runs are paired by bisection, so
    unbalanced backticks cost O(r log r), not a rescan per run.
    """
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text, start, end)]
    by_length: dict[int, list[int]] = {}
    for n, (s, e) in enumerate(runs):
        by_length.setdefault(e - s, []).append(n)
    spans: dict[int, int] = {}
    n = 0
    while n < len(runs):
        s, e = runs[n]
        same = by_length[e - s]
        k = bisect.bisect_right(same, n)
        if k < len(same):
            spans[s] = runs[same[k]][1]
            n = same[k] + 1
        else:
            n += 1
    return spans


def _word(raw: str) -> str:
    word = raw.strip(_LEAD).rstrip(_TRAIL).strip(_LEAD)
    return word.lower().replace("’", "'")


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Whitespace-separated tokens of ``text[start:end]``, code spans kept whole."""
    stop = len(text) if end is None else end
    spans = code_spans(text, start, stop) if "`" in text[start:stop] else {}
    tokens: list[Token] = []
    i = start
    while i < stop:
        if text[i].isspace():
            i += 1
            continue
        t0 = i
        code = False
        while i < stop and not text[i].isspace():
            if text[i] == "`":
                if i in spans:
                    code = True
                    i = spans[i]
                    continue
                while i < stop and text[i] == "`":
                    i += 1
                continue
            i += 1
        raw = text[t0:i]
        tokens.append(Token(t0, i, raw, _word(raw), code))
    return tokens


@dataclass(frozen=True)
class Word:
    """One word token: its surface ``text``, lowercase ``lower``, ``stem`` and span."""

    text: str
    lower: str
    stem: str
    start: int
    end: int


def words(text: str) -> list[Word]:
    """The words of ``text``, left to right."""
    return list(_words(text))


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[Word, ...]:
    """``words`` of ``text``, read once: layout, polarity and the signals all ask."""
    out: list[Word] = []
    for m in _WORD.finditer(text):
        raw = m.group()
        lower = raw.lower().replace("’", "'")
        if lower.endswith("'s"):
            lower = lower[:-2]
        lower = lower.strip("'")
        if not lower:
            continue
        out.append(Word(raw, lower, stem(lower), m.start(), m.end()))
    return tuple(out)


def compounds(text: str, toks: list[Word], skip: list[bool]) -> dict[int, set[str]]:
    """Particle verbs spelled as one word: "fails over" -> "failover", "times out" -> "timeout".

    Returns token index -> the extra spellings of that token.
    """
    out: dict[int, set[str]] = {}
    for j in range(len(toks) - 1):
        a, b = toks[j], toks[j + 1]
        if skip[j] or b.lower not in _PARTICLES or text[a.end : b.start] not in (" ", "-"):
            continue
        joined = set()
        for suffix in _INFLECTIONS:
            if suffix and not a.lower.endswith(suffix):
                continue
            base = a.lower[: len(a.lower) - len(suffix)] if suffix else a.lower
            if len(base) >= 2:
                joined.add(stem(base + b.lower))
        out.setdefault(j, set()).update(joined)
    return out


def is_content(word: Word) -> bool:
    """A word that says what a sentence is about: not a stopword, not a lone letter."""
    return len(word.lower) > 1 and word.lower not in STOPWORDS


def content_stems(text: str) -> frozenset[str]:
    """The stems of the content words of ``text`` (``is_content``)."""
    return frozenset(w.stem for w in words(text) if is_content(w))
