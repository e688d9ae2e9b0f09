"""Per-run sums of a set of runs: what every usage report adds up.

``run_stats`` judges every call of ``frames`` (each call's waste counted once: under the first
full-call rule that fired, else under the partial ones), sums it per run with the tokens, the
parts of the verified units and the tokenmaxxing excess, and keeps what explains each number.

Every rule looks only at the runs of one task (a run without a task alone): a task group's
sums are the same whether ``frames`` holds the whole ledger or that group. That is what lets
the ledger keep them (``run_sums``, stored by ``Ledger.refresh_usage``) and recompute only the
groups that changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..ledger import EVIDENCE_CALLS, SUMS, Frames, RunSums
from ._context import Context, build_context
from ._units import UnitWeights, unit_parts
from ._waste import CATEGORIES, FULL_CALL, PARTIAL, Thresholds, tokenmaxxing

__all__ = ["RunStats", "first_per_group", "run_stats", "run_sums"]

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class RunStats:
    frames: Frames
    ctx: Context
    sums: I64  # (runs, len(SUMS)): the columns of verify.ledger.SUMS, per run
    attributed: dict[str, I64]  # per category, per call: tokens counted under it
    whys: dict[str, Callable[[int], str]]  # per category: what fired for call i
    excess_why: Callable[[int], str]  # why run r is flagged tokenmaxxing

    def explain(self, category: str, calls: list[int]) -> list[str]:
        """The evidence of ``category`` for these calls (or runs, for tokenmaxxing)."""
        if category == "tokenmaxxing":
            return [self.excess_why(r) for r in calls]
        self.frames.prefetch(int(self.ctx.action[i]) for i in calls)
        return [self.whys[category](i) for i in calls]


def first_per_group(idx: I64, group: I64, limit: int) -> dict[int, list[int]]:
    """The first ``limit`` of ``idx`` (in increasing order) for each value of ``group``."""
    order = np.lexsort((idx, group))
    g = group[order]
    start = np.ones(len(g), dtype=bool)
    start[1:] = g[1:] != g[:-1]
    rank = np.arange(len(g)) - np.maximum.accumulate(np.where(start, np.arange(len(g)), 0))
    picked: dict[int, list[int]] = {}
    for i in order[rank < limit].tolist():
        picked.setdefault(int(group[i]), []).append(int(idx[i]))
    return picked


def run_stats(
    frames: Frames, weights: UnitWeights | None = None, thresholds: Thresholds | None = None
) -> RunStats:
    """Every call of ``frames`` judged, and the sums per run (see the module docstring)."""
    weights, th = weights or UnitWeights(), thresholds or Thresholds()
    runs, calls = frames.runs, frames.calls
    ctx = build_context(frames)
    attributed: dict[str, I64] = {}
    whys: dict[str, Callable[[int], str]] = {}
    taken = np.zeros(len(calls), dtype=bool)
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

    def per_run(values: I64) -> I64:
        return np.bincount(calls.run, weights=values, minlength=len(runs)).astype(np.int64)

    parts = unit_parts(runs, frames.actions)
    run_tokens = per_run(calls.tokens)
    excess, excess_why = tokenmaxxing(
        runs.run_id, runs.task, ctx.task_group, run_tokens, parts.units(weights), th
    )
    columns = {
        "prompt": per_run(calls.prompt),
        "completion": per_run(calls.completion),
        "claims": parts.claims,
        "acts": parts.acts,
        "lines": parts.lines,
        "reported": parts.reported,
        "excess": excess,
        "tokenmaxxing": (excess > 0).astype(np.int64),
        **{c: per_run(attributed[c]) for c in CATEGORIES},
    }
    sums = np.column_stack([columns[c] for c in SUMS]) if len(runs) else np.zeros((0, len(SUMS)))
    return RunStats(frames, ctx, sums.astype(np.int64), attributed, whys, excess_why)


def run_sums(frames: Frames) -> RunSums:
    """What the ledger keeps for these runs (default weights and thresholds): the sums and
    the first EVIDENCE_CALLS lines of evidence per run and category."""
    stats = run_stats(frames)
    calls, runs = frames.calls, frames.runs
    picked: list[tuple[str, int, list[int]]] = []
    for c in CATEGORIES:
        idx = np.flatnonzero(stats.attributed[c] > 0)
        for run, calls_ in first_per_group(idx, calls.run[idx], EVIDENCE_CALLS).items():
            picked.append((c, run, calls_))
    frames.prefetch(int(stats.ctx.action[i]) for _, _, calls_ in picked for i in calls_)
    ids = calls.id.tolist()
    evidence = [(run, c, ids[i], stats.whys[c](i)) for c, run, calls_ in picked for i in calls_]
    flagged = np.flatnonzero(stats.sums[:, SUMS.index("excess")] > 0).tolist()
    evidence += [(r, "tokenmaxxing", int(runs.id[r]), stats.excess_why(r)) for r in flagged]
    return RunSums(stats.sums, evidence)
