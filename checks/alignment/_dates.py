"""Dates, times of day and versions.

Dates normalize to ISO 8601 at the precision written: "2024-05-01" ("May 1, 2024",
"1 May 2024"), "2024-05" ("May 2024"), "--11-25" ("25 November", no year) and "2024" (a
bare year, read in ``_numbers_scan``); weekdays to their lowercase name with unit
"weekday". Times of day normalize to "HH:MM" (24 h). Versions normalize to a tuple of ints:
"v3.14" -> (3, 14), "4.12.x" -> (4, 12), "Python 3.11" -> (3, 11).
"""

from __future__ import annotations

import re

from checks.language import STOPWORDS

from ._lexicon import MONTHS, WEEKDAYS
from ._scan import Scan

__all__ = ["scan_dates", "scan_times", "scan_versions"]

_MONTH = (
    r"(?P<month>January|February|March|April|May|June|July|August|September|October|"
    r"November|December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
)
_DAY = r"(?P<day>[0-3]?[0-9])(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)[0-9]{2})(?![0-9])"

_ISO = re.compile(r"(?<![\w\-/.])(?P<year>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})(?![\w\-])")
_MDY = re.compile(rf"\b{_MONTH}\s+{_DAY}(?![\w:])(?:,?\s+{_YEAR})?")
_DMY = re.compile(rf"(?<![\w.]){_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+{_YEAR})?(?![\w])")
_MY = re.compile(rf"\b{_MONTH}\s+{_YEAR}")
_WEEKDAY = re.compile(r"\b(?P<w>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)s?\b")

_TIME = re.compile(
    r"(?<![\w:.])(?P<h>[01]?[0-9]|2[0-3]):(?P<m>[0-5][0-9])(?::[0-5][0-9])?(?![\w:])"
    r"(?:\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)(?![\w]))?"
    r"(?:\s*(?P<tz>UTC|GMT|Z)\b)?"
)
_TIME_12 = re.compile(
    r"(?<![\w:.])(?P<h>1[0-2]|0?[1-9])\s?(?P<ampm>am|pm|a\.m\.|p\.m\.)(?![\w])", re.IGNORECASE
)

_END = r"(?![\w]|[.,][0-9A-Za-z])"  # not glued to more of a word; a full stop may follow
_V_PREFIX = re.compile(rf"(?<![\w.\-/])[vV](?P<v>[0-9]+(?:\.[0-9]+){{0,3}})(?:\.[xX])?{_END}")
_THREE_PART = re.compile(
    r"(?<![\w.\-/])(?P<v>[0-9]+\.[0-9]+\.[0-9]+(?:\.[0-9]+)?)(?:[-+][0-9A-Za-z.]*[0-9A-Za-z])?"
    + _END
)
_WILDCARD = re.compile(rf"(?<![\w.\-/])(?P<v>[0-9]+(?:\.[0-9]+)?)\.[xX*]{_END}")
_VERSION_WORD = re.compile(rf"\b[Vv]ersion\s+(?P<v>[0-9]+(?:\.[0-9]+){{0,3}}){_END}")
_AFTER_NAME = re.compile(rf"(?P<name>[A-Za-z][\w\-]*)\s(?P<v>[0-9]+(?:\.[0-9]+)?)(?!%){_END}")
_NOT_PRODUCT = frozenset(
    {"http", "https", "port", "ports", "sev", "step", "table", "figure", "page", "section",
     "chapter", "line", "item", "issue", "pr", "ticket", "room", "floor", "no", "nr", "number"}
)  # fmt: skip
_UNIT_AFTER = re.compile(
    r"\s*(?:%|[a-zA-Z]+\b)", re.IGNORECASE
)  # what follows a number; checked against unit words by the caller


def scan_dates(scan: Scan) -> None:
    for m in scan.matches(_ISO):
        y, mo, d = int(m["year"]), int(m["m"]), int(m["d"])
        if 1 <= mo <= 12 and 1 <= d <= 31:
            scan.add("date", m.start(), m.end(), f"{y:04d}-{mo:02d}-{d:02d}")
    for pattern in (_MDY, _DMY):
        for m in scan.matches(pattern):
            month = MONTHS[m["month"].rstrip(".").lower()]
            day = int(m["day"])
            if not 1 <= day <= 31:
                continue
            year = m["year"]
            norm = f"{year}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"
            scan.add("date", m.start(), m.end(), norm)
    for m in scan.matches(_MY):
        month = MONTHS[m["month"].rstrip(".").lower()]
        scan.add("date", m.start(), m.end(), f"{m['year']}-{month:02d}")
    for m in scan.matches(_WEEKDAY):
        name = m["w"].lower()
        if name in WEEKDAYS:
            scan.add("date", m.start(), m.end(), name, unit="weekday")


def scan_times(scan: Scan) -> None:
    for pattern in (_TIME, _TIME_12):
        for m in scan.matches(pattern):
            hour = int(m["h"])
            minute = int(m.groupdict().get("m") or 0)
            ampm = (m["ampm"] or "").lower().replace(".", "")
            if ampm == "pm" and hour < 12:
                hour += 12
            elif ampm == "am" and hour == 12:
                hour = 0
            tz = m.groupdict().get("tz")
            scan.add("time", m.start(), m.end(), f"{hour:02d}:{minute:02d}", unit=tz or None)


def scan_versions(scan: Scan, unit_words: frozenset[str]) -> None:
    """Versions; ``unit_words`` are words that make "3.5 hours" a quantity, not a version."""
    for pattern in (_V_PREFIX, _THREE_PART, _WILDCARD, _VERSION_WORD):
        for m in scan.matches(pattern):
            parts = tuple(int(p) for p in m["v"].split("."))
            scan.add("version", m.start(), m.end(), parts, unit=None, amount=None)
    for m in _AFTER_NAME.finditer(scan.text):
        name, start = m["name"], m.start("v")
        lower = name.lower()
        if lower in _NOT_PRODUCT or lower in MONTHS or lower in WEEKDAYS:
            continue
        dotted = "." in m["v"]
        if lower in STOPWORDS and (name.islower() or not dotted):
            continue  # "About 40", but "Go 1.22" is the language
        plain = name[1:].islower()
        if plain and _opens_sentence(scan.text, m.start("name")):
            continue  # "Returns 200 with the cart" is a verb, not a product
        if not scan.free(start, m.end()):
            continue
        after = _UNIT_AFTER.match(scan.text, m.end())
        word = after.group().strip() if after is not None else ""
        if word.lower() in unit_words:
            continue  # "3.5 hours" is a duration
        if not dotted and word.islower() and word.endswith("s") and word not in STOPWORDS:
            continue  # "Kafka 3 brokers" is a count
        name_is_identifier = not scan.free(m.start("name"), m.end("name"))
        if _looks_like_product(name) or (name_is_identifier and dotted):
            scan.add("version", start, m.end(), tuple(int(p) for p in m["v"].split(".")))


def _opens_sentence(text: str, pos: int) -> bool:
    head = text[:pos].rstrip()
    return not head or head[-1] in ".!?:;|•*#\n-"


def _looks_like_product(name: str) -> bool:
    """A capitalized or mixed-case name ("Python", "PostgreSQL", "Go", "JVM")."""
    return name[:1].isupper() and any(c.isalpha() for c in name)
