"""``ledger_report``: the usage report from the sums the ledger keeps, not from every call.

Every write marks its run stale (triggers, in the writer's transaction). A report first brings
the aggregates up to date (``refresh``: the task groups of stale runs are read and judged
again, ``_attribute.run_sums``, and their rows replaced, a chunk per transaction), then reads,
in one snapshot:

- by agent, user or team: the (key, day) cells of the period, and the runs one by one for the
  day ``since`` falls in;
- by run: the per-run rows of the period;
- with weights other than the default, tokenmaxxing again (the units change, so their
  medians): only for the tasks where a run spent at least ten times the task's median tokens,
  which no weights change, as the rule cannot flag a run in any other task;
- the evidence of each flag: the first lines of the key's runs, an index range each;
- the actions whose outcome was never written, from the actions themselves.

The result equals ``build_report`` over every row (tests/test_usage_scale.py): the sums are
integers, the rules look at one task group at a time, and the evidence is the same first
calls in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..ledger import SUMS, Ledger, RunTable, Totals, UsageView
from ._attribute import first_per_group, run_sums
from ._context import task_groups
from ._report import Report, assemble, check_by
from ._source import label, unknown_why
from ._units import UnitParts, UnitWeights
from ._waste import Thresholds, group_median, tokenmaxxing

__all__ = ["StoredSource", "ledger_report", "refresh"]

_MAX_STEP = 16777215  # as the frames read steps


def refresh(ledger: Ledger, progress: Callable[[int], None] | None = None) -> int:
    """Recompute the usage sums of every stale run's task group; return how many runs."""
    return ledger.refresh_usage(run_sums, progress=progress)


def ledger_report(
    ledger: Ledger,
    by: str = "user",
    *,
    weights: UnitWeights | None = None,
    max_tokens_per_unit: float | None = None,
    since: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """``build_report`` for the whole ledger, from its aggregates (the module docstring).

    It counts every row committed before it began; rows committed while it runs may wait for
    the next report.
    """
    check_by(by)
    weights = weights or UnitWeights()
    refresh(ledger, progress)
    with ledger.usage_view() as view:
        source = StoredSource(view, by, since, weights)
        return assemble(
            source,
            by,
            weights=weights,
            thresholds=Thresholds(),
            max_tokens_per_unit=max_tokens_per_unit,
        )


class StoredSource:
    """A report's inputs (``_source.Source``) read from the ledger's aggregates."""

    def __init__(self, view: UsageView, by: str, since: float | None, weights: UnitWeights):
        self._view, self._by, self._since = view, by, since
        self._by_run: dict[tuple[str, str], list[tuple[int, str]]] | None = None
        if by == "run":
            table = view.run_table(since)
            totals = table.totals(table.run_id)
        else:
            totals = view.totals(by, since)
        self._maxxing: _Reweighed | None = None
        if weights != UnitWeights():
            self._maxxing = _reweigh(view, weights, since)
            totals = _concat(totals, self._maxxing.corrections(by))
        self._totals = totals
        self._start: dict[str, int] = {}
        for key, first in zip(totals.keys, totals.first_call.tolist(), strict=True):
            if first >= 0:
                self._start[key] = min(first, self._start.get(key, first))

    def totals(self) -> Totals:
        return self._totals

    def examples(
        self, category: str, wanted: dict[str, list[str]], limit: int
    ) -> dict[str, list[str]]:
        if category == "tokenmaxxing" and self._maxxing is not None:
            return self._maxxing.examples(self._by, wanted, limit)
        if self._by == "run":
            lines = self._run_lines()
            return {
                row: [why for _, why in sorted(lines.get((row, category), []))[:limit]]
                for row in wanted
            }
        found: dict[str, list[str]] = {}
        for row, raws in wanted.items():
            hits: list[tuple[int, str]] = []
            for raw in raws:
                after = -1 if category == "tokenmaxxing" else self._start.get(raw, 0)
                hits += self._view.examples(
                    self._by, raw, category, since=self._since, after=after, limit=limit
                )
            found[row] = [why for _, why in sorted(hits)[:limit]]
        return found

    def unknown(self) -> list[tuple[str, str]]:
        column = {"run": 1, "agent": 2, "user": 3, "team": 4}[self._by]
        return [
            (
                str(row[column]),
                unknown_why(
                    str(row[1]), min(max(int(row[5]), 0), _MAX_STEP), str(row[6]), str(row[7])
                ),
            )
            for row in self._view.unknown(self._since)
        ]

    def _run_lines(self) -> dict[tuple[str, str], list[tuple[int, str]]]:
        if self._by_run is None:
            self._by_run = defaultdict(list)
            for run_id, category, order, why in self._view.run_examples(self._since):
                self._by_run[(run_id, category)].append((order, why))
        return self._by_run


@dataclass(frozen=True)
class _Reweighed:
    """Tokenmaxxing under other weights, for every run of the tasks where it can fire."""

    table: RunTable  # every run of those tasks, in run order, with the default sums
    excess: npt.NDArray[np.int64]  # under the weights
    window: npt.NDArray[np.bool_]  # started at or after since
    why: Callable[[int], str]

    def corrections(self, by: str) -> Totals:
        """Rows that turn the kept (default weights) excess and flags into these."""
        at = [SUMS.index("excess"), SUMS.index("tokenmaxxing")]
        before = self.table.sums[:, at]
        after = np.column_stack([self.excess, self.excess > 0]).astype(np.int64)
        changed = self.window & (before != after).any(axis=1)
        keys = self.table.run_id if by == "run" else self.table.keys[by]
        picked = np.flatnonzero(changed).tolist()
        sums = np.zeros((len(picked), len(SUMS)), dtype=np.int64)
        sums[:, at] = (after - before)[changed]
        return Totals(
            keys=[keys[i] for i in picked],
            day=self.table.day[changed],
            runs=np.zeros(len(picked), dtype=np.int64),
            sums=sums,
            first_call=np.full(len(picked), -1, dtype=np.int64),
        )

    def examples(self, by: str, wanted: dict[str, list[str]], limit: int) -> dict[str, list[str]]:
        keys = self.table.run_id if by == "run" else self.table.keys[by]
        rows = list(wanted)
        code = {row: i for i, row in enumerate(rows)}
        runs = [
            r
            for r in np.flatnonzero((self.excess > 0) & self.window).tolist()
            if label(by, keys[r]) in code
        ]
        group = np.array([code[label(by, keys[r])] for r in runs], dtype=np.int64)
        picked = first_per_group(np.array(runs, dtype=np.int64), group, limit)
        return {rows[c]: [self.why(r) for r in items] for c, items in picked.items()}


def _reweigh(view: UsageView, weights: UnitWeights, since: float | None) -> _Reweighed:
    """Tokenmaxxing under ``weights``. It flags a run that spent at least ``ratio`` times a
    budget of its task's median tokens times at least one: so only a run at ``ratio`` times
    the median or more, in a task of ``min_runs`` or more, whatever the weights. Only those
    tasks are read whole and judged again."""
    th = Thresholds()
    task, tokens = view.task_tokens()
    groups: dict[str, int] = {}
    group = np.fromiter(
        (groups.setdefault(t, len(groups)) for t in task), dtype=np.int64, count=len(task)
    )
    median, size = group_median(tokens, group)
    can = (size >= th.tokenmaxxing_min_runs) & (median > 0)
    can &= tokens >= th.tokenmaxxing_ratio * median
    table = view.run_table(None, sorted({task[i] for i in np.flatnonzero(can).tolist()}))

    def col(name: str) -> npt.NDArray[np.int64]:
        return table.sums[:, SUMS.index(name)]

    parts = UnitParts(col("claims"), col("acts"), col("lines"), col("reported"))
    excess, why = tokenmaxxing(
        table.run_id,
        table.task,
        task_groups(table.run_id, table.task),
        col("prompt") + col("completion"),
        parts.units(weights),
        th,
    )
    window = np.ones(len(table), dtype=bool) if since is None else table.started_at >= since
    return _Reweighed(table, excess, window, why)


def _concat(a: Totals, b: Totals) -> Totals:
    return Totals(
        keys=a.keys + b.keys,
        day=np.concatenate([a.day, b.day]),
        runs=np.concatenate([a.runs, b.runs]),
        sums=np.concatenate([a.sums, b.sums]),
        first_call=np.concatenate([a.first_call, b.first_call]),
    )
