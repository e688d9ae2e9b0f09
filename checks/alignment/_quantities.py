"""Quantities with a unit: money, sizes, percentages and durations.

Durations normalize to seconds: "30s", "30 seconds", "half a minute" -> 30.0; "a quarter of
an hour" -> 900.0; "three days" and "72-hour" -> 259200.0; "once a minute" and "every
minute" -> 60.0 (a period). Five *business* days keep their own unit and never compare with
calendar days. Sizes normalize to bytes ("10 MB" -> 1e7, "10 MiB" -> 10485760.0),
percentages to the float before the sign, money to the amount with the currency as unit.
"""

from __future__ import annotations

import re

from ._lexicon import (
    CURRENCY_CODES,
    CURRENCY_SYMBOLS,
    DURATION_UNITS,
    FRACTIONS,
    SCALE_WORDS,
    SIZE_UNITS,
)
from ._numbers import DIGITS, NUMBER, may_hold_number, parse_number
from ._scan import Scan

__all__ = ["UNIT_WORDS", "scan_quantities"]

_LONG_UNITS = sorted(
    (u for u in DURATION_UNITS if len(u) >= 2 and u != "us"), key=len, reverse=True
)
_DUR_SPACED = "|".join(re.escape(u) for u in _LONG_UNITS)
_DUR_COMPACT = "|".join(re.escape(u) for u in sorted(DURATION_UNITS, key=len, reverse=True))
_SINGULAR_UNITS = "second|minute|hour|day|week|month|year|night"
_SIZE_WORDS = "|".join(sorted((u for u in SIZE_UNITS if len(u) > 2), key=len, reverse=True))

#: Words that, after a number, make it a quantity of this module.
UNIT_WORDS: frozenset[str] = (
    frozenset(DURATION_UNITS)
    | frozenset(SIZE_UNITS)
    | frozenset({"percent", "%", "pp", "business", "working"})
    | frozenset(SCALE_WORDS)
)

_MONEY_SYMBOL = re.compile(
    rf"(?P<cur>[$£€¥₹])\s?(?P<n>{DIGITS})(?:\s*(?P<scale>million|billion|thousand|bn|m)\b)?",
    re.IGNORECASE,
)
_MONEY_CODE_BEFORE = re.compile(rf"\b(?P<cur>[A-Z]{{3}})\s?(?P<n>{DIGITS})")
_MONEY_CODE_AFTER = re.compile(rf"(?P<n>{DIGITS})\s?(?P<cur>[A-Z]{{3}})\b")

_SIZE = re.compile(
    rf"(?P<n>{NUMBER})(?:\s?|-)"
    rf"(?P<u>(?i:kib|mib|gib|tib|pib|kb|mb|gb|tb|pb|{_SIZE_WORDS})|B)(?![\w])",
)
_PERCENT = re.compile(
    rf"(?P<n>{NUMBER})\s?(?P<u>%|(?i:percent|per\s+cent)\b|(?i:percentage\s+points?)\b|pp\b)"
)
_BUSINESS = re.compile(
    rf"(?P<n>{NUMBER})(?:\s|-)(?:business|working)(?:\s|-)days?\b", re.IGNORECASE
)
_PERIOD = re.compile(
    rf"\b(?P<count>once|twice|thrice|(?P<n>{NUMBER})\s+times)\s+(?:a|an|per|every|each)\s+"
    rf"(?P<u>{_SINGULAR_UNITS})\b",
    re.IGNORECASE,
)
_EVERY = re.compile(rf"\b(?:every|each)\s+(?P<u>{_SINGULAR_UNITS})\b", re.IGNORECASE)
# "120 s", "24 h": one-letter units after a space only behind digits
_SPACED_LETTER = re.compile(rf"(?P<n>{DIGITS})\s(?P<u>s|h)(?![\w'’])")
_ADVERB = re.compile(r"\b(?P<u>hourly|daily|nightly|weekly|monthly|yearly|annually)\b", re.I)
_FRACTION = re.compile(
    rf"\b(?:(?:a|one)\s+)?(?P<f>{'|'.join(FRACTIONS)})(?:\s+of)?\s+(?:a|an)\s+"
    rf"(?P<u>{_SINGULAR_UNITS})\b",
    re.IGNORECASE,
)
_AND_A_HALF = re.compile(
    rf"(?:\b(?P<a>a|an|one)|(?P<n>{NUMBER}))\s+(?P<u>{_DUR_SPACED})\s+and\s+a\s+half\b"
    rf"|(?P<n2>{NUMBER})\s+and\s+a\s+half\s+(?P<u2>{_DUR_SPACED})\b",
    re.IGNORECASE,
)
_DURATION = re.compile(
    rf"(?P<n>{NUMBER})(?:(?:\s|-)(?P<u>{_DUR_SPACED})|(?P<c>{_DUR_COMPACT}))(?![\w])",
    re.IGNORECASE,
)
_ARTICLE_UNIT = re.compile(rf"\b(?:a|an|one)\s+(?P<u>{_SINGULAR_UNITS})\b", re.IGNORECASE)
_ADVERB_SECONDS = {"hourly": 3600.0, "daily": 86400.0, "nightly": 86400.0,
                   "weekly": 604800.0, "monthly": 30 * 86400.0, "yearly": 365 * 86400.0,
                   "annually": 365 * 86400.0}  # fmt: skip
_COUNT_WORDS = {"once": 1.0, "twice": 2.0, "thrice": 3.0}


def scan_quantities(scan: Scan) -> None:
    numbered = may_hold_number(scan.text)  # money, sizes and percents start with a number
    if numbered:
        _numbered(scan)
    _durations(scan, numbered=numbered)


def _numbered(scan: Scan) -> None:
    _money(scan)
    for m in scan.matches(_SIZE):
        n = parse_number(m["n"])
        unit = m["u"].lower() if m["u"] != "B" else "b"
        if n is None or unit not in SIZE_UNITS:
            continue
        canon, factor = SIZE_UNITS[unit]
        scan.add("size", m.start(), m.end(), n * factor, unit=canon, amount=n)
    for m in scan.matches(_PERCENT):
        n = parse_number(m["n"])
        if n is not None:
            unit = "pp" if m["u"].lower().startswith(("percentage", "pp")) else "%"
            scan.add("percent", m.start(), m.end(), n, unit=unit, amount=n)


def _seconds(unit: str) -> tuple[str, float] | None:
    unit = unit.lower()
    if unit == "night":
        return "d", 86400.0
    return DURATION_UNITS.get(unit)


def _durations(scan: Scan, *, numbered: bool) -> None:
    """``numbered``: ``may_hold_number(scan.text)``; without, patterns of a number are skipped."""
    for m in scan.matches(_BUSINESS) if numbered else ():
        n = parse_number(m["n"])
        if n is not None:
            scan.add("duration", m.start(), m.end(), n * 86400.0, "business day", n)
    for m in scan.matches(_PERIOD):
        count = _COUNT_WORDS.get(m["count"].lower()) if m["n"] is None else parse_number(m["n"])
        per = _seconds(m["u"])
        if count and per:
            scan.add("duration", m.start(), m.end(), per[1] / count, "period", count)
    for m in scan.matches(_FRACTION):
        per = _seconds(m["u"])
        if per:
            fraction = FRACTIONS[m["f"].lower()]
            scan.add("duration", m.start(), m.end(), per[1] * fraction, per[0], fraction)
    for m in scan.matches(_AND_A_HALF):
        unit = m["u"] or m["u2"]
        n = 1.0 if m["a"] else parse_number(m["n"] or m["n2"] or "")
        per = _seconds(unit)
        if n is not None and per:
            scan.add("duration", m.start(), m.end(), per[1] * (n + 0.5), per[0], n + 0.5)
    for m in scan.matches(_DURATION) if numbered else ():
        n = parse_number(m["n"])
        unit = m["u"] or m["c"]
        per = _seconds(unit)
        if n is None or per is None:
            continue
        if m["c"] and not m["n"][-1:].isdigit():
            continue  # "fivem" is not "five minutes"
        scan.add("duration", m.start(), m.end(), n * per[1], per[0], n)
    for m in scan.matches(_SPACED_LETTER):
        n = parse_number(m["n"])
        per = _seconds(m["u"])
        if n is not None and per:
            scan.add("duration", m.start(), m.end(), n * per[1], per[0], n)
    for m in scan.matches(_EVERY):
        per = _seconds(m["u"])
        if per:
            start = m.start("u")
            scan.add("duration", start, m.end(), per[1], "period", 1.0)
    for m in scan.matches(_ARTICLE_UNIT):
        per = _seconds(m["u"])
        if per:
            scan.add("duration", m.start(), m.end(), per[1], per[0], 1.0)
    for m in scan.matches(_ADVERB):
        scan.add("duration", m.start(), m.end(), _ADVERB_SECONDS[m["u"].lower()], "period", 1.0)


def _money(scan: Scan) -> None:
    for m in scan.matches(_MONEY_SYMBOL):
        n = parse_number(m["n"])
        if n is None:
            continue
        scale = (m["scale"] or "").lower()
        factor = SCALE_WORDS.get(scale, {"bn": 1e9, "m": 1e6}.get(scale, 1.0))
        scan.add("money", m.start(), m.end(), n * factor, CURRENCY_SYMBOLS[m["cur"]], n)
    for pattern in (_MONEY_CODE_BEFORE, _MONEY_CODE_AFTER):
        for m in scan.matches(pattern):
            n = parse_number(m["n"])
            if n is not None and m["cur"] in CURRENCY_CODES:
                scan.add("money", m.start(), m.end(), n, m["cur"], n)
