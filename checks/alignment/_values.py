"""Values a sentence states: what ``extract_values`` finds and how it normalizes them.

A :class:`Value` is one stated value with its exact span (``text[start:end] == raw``), its
``kind`` and a ``norm`` that compares across surface forms:

============  ===============================================  =========================
kind          written as                                       norm
============  ===============================================  =========================
duration      "30s", "30 seconds", "half a minute", "2h"       seconds (float)
size          "10 MB", "10MiB", "1.5 GB"                       bytes (float)
percent       "58%", "38 percent"                              the number (float)
date          "May 1, 2024", "1 May 2024", "2024-05-01"        ISO string, as precise
                                                               as written ("2024-05",
                                                               "--11-25", "2024")
time          "09:00 UTC", "3 pm"                              "HH:MM"
version       "3.14.2", "v3.14", "Python 3.11", "4.12.x"       tuple of ints
port          "port 8443", ":8443"                             int
status_code   "HTTP 413", "returns 422", "400 BAD_KEY"         int
money         "£96,400", "USD 10"                              amount; unit = currency
count         "30 connections", "five units", "twice"          the number; unit = noun
number        anything else numeric, "fifteen"                 float
identifier    keys, env vars, paths, endpoints, names, ...     the identifier; unit =
                                                               subtype (see
                                                               ``_identifiers``)
============  ===============================================  =========================

``qualifier`` says how the value is stated: "exact", a bound ("at_most" for "up to 10 MB",
"at_least", "more_than", "less_than"), "approx" ("about 40"), or one end of a range
("range_low"/"range_high" for "between 2 and 5", "1–20"). ``key`` names the setting a number
is the value of, when a config key or env var stands right before it (a table row, "key:
value") or in parentheses after it ("a 1500 ms timeout (`reserve_timeout_ms`)"); a bare
number takes the unit such a key implies (``*_ms``, ``*_hours``, ``*_mb``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, cast

from ._bounds import Qualifier, bound_after, bound_before, negated
from ._catalog import KIND_RULE
from ._dates import scan_dates, scan_times, scan_versions
from ._identifiers import find_identifiers, find_names
from ._plain import attach_keys, link_ranges, scan_plain
from ._quantities import UNIT_WORDS, scan_quantities
from ._scan import Found, Norm, Scan
from ._switches import disabled
from ._table import header_unit, row_cells

__all__ = ["Norm", "Value", "ValueKind", "extract_values", "rule_of"]

ValueKind = Literal[
    "number", "duration", "size", "percent", "date", "time", "version", "port",
    "status_code", "identifier", "money", "count",
]  # fmt: skip

_LIST_GAP = re.compile(r"^\s*(?:,|and|or|/|,\s*and|,\s*or)\s*$")
_UNIT_SHOWN = {"duration", "size", "percent", "money"}


@dataclass(frozen=True)
class Value:
    """One value stated in a text; ``raw == text[start:end]``."""

    kind: ValueKind
    raw: str
    norm: Norm
    start: int
    end: int
    unit: str | None = None
    qualifier: Qualifier = "exact"
    amount: float | None = None  # the number as written, before unit conversion
    key: str | None = None  # the setting it is the value of: "cart.max_line_items" for its 50

    def describe(self) -> str:
        """How an explanation names the value: "port 8080", "1500 (ms)", "30 connections"."""
        if self.kind == "port":
            return self.raw if "port" in self.raw.lower() else f"port {self.raw}"
        if self.kind == "count" and self.unit and not self.unit.startswith("/"):
            noun = self.unit.split("/", 1)[0]
            return f"{self.raw} {noun}" if noun.lower() not in self.raw.lower() else self.raw
        bare = not any(c.isalpha() for c in self.raw) and not self.raw.endswith("%")
        if self.kind in _UNIT_SHOWN and self.unit and bare:
            return f"{self.raw} ({self.unit})"  # a unit read from a key name: "1500 (ms)"
        return self.raw


def extract_values(text: str) -> list[Value]:
    """Every value of ``text``, left to right, never overlapping; a kind whose rule is
    switched off (``disabled_rules``) is left out."""
    off = disabled()
    if not off:
        return list(_extract(text, frozenset()))
    return [v for v in _extract(text, off & _READING) if rule_of(v) not in off]


#: rules of how values are read (not of a value kind): ``_extract`` reads a text once for
#: each set of them switched off
_READING = frozenset({"negated-bounds", "table-rows"})


def rule_of(v: Value) -> str:
    """The rule that reads values like ``v`` ("durations", "names", ...)."""
    return "names" if v.kind == "identifier" and v.unit == "name" else KIND_RULE[v.kind]


@lru_cache(maxsize=4096)
def _extract(text: str, unread: frozenset[str]) -> tuple[Value, ...]:
    """The values of ``text``, read without the rules of ``unread`` (of ``_READING``)."""
    scan = Scan(text)
    for ident in find_identifiers(text):
        scan.add("identifier", ident.start, ident.end, ident.norm, unit=ident.subtype)
    scan_dates(scan)
    scan_times(scan)
    scan_versions(scan, UNIT_WORDS)
    scan_quantities(scan)
    scan_plain(scan)
    for name in find_names(text, scan.taken):
        scan.add("identifier", name.start, name.end, name.norm, unit=name.subtype)
    found = scan.found
    if "table-rows" not in unread:
        found = _header_units(text, found, unread)
    found, keys = attach_keys(text, found)
    found, marks = link_ranges(text, found)
    found = _share_list_kinds(text, found)
    ordered = sorted(found, key=lambda f: f.start)
    negate = "negated-bounds" not in unread
    return tuple(_value(text, f, marks.get(f.start), keys.get(f.start), negate) for f in ordered)


def _header_units(text: str, found: list[Found], unread: frozenset[str]) -> list[Found]:
    """A bare number that is a table cell's whole value takes the unit of its column's header:
    "Requests per minute: 600" is 600 requests per minute, "Timeout (ms): 45" 45 ms."""
    cells = {cell.value: cell.label for cell in row_cells(text)}
    if not cells:
        return found
    out = []
    for f in found:
        label = cells.get((f.start, f.end)) if f.kind == "number" else None
        unit = header_unit(text[label[0] : label[1]]) if label else None
        read = _extract(f"{text[f.start : f.end]} {unit}", unread) if unit else ()
        v = read[0] if read and read[0].start == 0 else None
        if v is not None and (v.kind in _UNITED or (v.kind == "count" and " per " in str(unit))):
            f = Found(v.kind, f.start, f.end, v.norm, v.unit, v.amount)
        out.append(f)
    return out


#: what a header's unit may make of a bare number: a measure, or a count of a rate ("Requests
#: per minute"), not a count of any word in parentheses ("Replicas (min)" is no count of mins)
_UNITED = frozenset({"duration", "size", "percent", "money"})


def _value(text: str, f: Found, mark: str | None, key: str | None, negate: bool) -> Value:
    qualifier: Qualifier = "exact"
    if mark is not None:
        qualifier = cast(Qualifier, mark)
    elif f.kind not in ("identifier", "date", "time", "version"):
        before = bound_before(text, f.start)
        if before is not None:
            qualifier = negated(text, before[1], before[0]) if negate else before[0]
        else:
            qualifier = bound_after(text, f.end) or "exact"
    return Value(
        kind=cast(ValueKind, f.kind),
        raw=text[f.start : f.end],
        norm=f.norm,
        start=f.start,
        end=f.end,
        unit=f.unit,
        qualifier=qualifier,
        amount=f.amount,
        key=key,
    )


def _share_list_kinds(text: str, found: list[Found]) -> list[Found]:
    """In "ports 8081 and 8082" or "400, 409 or 422 BAD_X", list members share a kind."""
    out = sorted(found, key=lambda f: f.start)
    for _ in range(2):  # forwards, then backwards
        for i in range(len(out) - 1):
            a, b = out[i], out[i + 1]
            if not _LIST_GAP.match(text[a.end : b.start]):
                continue
            for src, dst, j in ((a, b, i + 1), (b, a, i)):
                if src.kind in ("port", "status_code") and dst.kind == "number":
                    amount = dst.amount
                    if amount is not None and amount == int(amount) and _fits(src.kind, amount):
                        out[j] = Found(src.kind, dst.start, dst.end, int(amount), None, amount)
    return out


def _fits(kind: str, amount: float) -> bool:
    return 1 <= amount <= 65535 if kind == "port" else 100 <= amount <= 599
