"""Reading one number as written: digits with separators, words, scales.

``NUMBER`` is a regular-expression fragment for a number in digits ("3,180", "1.5", "10k")
or words ("five", "twenty-five", "a dozen"), optionally followed by a scale word ("1.2
million"); ``parse_number`` turns such a match into a float.
"""

from __future__ import annotations

import re

from ._lexicon import NUMBER_WORDS, SCALE_WORDS

__all__ = ["DIGITS", "NUMBER", "WORD_NUMBER", "may_hold_number", "parse_number"]

_ONES = "|".join(sorted((w for w in NUMBER_WORDS if NUMBER_WORDS[w] < 100), key=len, reverse=True))
_SCALES = "|".join(SCALE_WORDS)

#: Digits, not glued to a word or a dotted name on the left.
DIGITS = r"(?<![\w.])(?<!\w-)(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:\s?[kK](?![\w]))?"
#: A number spelled out: "five", "twenty-five", "a hundred", "a dozen".
WORD_NUMBER = (
    rf"\b(?:(?:{_ONES})(?:[- ](?:{_ONES}))?(?:\s+hundred)?|a\s+(?:hundred|dozen))(?![\w-])"
)
NUMBER = rf"(?:{DIGITS}|{WORD_NUMBER})(?:\s+(?:{_SCALES})\b)?"


_ASCII_WORD = re.compile(r"[a-z]+")
_NUMBER_WORDS = frozenset(NUMBER_WORDS)


def may_hold_number(text: str) -> bool:
    """False only when no ``NUMBER`` can match in ``text``: ASCII without a digit or a number
    word. Any other text may (case-insensitive patterns fold some non-ASCII letters to
    ASCII ones), so extractors skip their ``NUMBER`` patterns only on a sure ``False``."""
    if not text.isascii() or any(c.isdigit() for c in text):
        return True
    return not _NUMBER_WORDS.isdisjoint(_ASCII_WORD.findall(text.lower()))


def parse_number(text: str) -> float | None:
    """The value of ``text`` (one ``NUMBER`` match), or ``None`` when it is not one."""
    s = " ".join(text.lower().replace("-", " ").split())
    scale = 1.0
    for word, factor in SCALE_WORDS.items():
        if s.endswith(" " + word):
            s = s[: -len(word) - 1].strip()
            scale = factor
            break
    if s.endswith("k") and s[:-1].strip().replace(",", "").replace(".", "", 1).isdigit():
        s = s[:-1].strip()
        scale *= 1e3
    digits = s.replace(",", "")
    if digits and all(c in "0123456789." for c in digits) and digits.count(".") <= 1:
        if digits in (".",) or digits.startswith(".") or digits.endswith("."):
            return None
        return float(digits) * scale
    total = 0.0
    current = 0.0
    seen = False
    for part in s.split():
        if part == "a":
            current = max(current, 1.0)
            continue
        if part == "hundred":
            current = max(current, 1.0) * 100
            seen = True
            continue
        if part == "dozen":
            current = max(current, 1.0) * 12
            seen = True
            continue
        value = NUMBER_WORDS.get(part)
        if value is None:
            return None
        current += value
        seen = True
    total += current
    return total * scale if seen else None
