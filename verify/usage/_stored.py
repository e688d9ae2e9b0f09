"""``ledger_report``: the usage report from the sums the ledger keeps, not from every call.

Every write marks its run stale (triggers, in the writer's transaction). A report first brings
the aggregates up to date (``refresh``: the task groups of stale runs are read and judged
again, ``_attribute.run_sums``, and their rows replaced, a chunk per transaction), then reads,
in one snapshot:

- by agent, user or team: the (key, day) cells of the period, and the runs one by one for the
  day ``since`` falls in;
- by run, or with weights other than the default: the per-run rows. Other weights change the
  units, so the tokenmaxxing medians: they are computed again over every run's sums;
- the evidence of each flag: the first lines of the key's runs, an index range each;
- the actions whose outcome was never written, from the actions themselves.

The result equals ``build_report`` over every row (tests/test_usage_scale.py): the sums are
integers, the rules look at one task group at a time, and the evidence is the same first
calls in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from ..ledger import SUMS, Ledger, RunTable, Totals, UsageView
from ._attribute import first_per_group, run_sums
from ._context import task_groups
from ._report import Report, assemble, check_by
from ._source import label, unknown_why
from ._units import UnitParts, UnitWeights
from ._waste import Thresholds, tokenmaxxing

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
        self._maxxing: tuple[RunTable, npt.NDArray[np.bool_], Callable[[int], str]] | None = None
        self._by_run: dict[tuple[str, str], list[tuple[int, str]]] | None = None
        default = weights == UnitWeights()
        if default and by != "run":
            self._totals = view.totals(by, since)
        else:
            table = view.run_table(since if default else None)
            window = np.ones(len(table), dtype=bool)
            if not default:
                if since is not None:
                    window = table.started_at >= since
                table, why = _reweigh(table, weights)
                self._maxxing = (table, window, why)
            keys = table.run_id if by == "run" else table.keys[by]
            self._totals = table.totals(keys, window)
        self._start: dict[str, int] = {}
        for key, first in zip(self._totals.keys, self._totals.first_call.tolist(), strict=True):
            if first >= 0:
                self._start[key] = min(first, self._start.get(key, first))

    def totals(self) -> Totals:
        return self._totals

    def examples(
        self, category: str, wanted: dict[str, list[str]], limit: int
    ) -> dict[str, list[str]]:
        if category == "tokenmaxxing" and self._maxxing is not None:
            return self._reweighed_examples(wanted, limit)
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

    def _reweighed_examples(self, wanted: dict[str, list[str]], limit: int) -> dict[str, list[str]]:
        assert self._maxxing is not None
        table, window, why = self._maxxing
        keys = table.run_id if self._by == "run" else table.keys[self._by]
        codes = {row: i for i, row in enumerate(wanted)}
        excess = table.sums[:, SUMS.index("excess")]
        runs = [
            r
            for r in np.flatnonzero((excess > 0) & window).tolist()
            if label(self._by, keys[r]) in codes
        ]
        group = np.array([codes[label(self._by, keys[r])] for r in runs], dtype=np.int64)
        picked = first_per_group(np.array(runs, dtype=np.int64), group, limit)
        rows = list(wanted)
        return {rows[code]: [why(r) for r in items] for code, items in picked.items()}


def _reweigh(table: RunTable, weights: UnitWeights) -> tuple[RunTable, Callable[[int], str]]:
    """``table`` with the tokenmaxxing excess of ``weights`` (over every run of each task)."""
    sums = table.sums.copy()

    def col(name: str) -> npt.NDArray[np.int64]:
        return sums[:, SUMS.index(name)]

    parts = UnitParts(col("claims"), col("acts"), col("lines"), col("reported"))
    excess, why = tokenmaxxing(
        table.run_id,
        table.task,
        task_groups(table.run_id, table.task),
        col("prompt") + col("completion"),
        parts.units(weights),
        Thresholds(),
    )
    sums[:, SUMS.index("excess")] = excess
    sums[:, SUMS.index("tokenmaxxing")] = excess > 0
    return replace(table, sums=sums), why
