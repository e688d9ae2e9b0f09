"""A light stemmer: the base every step compares words by.

The stemmer is deliberately crude (suffix stripping plus a table of irregular forms): it only
has to make "retries"/"retried"/"retry" or "reservation"/"reserve" meet, the same way on
both sides of a comparison, so a rough but consistent reduction is enough.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ._lexicon import BASE_WORDS, SYNONYMS
from ._verbs import IRREGULAR_FORMS

__all__ = ["stem"]

_VOWEL = re.compile(r"[aeiouy]")
_KEEP_DOUBLE = frozenset("lsz")


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = _BASES.get(w, w)
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


#: every form -> the word to stem instead: irregular verb forms ("wrote" -> "write"), agent
#: nouns and abbreviations ("owner" -> "own", "db" -> "database")
_BASES: dict[str, str] = {**IRREGULAR_FORMS, **BASE_WORDS}
_SYN_STEMS: dict[str, str] = {_strip(_BASES.get(k, k)): _strip(v) for k, v in SYNONYMS.items()}
