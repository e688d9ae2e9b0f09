"""Words of a text: tokens with spans, a light stemmer, and what counts as content.

The stemmer is deliberately crude (suffix stripping plus a table of irregular forms): it only
has to make "retries"/"retried"/"retry" or "reservation"/"reserve" meet, the same way on
both sides of a comparison, so a rough but consistent reduction is enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ._lexicon import IRREGULAR, STOPWORDS, SYNONYMS

__all__ = ["Word", "compounds", "is_content", "stem", "words"]

# A word starts with a letter; inner apostrophes stay ("isn't"), hyphens and dots split.
_WORD = re.compile(r"[^\W\d_][\w'’]*", re.UNICODE)
_VOWEL = re.compile(r"[aeiouy]")
_KEEP_DOUBLE = frozenset("lsz")
_PARTICLES = frozenset({"over", "out", "down", "back", "off"})
_INFLECTIONS = ("", "s", "es", "ed", "d", "ing")


@dataclass(frozen=True)
class Word:
    """One word token: its surface ``text``, lowercase ``lower``, ``stem`` and span."""

    text: str
    lower: str
    stem: str
    start: int
    end: int


def words(text: str) -> list[Word]:
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


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = IRREGULAR.get(w, w)
    base = _strip(w)
    syn = _SYN_STEMS.get(base)
    return syn if syn is not None else base


def _strip(w: str) -> str:
    if len(w) <= 3 or not w.isalpha():
        return w
    for brit, amer in (("isation", "ization"), ("ised", "ized"), ("ising", "izing")):
        if w.endswith(brit) and len(w) > len(brit) + 3:
            w = w[: -len(brit)] + amer
            break
    if w.endswith("ically"):
        w = w[:-4]
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith(("ies", "ied")) and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix, keep in (("ation", 4), ("ment", 4), ("ness", 4), ("ing", 3), ("ed", 3),
                         ("ly", 4), ("ive", 5)):  # fmt: skip
        if w.endswith(suffix) and len(w) - len(suffix) >= keep:
            head = w[: -len(suffix)]
            if _VOWEL.search(head):
                w = head
                doubled = len(w) > 2 and w[-1] == w[-2] and w[-1] not in _KEEP_DOUBLE
                if suffix in ("ing", "ed") and doubled:
                    w = w[:-1]  # "stopped" -> "stop"
            break
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


_SYN_STEMS: dict[str, str] = {_strip(IRREGULAR.get(k, k)): _strip(v) for k, v in SYNONYMS.items()}
