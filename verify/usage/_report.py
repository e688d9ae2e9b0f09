"""The usage report: tokens against verified units, per run, agent, user or team.

``assemble`` turns a ``Source`` (``_source``) into ranked ``Row``s: token totals, verified
units (``_units``), wasted tokens by category (``_waste``, each call's waste counted under one
category so the numbers add up), flags, and a few lines of evidence per flag.
``build_report`` does it from frames (every row read and judged); ``ledger_report``
(``_stored``) from the sums the ledger keeps, with the same result.

``since`` leaves runs started before it out of the rows, not out of the judging: a
near-duplicate of an older run's output is still one, and a task's medians are over all its
runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..ledger import SUMS, Frames, Totals
from ._attribute import run_stats
from ._source import FrameSource, Source, label, raw_keys
from ._units import UnitParts, UnitWeights
from ._waste import CATEGORIES, Thresholds

__all__ = ["BY_CHOICES", "Report", "Row", "Series", "assemble", "build_report"]

BY_CHOICES = ("run", "agent", "user", "team")
EVIDENCE = 3  # lines of evidence per flag
TREND_SERIES = 6


@dataclass(frozen=True)
class Row:
    key: str
    runs: int
    prompt_tokens: int
    completion_tokens: int
    verified_units: float
    waste: dict[str, int]
    flags: tuple[str, ...] = ()
    evidence: dict[str, list[str]] = field(default_factory=dict)
    excess_tokens: int = 0  # tokens above comparable runs (the tokenmaxxing rule)
    outcome_unknown: int = 0  # actions recorded before they ran, their outcome never written

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def units_per_1k_tokens(self) -> float:
        """Verified units per 1,000 tokens (a row with no tokens divides by one token)."""
        return 1000.0 * self.verified_units / max(self.tokens, 1)

    @property
    def tokens_per_unit(self) -> float:
        return self.tokens / self.verified_units if self.verified_units > 0 else math.inf

    @property
    def wasted_tokens(self) -> int:
        return sum(self.waste.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "verified_units": round(self.verified_units, 4),
            "units_per_1k_tokens": round(self.units_per_1k_tokens, 4),
            "waste": dict(self.waste),
            "flags": list(self.flags),
            "runs": self.runs,
            "tokens_per_unit": (
                None if math.isinf(self.tokens_per_unit) else round(self.tokens_per_unit, 2)
            ),
            "wasted_tokens": self.wasted_tokens,
            "excess_tokens": self.excess_tokens,
            "outcome_unknown": self.outcome_unknown,
            "evidence": {k: list(v) for k, v in self.evidence.items()},
        }


@dataclass(frozen=True)
class Series:
    """Tokens and verified units per UTC day (days since 1970-01-01) for one key."""

    key: str
    days: list[int]
    tokens: list[int]
    units: list[float]


@dataclass(frozen=True)
class Report:
    by: str
    rows: list[Row]
    trend: list[Series] = field(default_factory=list)
    max_tokens_per_unit: float | None = None

    def over_budget(self) -> list[Row]:
        limit = self.max_tokens_per_unit
        if limit is None:
            return []
        return [r for r in self.rows if r.tokens > 0 and r.tokens_per_unit > limit]

    def to_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "rows": [r.to_json() for r in self.rows],
            "categories": list(CATEGORIES),
            "max_tokens_per_unit": self.max_tokens_per_unit,
        }


def _distinct(lines: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(lines))[:EVIDENCE]


def check_by(by: str) -> None:
    if by not in BY_CHOICES:
        raise ValueError(f"by must be one of {BY_CHOICES}, not {by!r}")


def build_report(
    frames: Frames,
    by: str = "user",
    *,
    weights: UnitWeights | None = None,
    thresholds: Thresholds | None = None,
    max_tokens_per_unit: float | None = None,
    since: float | None = None,
) -> Report:
    """Rows ranked by verified units per 1k tokens (best first); ties by units, then tokens.

    Every call of ``frames`` is judged; runs started before ``since`` are left out of the rows.
    """
    check_by(by)
    weights, th = weights or UnitWeights(), thresholds or Thresholds()
    source = FrameSource(run_stats(frames, weights, th), by, since)
    return assemble(
        source, by, weights=weights, thresholds=th, max_tokens_per_unit=max_tokens_per_unit
    )


def _sum_rows(
    codes: npt.NDArray[np.int64], sums: npt.NDArray[np.int64], n: int
) -> npt.NDArray[np.float64]:
    """``sums`` rows added up per code (0 to n - 1): integers, exact in float64."""
    columns = [np.bincount(codes, weights=sums[:, j], minlength=n) for j in range(len(SUMS))]
    return np.asarray(np.column_stack(columns), dtype=np.float64).reshape(n, len(SUMS))


def _parts(sums: npt.NDArray[np.float64]) -> UnitParts:
    """The unit parts of rows of summed ``SUMS`` columns (exact integers in float64)."""
    col = {
        c: sums[..., SUMS.index(c)].astype(np.int64)
        for c in ("claims", "acts", "lines", "reported")
    }
    return UnitParts(col["claims"], col["acts"], col["lines"], col["reported"])


def assemble(
    source: Source,
    by: str,
    *,
    weights: UnitWeights,
    thresholds: Thresholds,
    max_tokens_per_unit: float | None = None,
) -> Report:
    """Add ``source``'s totals up per row of ``by``, flag, explain and rank them."""
    th = thresholds
    totals = source.totals()
    names: dict[str, int] = {}
    row_key = np.fromiter(
        (names.setdefault(label(by, k), len(names)) for k in totals.keys),
        dtype=np.int64,
        count=len(totals),
    )
    nkeys = len(names)
    sums = _sum_rows(row_key, totals.sums, nkeys)
    column = {c: sums[:, j] for j, c in enumerate(SUMS)}
    tokens = column["prompt"] + column["completion"]
    units = _parts(sums).units(weights)
    run_count = np.bincount(row_key, weights=totals.runs, minlength=nkeys).astype(np.int64)
    keys = list(names)

    flags: list[list[str]] = [[] for _ in range(nkeys)]
    evidence: list[dict[str, list[str]]] = [{} for _ in range(nkeys)]
    for c in CATEGORIES:
        hit = np.flatnonzero((column[c] > 0) & (column[c] >= th.flag_share * tokens)).tolist()
        wanted = {keys[k]: raw_keys(by, keys[k]) for k in hit}
        found = source.examples(c, wanted, 3 * EVIDENCE) if wanted else {}
        for k in hit:
            flags[k].append(c)
            if found.get(keys[k]):
                evidence[k][c] = _distinct(found[keys[k]])
    maxxing = np.flatnonzero(column["tokenmaxxing"] > 0).tolist()
    wanted = {keys[k]: raw_keys(by, keys[k]) for k in maxxing}
    found = source.examples("tokenmaxxing", wanted, EVIDENCE) if wanted else {}
    for k in maxxing:
        flags[k].append("tokenmaxxing")
        evidence[k]["tokenmaxxing"] = found.get(keys[k], [])
    unknown_count = [0] * nkeys
    for key, why in source.unknown():
        at = names.get(label(by, key))
        if at is None:  # a run the totals do not hold (written after they were read)
            continue
        unknown_count[at] += 1
        lines = evidence[at].setdefault("outcome_unknown", [])
        if len(lines) < EVIDENCE:
            lines.append(why)
        if "outcome_unknown" not in flags[at]:
            flags[at].append("outcome_unknown")

    # plain Python numbers from here on: indexing numpy per row and column is slow at 100k
    rate = (1000.0 * units / np.maximum(tokens, 1)).tolist()  # Row.units_per_1k_tokens
    prompt_l, completion_l = column["prompt"].tolist(), column["completion"].tolist()
    units_l, tokens_l, runs_l = units.tolist(), tokens.tolist(), run_count.tolist()
    excess_l = column["excess"].tolist()
    waste_l = {c: column[c].astype(np.int64).tolist() for c in CATEGORIES}
    order: dict[str, tuple[float, float, float, str]] = {}
    rows = []
    for key, k in names.items():
        row_flags = flags[k]
        if units_l[k] <= 0 and tokens_l[k] > 0:
            row_flags.append("no_verified_work")
        if (
            max_tokens_per_unit is not None
            and tokens_l[k] > 0
            and (units_l[k] <= 0 or tokens_l[k] / units_l[k] > max_tokens_per_unit)
        ):
            row_flags.append("over_budget")
        rows.append(
            Row(
                key=key,
                runs=runs_l[k],
                prompt_tokens=int(prompt_l[k]),
                completion_tokens=int(completion_l[k]),
                verified_units=units_l[k],
                waste={c: waste_l[c][k] for c in CATEGORIES},
                flags=tuple(row_flags),
                evidence=evidence[k],
                excess_tokens=int(excess_l[k]),
                outcome_unknown=unknown_count[k],
            )
        )
        order[key] = (-rate[k], -units_l[k], tokens_l[k], key)
    rows.sort(key=lambda r: order[r.key])
    trend = _trend(totals, by, rows, row_key, names, weights)
    return Report(by, rows, trend, max_tokens_per_unit)


def _trend(
    totals: Totals,
    by: str,
    rows: list[Row],
    row_key: npt.NDArray[np.int64],
    names: dict[str, int],
    weights: UnitWeights,
) -> list[Series]:
    """Per-day totals for everything, and for the keys that spent most (not for --by run)."""
    if len(totals) == 0:
        return []

    def series(key: str, mask: npt.NDArray[np.bool_]) -> Series:
        days, inverse = np.unique(totals.day[mask], return_inverse=True)
        per_day = _sum_rows(inverse, totals.sums[mask], len(days))
        tok = per_day[:, SUMS.index("prompt")] + per_day[:, SUMS.index("completion")]
        uni = _parts(per_day).units(weights)
        return Series(
            key, [int(d) for d in days], [int(t) for t in tok], [round(float(u), 4) for u in uni]
        )

    out = [series("all", np.ones(len(totals), dtype=bool))]
    if by != "run":
        top = sorted(rows, key=lambda r: (-r.tokens, r.key))[:TREND_SERIES]
        out += [series(r.key, row_key == names[r.key]) for r in top]
    return out
