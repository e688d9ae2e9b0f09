"""Numbers without a unit of measure: ports, status codes, years, counts, plain numbers.

What a bare number is depends on its neighbours: "port 8443" and ":8443" are ports; "HTTP
413", "returns 422" and "400 IDEMPOTENCY_KEY_REQUIRED" are status codes; "30 connections"
is a count of connections ("twice" and "3 times" count times); "40 emails per second" is a
rate; 1970-2099 alone is a year; anything else is a number. Afterwards ranges ("between 2
and 5", "1–20 MB") share their unit, lists ("502, 503 and 504") share their kind, and a
bare number right after a config key with a unit suffix (``reserve_timeout_ms`` ... 1500)
takes that unit.
"""

from __future__ import annotations

import re

from checks.language import STOPWORDS

from ._identifiers import identifier_parts
from ._lexicon import DURATION_UNITS
from ._numbers import NUMBER, parse_number
from ._scan import Found, Scan

__all__ = ["attach_keys", "link_ranges", "scan_plain"]

_NUM = re.compile(rf"{NUMBER}|\b(?:once|twice|thrice)\b", re.IGNORECASE)
_PORT_BEFORE = re.compile(
    r"(?:\bports?\s*:?\s*(?:number\s*)?|\blisten(?:s|ing)?\s+on\s+(?:port\s+)?|(?<![\w/]):)$",
    re.IGNORECASE,
)
_STATUS_CUE = re.compile(r"\b(?:HTTPS?|status(?:\s+code)?|code|error)\s*:?\s*$", re.IGNORECASE)
_STATUS_VERB = re.compile(
    r"(?:\b(?:return(?:s|ed|ing)?|respond(?:s|ed)?(?:\s+with)?|answer(?:s|ed)?(?:\s+with)?|"
    r"receive[sd]?|reject(?:s|ed)?\s+with|fail(?:s|ed)?\s+with)\s+(?:an?\s+|the\s+)?"
    r"|\b(?:gets?|got|with)\s+an?\s+)$",
    re.IGNORECASE,
)
_REASONS = (
    "OK|Created|Accepted|No Content|Moved|Found|Not Modified|Bad Request|Unauthorized|"
    "Payment Required|Forbidden|Not Found|Method Not Allowed|Conflict|Gone|Precondition|"
    "Payload Too Large|Content Too Large|Unsupported Media Type|Unprocessable|Too Many|"
    "Internal Server Error|Not Implemented|Bad Gateway|Service Unavailable|Gateway Timeout"
)
_STATUS_AFTER = re.compile(rf"^[\s`'\"(|:-]*(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|(?:{_REASONS})\b)")
_REASON_AFTER = re.compile(rf"\s(?:{_REASONS})\b")
_STATUS_ARTICLE = re.compile(r"\b(?:an?|the)\s+$", re.IGNORECASE)
_STATUS_NOUN_AFTER = re.compile(r"^\s*(?:from|response|responses|errors?|status|codes?)\b", re.I)
_NOUN_AFTER = re.compile(
    r"[ \u00a0](?P<w1>[A-Za-z][A-Za-z\-]*)(?:[ \u00a0](?P<w2>[A-Za-z][A-Za-z\-]*))?"
)
_RATE = re.compile(
    r"\s*(?:per|a|an|/)\s*(?P<u>second|minute|hour|day|week|month|year|sec|min|hr|s|h)\b", re.I
)
_ONCE_OK_AFTER = re.compile(r"^\s*(?:$|[.,;:)!?]|if\b|when\b|more\b|again\b|or\b|and\b|only\b)")
_ONCE_OK_BEFORE = re.compile(r"\b(?:at\s+least|at\s+most|only|exactly|just|more\s+than)\s+$", re.I)
_RANGE_GAP = re.compile(r"^\s*(?:–|—|-|to|through|and)\s*$")
_POINT_GAP = re.compile(r"^\s*(?:–|—|-|to|through|until|till|and)\s*$")
_SENTENCE_BREAK = re.compile(r"[.!?]\s|\n")

_KEY_UNITS: dict[str, tuple[str, str, float]] = {
    "ms": ("duration", "ms", 1e-3), "msec": ("duration", "ms", 1e-3),
    "s": ("duration", "s", 1.0), "sec": ("duration", "s", 1.0), "secs": ("duration", "s", 1.0),
    "seconds": ("duration", "s", 1.0), "minutes": ("duration", "min", 60.0),
    "mins": ("duration", "min", 60.0), "hours": ("duration", "h", 3600.0),
    "hrs": ("duration", "h", 3600.0), "days": ("duration", "d", 86400.0),
    "weeks": ("duration", "week", 604800.0),
    "bytes": ("size", "B", 1.0), "kb": ("size", "KB", 1e3), "mb": ("size", "MB", 1e6),
    "gb": ("size", "GB", 1e9), "kib": ("size", "KiB", 2.0**10), "mib": ("size", "MiB", 2.0**20),
    "gib": ("size", "GiB", 2.0**30), "pct": ("percent", "%", 1.0),
    "percent": ("percent", "%", 1.0),
}  # fmt: skip


def scan_plain(scan: Scan) -> None:
    text = scan.text
    for m in scan.matches(_NUM):
        raw = m.group()
        start, end = m.start(), m.end()
        nxt = text[end : end + 1]
        if nxt and (nxt.isalnum() or nxt == "_"):
            continue  # "3rd", "10x", a number glued to a word
        if nxt == "." and text[end + 1 : end + 2].isdigit():
            continue
        lower = raw.lower()
        if lower in ("once", "twice", "thrice"):
            _times(scan, lower, start, end)
            continue
        value = parse_number(raw)
        if value is None:
            continue
        before, after = text[max(0, start - 40) : start], text[end : end + 60]
        integral = value == int(value) and raw.replace(",", "").strip().isdigit()
        if integral and _PORT_BEFORE.search(before) and 1 <= value <= 65535:
            scan.add("port", start, end, int(value), amount=value)
        elif integral and 100 <= value <= 599 and _is_status(before, after):
            reason = _REASON_AFTER.match(after)  # "410 Gone": the phrase belongs to the code
            stop = end + reason.end() if reason else end
            scan.add("status_code", start, stop, int(value), amount=value)
        else:
            _count_or_number(scan, raw, value, start, end, integral)


def _times(scan: Scan, word: str, start: int, end: int) -> None:
    if word == "once":
        text = scan.text
        if not (_ONCE_OK_AFTER.match(text[end:]) or _ONCE_OK_BEFORE.search(text[:start])):
            return  # "once the payment is authorised" is a conjunction
    scan.add("count", start, end, float({"once": 1, "twice": 2, "thrice": 3}[word]), "time")


def _is_status(before: str, after: str) -> bool:
    """A status code: "HTTP 413", "400 BAD_KEY", "410 Gone"; "returns 422" unless a noun follows."""
    if _STATUS_CUE.search(before) or _STATUS_AFTER.match(after):
        return True
    noun = _NOUN_AFTER.match(after)
    counted = noun is not None and noun["w1"].lower() not in STOPWORDS
    if counted and not _STATUS_NOUN_AFTER.match(after):
        return False  # "returns 120 requests" counts requests
    if _STATUS_VERB.search(before):
        return True
    return bool(_STATUS_ARTICLE.search(before) and _STATUS_NOUN_AFTER.match(after))


def _count_or_number(
    scan: Scan, raw: str, value: float, start: int, end: int, integral: bool
) -> None:
    text = scan.text
    noun_m = _NOUN_AFTER.match(text, end)
    noun = None
    noun_end = end
    if noun_m is not None:
        w1, w2 = noun_m["w1"], noun_m["w2"]
        if w1.lower() not in STOPWORDS and w1.lower() not in ("of",):
            if (
                not w1.lower().endswith("s")
                and w2
                and w2.lower().endswith("s")
                and (w2.lower() not in STOPWORDS)
            ):
                noun, noun_end = w2, noun_m.end("w2")
            elif not w1.lower().endswith(("ed", "ing", "ly")):
                noun, noun_end = w1, noun_m.end("w1")
    year = integral and 1970 <= value <= 2099 and "," not in raw and raw.isdigit()
    if year and (noun is None or not noun.lower().endswith("s")):
        scan.add("date", start, end, str(int(value)))  # "in 2024", "the 2024 peak freeze"
        return
    if raw.lower() == "one" and noun is None:
        return  # "the new one", "one of"
    if noun is not None:
        rate = _RATE.match(text, noun_end)
        if rate is not None:
            per = DURATION_UNITS[rate["u"].lower()][1]
            unit = f"{noun.lower()}/s"
            scan.add("count", start, end, value / per, unit, value)
            return
        scan.add("count", start, end, value, noun.lower(), value)
        return
    rate = _RATE.match(text, end)
    if rate is not None:
        per = DURATION_UNITS[rate["u"].lower()][1]
        scan.add("count", start, end, value / per, "/s", value)
        return
    scan.add("number", start, end, value, None, value)


def link_ranges(text: str, found: list[Found]) -> tuple[list[Found], dict[int, str]]:
    """Give the low end of a range its high end's unit; report which values are range ends.

    Returns the updated values and ``{start: "range_low" | "range_high"}``.
    """
    found = sorted(found, key=lambda f: f.start)
    marks: dict[int, str] = {}
    numeric = ("number", "count", "duration", "size", "percent", "money")
    _link_points(text, found, marks)
    for i in range(len(found) - 1):
        a, b = found[i], found[i + 1]
        if a.kind not in numeric or b.kind not in numeric:
            continue
        gap = text[a.end : b.start]
        if not _RANGE_GAP.match(gap):
            continue
        word = gap.strip()
        lead = text[max(0, a.start - 12) : a.start].lower()
        if word == "and" and not lead.rstrip().endswith("between"):
            continue
        if word in ("to", "through") and not (
            lead.rstrip().endswith(("from", "between")) or a.kind == "number"
        ):
            continue
        if a.kind == "number" and b.kind != "number" and b.amount:
            factor = float(b.norm) / b.amount if isinstance(b.norm, float | int) else 1.0
            a = Found(b.kind, a.start, a.end, (a.amount or 0.0) * factor, b.unit, a.amount)
            found[i] = a
        marks[a.start] = "range_low"
        marks[b.start] = "range_high"
    return found, marks


def _link_points(text: str, found: list[Found], marks: dict[int, str]) -> None:
    """Ranges of dates or times: "from 2024-11-22 00:00 UTC to 2024-12-03", "09:00–17:00"."""
    for i, a in enumerate(found):
        if a.kind not in ("date", "time"):
            continue
        for j in (i + 1, i + 2):
            if j >= len(found) or found[j].kind != a.kind:
                continue
            between = found[i + 1 : j]
            if any(f.kind != "time" for f in between) or (between and a.kind != "date"):
                continue
            gap_start = between[-1].end if between else a.end
            word = text[gap_start : found[j].start]
            if not _POINT_GAP.match(word):
                continue
            lead = text[max(0, a.start - 12) : a.start].lower().rstrip()
            if word.strip() == "and" and not lead.endswith("between"):
                continue
            marks[a.start] = "range_low"
            marks[found[j].start] = "range_high"
            break


def attach_keys(text: str, found: list[Found]) -> tuple[list[Found], dict[int, str]]:
    """Which setting each number is the value of, and the unit that setting's name implies.

    In "| `reserve_timeout_ms` | `CHECKOUT_TIMEOUT_MS` | 1500 |", "timeout_ms: 1500" or
    "a 1500 ms timeout (`reserve_timeout_ms`)" the number belongs to the key: the key names
    its role, and a bare number takes the unit of a ``*_ms``/``*_hours``/``*_mb`` key.
    Returns the values (bare numbers converted) and ``{value start: key}``.
    """
    ids = [f for f in found if f.kind == "identifier" and f.unit in _SETTING_NAMES]
    out: list[Found] = []
    keys: dict[int, str] = {}
    for f in found:
        if f.kind not in _MEASURED:
            out.append(f)
            continue
        owners = _owners(text, f, ids, found)
        if owners:
            keys[f.start] = str(owners[0].norm)
        unit = next((u for u in map(_key_unit, owners) if u is not None), None)
        if f.kind != "number" or f.amount is None or unit is None:
            out.append(f)
            continue
        kind, canon, factor = unit
        out.append(Found(kind, f.start, f.end, f.amount * factor, canon, f.amount))
    return out, keys


_SETTING_NAMES = frozenset({"key", "constant", "snake", "camel"})
_MEASURED = frozenset({"number", "count", "duration", "size", "percent", "money"})
_PAREN_AFTER = re.compile(r"\s*(?:[a-z]+\s+)?\(\s*(?:env\s+)?`?$")


def _owners(text: str, f: Found, ids: list[Found], found: list[Found]) -> list[Found]:
    """Keys a number is the value of: up to two just before it, or one in parentheses after."""
    numbers = [g.start for g in found if g.kind in _MEASURED and g is not f]
    before: list[Found] = []
    for ident in sorted((i for i in ids if i.end <= f.start), key=lambda i: -i.end):
        between = text[ident.end : f.start]
        if len(between) > 80 or _SENTENCE_BREAK.search(between):
            break
        if any(ident.end <= n < f.start for n in numbers):
            break
        before.append(ident)
        if len(before) == 2:
            break
    if before:
        return before
    for ident in ids:
        if ident.start >= f.end and _PAREN_AFTER.fullmatch(text[f.end : ident.start]):
            return [ident]
    return []


def _key_unit(ident: Found) -> tuple[str, str, float] | None:
    parts = identifier_parts(str(ident.norm))
    return _KEY_UNITS[parts[-1]] if parts and parts[-1] in _KEY_UNITS else None
