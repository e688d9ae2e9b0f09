"""Where a report's numbers come from: every row of the ledger, or its kept sums.

A ``Source`` gives the report three things, and the report (``_report.assemble``) does the
rest the same way for both:

- ``totals()``: rows to add up per key, each a run or a (key, day) cell of runs, with the
  columns of ``verify.ledger.SUMS``;
- ``examples(category, wanted, limit)``: for each key wanted, the evidence of the first
  ``limit`` calls of its runs with waste of that category (in call order), or of its first
  runs flagged tokenmaxxing (in run order);
- ``unknown()``: the actions whose outcome was never written, in action order, with the key
  of their run and the evidence line.

``FrameSource`` computes them from frames (``build_report``); ``_stored.StoredSource`` reads
them from the ledger's aggregates (``ledger_report``).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from ..ledger import SUMS, Totals, day_of
from ._attribute import RunStats, first_per_group

__all__ = ["FrameSource", "Source", "label", "raw_keys", "unknown_why"]


class Source(Protocol):
    def totals(self) -> Totals: ...

    def examples(
        self, category: str, wanted: dict[str, list[str]], limit: int
    ) -> dict[str, list[str]]: ...

    def unknown(self) -> list[tuple[str, str]]: ...


def label(by: str, key: str) -> str:
    """The row a run's ``key`` (its run id, agent, user or team) is counted under."""
    return key if by == "run" or key else f"(no {by})"


def raw_keys(by: str, row: str) -> list[str]:
    """The keys counted under ``row``: itself, and the empty key for "(no team)"."""
    return [row, ""] if by != "run" and row == f"(no {by})" else [row]


def unknown_why(run_id: str, step: int, kind: str, summary: str) -> str:
    return (
        f"run {run_id} step {step} {kind} {summary!r}: outcome unknown (recorded before it ran; "
        "it may have taken effect, its outcome was never written)"
    )


class FrameSource:
    """The report's inputs computed from every row of ``frames`` (``stats``); runs started
    before ``since`` are judged with the others but left out of the rows."""

    def __init__(self, stats: RunStats, by: str, since: float | None = None) -> None:
        runs = stats.frames.runs
        self._stats = stats
        self._keys: list[str] = (
            runs.run_id
            if by == "run"
            else {"agent": runs.agent, "user": runs.user, "team": runs.team}[by]
        )
        labels: dict[str, int] = {}
        self._label = np.fromiter(
            (labels.setdefault(label(by, k), len(labels)) for k in self._keys),
            dtype=np.int64,
            count=len(runs),
        )
        self._labels = labels
        self._window: npt.NDArray[np.bool_] = (
            np.ones(len(runs), dtype=bool) if since is None else runs.started_at >= since
        )

    def totals(self) -> Totals:
        window, runs = self._window, self._stats.frames.runs
        chosen = np.flatnonzero(window).tolist()
        return Totals(
            keys=[self._keys[i] for i in chosen],
            day=day_of(runs.started_at[window]),
            runs=np.ones(len(chosen), dtype=np.int64),
            sums=self._stats.sums[window],
            first_call=np.full(len(chosen), -1, dtype=np.int64),
        )

    def examples(
        self, category: str, wanted: dict[str, list[str]], limit: int
    ) -> dict[str, list[str]]:
        stats = self._stats
        codes = np.array([self._labels[k] for k in wanted if k in self._labels], dtype=np.int64)
        if category == "tokenmaxxing":
            excess = stats.sums[:, SUMS.index("excess")]
            idx = np.flatnonzero((excess > 0) & self._window & np.isin(self._label, codes))
            group = self._label[idx]
        else:
            run = stats.frames.calls.run
            keep = self._window[run] & np.isin(self._label[run], codes)
            idx = np.flatnonzero((stats.attributed[category] > 0) & keep)
            group = self._label[run[idx]]
        names = {code: name for name, code in self._labels.items()}
        return {
            names[code]: stats.explain(category, items)
            for code, items in first_per_group(idx, group, limit).items()
        }

    def unknown(self) -> list[tuple[str, str]]:
        frames = self._stats.frames
        actions = frames.actions
        idx = np.flatnonzero(actions.outcome_unknown & self._window[actions.run]).tolist()
        frames.prefetch(idx)
        return [
            (
                self._keys[int(actions.run[a])],
                unknown_why(
                    frames.runs.run_id[int(actions.run[a])],
                    int(actions.step[a]),
                    actions.kind[a],
                    frames.summary(a),
                ),
            )
            for a in idx
        ]
