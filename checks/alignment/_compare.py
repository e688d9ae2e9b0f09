"""When two values say the same thing, and when they could contradict each other.

``agree(a, b)``: the same value in different surface forms ("30s" / "half a minute";
"72 hours" / "three days"; "March 2024" / "2024-03-12"; "3.4" / "3.4.2"; "Team Hazel" /
"Hazel"). A bare number agrees with a quantity of the same magnitude ("within fifteen" /
"15 minutes").

``comparable(a, b)``: the two measure the same dimension, so a difference between them can be
a contradiction: durations with durations, counts of the same noun, ports with ports, a key
with a key. A bare number compares with any count, port or status code.

``consistent(a, b)``: they agree, or one of them is approximate and the two are close
(within 25 %). Only comparable values that are not consistent can conflict. A bound met by
an exact value ("up to 5" / "3") is *not* consistent on purpose: documents and claims state
the same setting, and "up to 6 minutes" against "6 seconds" is a unit error, not a bound.

MB vs MiB: ``extract_values`` keeps them apart (10 MB = 10,000,000 bytes, 10 MiB =
10,485,760), but documents use "MB" for both so often that "10 MB" and "10 MiB" are taken to
agree: the same amount with the same prefix, differing only in decimal vs binary reading.
Calling that a contradiction would flag true claims more often than it catches false ones.
"""

from __future__ import annotations

from checks.language import stem

from ._values import Value

__all__ = ["agree", "comparable", "consistent", "date_fields", "opposite_bounds", "relative_gap"]

_SCALAR = frozenset({"number", "count", "port", "status_code"})
_MEASURES = frozenset({"duration", "size", "percent", "money"})
_APPROX_AGREE = 0.10
_APPROX_CONFLICT = 0.25
_UPPER = frozenset({"at_most", "less_than", "range_high"})
_LOWER = frozenset({"at_least", "more_than", "range_low"})


def relative_gap(x: float, y: float) -> float:
    scale = max(abs(x), abs(y))
    return 0.0 if scale == 0 else abs(x - y) / scale


def _num(v: Value) -> float | None:
    return float(v.norm) if isinstance(v.norm, int | float) else None


def comparable(a: Value, b: Value) -> bool:
    if a.kind in _SCALAR and b.kind in _SCALAR:
        return _scalars_comparable(a, b)
    if a.kind != b.kind:
        return False
    if a.kind == "identifier":
        return a.unit == b.unit
    if a.kind in ("duration", "percent", "money"):
        return _unit_class(a) == _unit_class(b)
    if a.kind == "date":
        if a.unit == "weekday" or b.unit == "weekday":
            return a.unit == b.unit
        fx, fy = date_fields(str(a.norm)), date_fields(str(b.norm))
        return any(k in fy for k in fx)  # "2024" and "--11-25" say nothing of each other
    return True


def _unit_class(v: Value) -> str:
    if v.kind == "duration":  # a length of time, a period ("nightly"), business days
        return {"business day": "business", "period": "period"}.get(v.unit or "", "time")
    return v.unit or ""


def _scalars_comparable(a: Value, b: Value) -> bool:
    if "number" in (a.kind, b.kind):
        bare, other = (a, b) if a.kind == "number" else (b, a)
        if other.kind in ("port", "status_code"):
            return _plausible(other.kind, bare)  # "# 3" is no rival for port 8081
        return not (_is_rate(a) or _is_rate(b)) or a.kind == b.kind
    if a.kind != b.kind:
        return False
    if a.kind == "count":
        return _same_noun(a.unit, b.unit)
    return True


def _plausible(kind: str, bare: Value) -> bool:
    x = _num(bare)
    if x is None or x != int(x):
        return False
    return 100 <= x <= 599 if kind == "status_code" else 100 <= x <= 65535


def _is_rate(v: Value) -> bool:
    return v.kind == "count" and bool(v.unit) and "/" in (v.unit or "")


def _same_noun(x: str | None, y: str | None) -> bool:
    if not x or not y:
        return True
    xs = [stem(p) for p in x.split("/")]
    ys = [stem(p) for p in y.split("/")]
    return xs == ys


def agree(a: Value, b: Value) -> bool:
    if a.kind == "identifier" or b.kind == "identifier":
        return a.kind == b.kind and _same_identifier(a, b)
    if a.kind in ("date", "time", "version") or b.kind in ("date", "time", "version"):
        return a.kind == b.kind and _same_point(a, b)
    x, y = _num(a), _num(b)
    if x is None or y is None:
        return False
    if a.kind == "number" or b.kind == "number":
        # a bare number agrees with a quantity of the same magnitude as written
        xa = a.amount if a.amount is not None else x
        ya = b.amount if b.amount is not None else y
        if a.kind != b.kind and xa is not None and ya is not None and _close(a, b, xa, ya):
            return True
    if not comparable(a, b) and not (a.kind == b.kind and a.kind in _MEASURES):
        return False
    if a.kind == "size" and b.kind == "size" and _si_iec_pair(a, b):
        return True
    return _close(a, b, x, y)


def _close(a: Value, b: Value, x: float, y: float) -> bool:
    gap = relative_gap(x, y)
    if "approx" in (a.qualifier, b.qualifier):
        return gap <= _APPROX_AGREE
    return gap <= 1e-9


def _si_iec_pair(a: Value, b: Value) -> bool:
    if a.amount is None or b.amount is None or a.amount != b.amount or not a.unit or not b.unit:
        return False
    return a.unit.replace("i", "").upper() == b.unit.replace("i", "").upper()


def consistent(a: Value, b: Value) -> bool:
    """They agree, or one is approximate and the other close to it."""
    if agree(a, b):
        return True
    x, y = _num(a), _num(b)
    if x is None or y is None:
        return False
    return "approx" in (a.qualifier, b.qualifier) and relative_gap(x, y) <= _APPROX_CONFLICT


def opposite_bounds(a: Value, b: Value) -> bool:
    """Bounds on opposite sides of the same number: "at most 5" against "at least 5"."""
    return (a.qualifier in _UPPER and b.qualifier in _LOWER - {"range_low"}) or (
        a.qualifier in _LOWER - {"range_low"} and b.qualifier in _UPPER - {"range_high"}
    )


def _same_identifier(a: Value, b: Value) -> bool:
    x, y = str(a.norm), str(b.norm)
    if a.unit == "name" or b.unit == "name":
        xs, ys = x.casefold().split(), y.casefold().split()
        if not xs or not ys:
            return False
        small, big = (xs, ys) if len(xs) <= len(ys) else (ys, xs)
        return all(w in big for w in small)  # "Hazel" names "Team Hazel"
    if x == y:
        return True
    return x.casefold() == y.casefold() and (a.unit in _CASELESS or b.unit in _CASELESS)


_CASELESS = frozenset({"kebab", "snake", "header", "channel", "email", "code", "camel"})


def date_fields(norm: str) -> dict[str, str]:
    """{"year", "month", "day"} present in an ISO-like date at the precision written."""
    if norm.startswith("--"):
        month, day = norm[2:].split("-")
        return {"month": month, "day": day}
    parts = norm.split("-")
    return dict(zip(("year", "month", "day"), parts, strict=False))


def _same_point(a: Value, b: Value) -> bool:
    if a.kind == "version":
        x, y = a.norm, b.norm
        if not isinstance(x, tuple) or not isinstance(y, tuple):
            return False
        n = min(len(x), len(y))
        return x[:n] == y[:n]
    if a.kind == "time":
        return a.norm == b.norm
    if (a.unit == "weekday") != (b.unit == "weekday"):
        return False
    if a.unit == "weekday":
        return a.norm == b.norm
    fx, fy = date_fields(str(a.norm)), date_fields(str(b.norm))
    common = [k for k in fx if k in fy]
    return bool(common) and all(fx[k] == fy[k] for k in common)
