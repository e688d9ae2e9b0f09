"""The usage report: tokens against verified units, per run, agent, user or team.

``build_report`` turns the ledger's columns into ranked ``Row``s: token totals, verified units
(``_units``), wasted tokens by category (``_waste``, each call's waste counted under one
category so the numbers add up), flags, and a few lines of evidence per flag.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..ledger import Frames
from ._context import build_context
from ._units import UnitWeights, run_units
from ._waste import CATEGORIES, FULL_CALL, PARTIAL, Thresholds, tokenmaxxing

__all__ = ["BY_CHOICES", "Report", "Row", "Series", "build_report"]

BY_CHOICES = ("run", "agent", "user", "team")
EVIDENCE = 3  # lines of evidence per flag
TREND_SERIES = 6
_DAY = 86400.0


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


def _key_labels(frames: Frames, by: str) -> list[str]:
    runs = frames.runs
    if by == "run":
        return list(runs.run_id)
    values: list[str] = {"agent": runs.agent, "user": runs.user, "team": runs.team}[by]
    return [v or f"(no {by})" for v in values]


def _distinct(lines: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(lines))[:EVIDENCE]


def _unknown_why(frames: Frames, action: int) -> str:
    run = frames.runs.run_id[int(frames.actions.run[action])]
    return (
        f"run {run} step {int(frames.actions.step[action])} {frames.actions.kind[action]} "
        f"{frames.summary(action)!r}: outcome unknown (recorded before it ran; it may have "
        "taken effect, its outcome was never written)"
    )


def _first_per_group(
    idx: npt.NDArray[np.int64], group: npt.NDArray[np.int64], limit: int
) -> dict[int, list[int]]:
    order = np.lexsort((idx, group))
    g = group[order]
    start = np.ones(len(g), dtype=bool)
    start[1:] = g[1:] != g[:-1]
    rank = np.arange(len(g)) - np.maximum.accumulate(np.where(start, np.arange(len(g)), 0))
    picked: dict[int, list[int]] = {}
    for i in order[rank < limit]:
        picked.setdefault(int(group[i]), []).append(int(idx[i]))
    return picked


def build_report(
    frames: Frames,
    by: str = "user",
    *,
    weights: UnitWeights | None = None,
    thresholds: Thresholds | None = None,
    max_tokens_per_unit: float | None = None,
) -> Report:
    """Rows ranked by verified units per 1k tokens (best first); ties by units, then tokens."""
    if by not in BY_CHOICES:
        raise ValueError(f"by must be one of {BY_CHOICES}, not {by!r}")
    weights, th = weights or UnitWeights(), thresholds or Thresholds()
    runs, calls = frames.runs, frames.calls
    labels = _key_labels(frames, by)
    names: dict[str, int] = {}
    run_key = np.fromiter(
        (names.setdefault(k, len(names)) for k in labels), dtype=np.int64, count=len(labels)
    )
    nkeys = len(names)
    call_key = run_key[calls.run]
    ctx = build_context(frames)

    # every call's waste counted once: the first full-call rule that fired, else the partials
    attributed: dict[str, npt.NDArray[np.int64]] = {}
    taken = np.zeros(len(calls), dtype=bool)
    whys: dict[str, Callable[[int], str]] = {}
    for rule in FULL_CALL:
        signal = rule(ctx, th)
        take = ~taken & (signal.waste > 0)
        attributed[signal.category] = np.where(take, signal.waste, 0)
        taken |= take
        whys[signal.category] = signal.why
    for rule in PARTIAL:
        signal = rule(ctx, th)
        attributed[signal.category] = np.where(~taken, signal.waste, 0)
        whys[signal.category] = signal.why

    def per_key(values: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
        return np.bincount(call_key, weights=values, minlength=nkeys).astype(np.float64)

    prompt, completion = per_key(calls.prompt), per_key(calls.completion)
    units_run = run_units(runs, frames.actions, weights)
    units = np.bincount(run_key, weights=units_run, minlength=nkeys)
    waste = {c: per_key(attributed[c]) for c in CATEGORIES}
    run_tokens = np.bincount(calls.run, weights=calls.tokens, minlength=len(runs)).astype(np.int64)
    excess_run, excess_why = tokenmaxxing(runs, ctx.task_group, run_tokens, units_run, th)
    excess = np.bincount(run_key, weights=excess_run, minlength=nkeys)
    tokens = prompt + completion

    flags: list[list[str]] = [[] for _ in range(nkeys)]
    evidence: list[dict[str, list[str]]] = [{} for _ in range(nkeys)]
    examples: list[tuple[str, int, list[int]]] = []
    for c in CATEGORIES:
        hit = (waste[c] > 0) & (waste[c] >= th.flag_share * tokens)
        for hit_key in np.flatnonzero(hit).tolist():
            flags[hit_key].append(c)
        idx = np.flatnonzero((attributed[c] > 0) & hit[call_key])
        picked = _first_per_group(idx, call_key[idx], 3 * EVIDENCE)
        examples += [(c, key_index, calls_) for key_index, calls_ in picked.items()]
    frames.prefetch(int(ctx.action[i]) for _, _, calls_ in examples for i in calls_)
    for c, key_index, calls_ in examples:
        evidence[key_index][c] = _distinct(whys[c](i) for i in calls_)
    flagged_runs = np.flatnonzero(excess_run > 0)
    for key_index, runs_ in _first_per_group(flagged_runs, run_key[flagged_runs], EVIDENCE).items():
        flags[key_index].append("tokenmaxxing")
        evidence[key_index]["tokenmaxxing"] = [excess_why(r) for r in runs_]
    unknown = np.flatnonzero(frames.actions.outcome_unknown)
    unknown_count = np.bincount(run_key[frames.actions.run[unknown]], minlength=nkeys).tolist()
    frames.prefetch(unknown.tolist())
    for key_index, acts in _first_per_group(
        unknown, run_key[frames.actions.run[unknown]], EVIDENCE
    ).items():
        flags[key_index].append("outcome_unknown")
        evidence[key_index]["outcome_unknown"] = [_unknown_why(frames, a) for a in acts]
    run_count = np.bincount(run_key, minlength=nkeys)

    # plain Python numbers from here on: indexing numpy per row and column is slow at 100k
    rate = (1000.0 * units / np.maximum(tokens, 1)).tolist()  # Row.units_per_1k_tokens
    prompt_l, completion_l, units_l = prompt.tolist(), completion.tolist(), units.tolist()
    tokens_l, runs_l, excess_l = tokens.tolist(), run_count.tolist(), excess.tolist()
    waste_l = {c: waste[c].astype(np.int64).tolist() for c in CATEGORIES}
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
                outcome_unknown=int(unknown_count[k]),
            )
        )
        order[key] = (-rate[k], -units_l[k], tokens_l[k], key)
    rows.sort(key=lambda r: order[r.key])
    trend = _trend(frames, by, rows, run_key, names, run_tokens, units_run)
    return Report(by, rows, trend, max_tokens_per_unit)


def _trend(
    frames: Frames,
    by: str,
    rows: list[Row],
    run_key: npt.NDArray[np.int64],
    names: dict[str, int],
    run_tokens: npt.NDArray[np.int64],
    units_run: npt.NDArray[np.float64],
) -> list[Series]:
    """Per-day totals for everything, and for the keys that spent most (not for --by run)."""
    if len(run_key) == 0:
        return []
    day = np.floor(frames.runs.started_at / _DAY).astype(np.int64)

    def series(key: str, mask: npt.NDArray[np.bool_]) -> Series:
        days, inverse = np.unique(day[mask], return_inverse=True)
        tok = np.bincount(inverse, weights=run_tokens[mask], minlength=len(days))
        uni = np.bincount(inverse, weights=units_run[mask], minlength=len(days))
        return Series(
            key, [int(d) for d in days], [int(t) for t in tok], [round(float(u), 4) for u in uni]
        )

    out = [series("all", np.ones(len(run_key), dtype=bool))]
    if by != "run":
        top = sorted(rows, key=lambda r: (-r.tokens, r.key))[:TREND_SERIES]
        out += [series(r.key, run_key == names[r.key]) for r in top]
    return out
