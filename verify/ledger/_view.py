"""Reads of the usage aggregates (``_aggregates``) for a report, inside one snapshot.

Each read is an index range: the cells of a key and period, the per-run rows of a period, the
first evidence lines of a key from ``after`` on, the actions whose outcome is unknown.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from ._aggregates import DAY, DIMS, SUMS, RunTable, Totals, day_of

__all__ = ["UsageView"]


class UsageView:
    """Reads of the aggregates inside one snapshot (``Ledger.usage_view``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def stale(self) -> int:
        """Runs marked stale: rows written after the last refresh."""
        return int(self._conn.execute("SELECT count(*) FROM usage_dirty").fetchone()[0])

    def totals(self, dim: str, since: float | None) -> Totals:
        """The cells of ``dim`` (agent, user or team) of runs started at or after ``since``:
        whole days as cells, the runs of the day ``since`` falls in one by one."""
        _check_dim(dim)
        cells = (
            f"SELECT key, day, runs, coalesce(first_call, -1), {', '.join(SUMS)} FROM usage_cells"
        )
        if since is None:
            return _totals(self._conn.execute(f"{cells} WHERE dim = ?", (dim,)).fetchall())
        first_day = int(day_of(np.array([since]))[0])
        if since == first_day * DAY:
            rows = self._conn.execute(
                f"{cells} WHERE dim = ? AND day >= ?", (dim, first_day)
            ).fetchall()
            return _totals(rows)
        rows = self._conn.execute(f"{cells} WHERE dim = ? AND day > ?", (dim, first_day)).fetchall()
        rows += self._conn.execute(
            f"SELECT {dim}, day, 1, coalesce(first_call, -1), {', '.join(SUMS)} FROM usage_runs"
            " WHERE started_at >= ? AND started_at < ? AND day = ?",
            (since, (first_day + 2) * DAY, first_day),
        ).fetchall()
        return _totals(rows)

    def task_tokens(self) -> tuple[list[str], npt.NDArray[np.int64]]:
        """The task and tokens of every run that has a task (what tokenmaxxing compares)."""
        rows = self._conn.execute(
            "SELECT task, prompt + completion FROM usage_runs WHERE task != ''"
        ).fetchall()
        tokens = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        return [r[0] for r in rows], tokens

    def run_table(self, since: float | None, tasks: list[str] | None = None) -> RunTable:
        """The ``usage_runs`` rows (runs started at or after ``since``; of ``tasks`` only if
        given), in run order."""
        clauses: list[str] = []
        params: list[object] = []
        if since is not None:
            clauses.append("u.started_at >= ?")
            params.append(since)
        if tasks is not None:  # through runs(task): an index lookup per task
            clauses.append("r.task IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(tasks))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._conn.execute(
            "SELECT r.run_id, u.task, u.agent, u.user, u.team, u.day, u.started_at,"
            f" coalesce(u.first_call, -1), {', '.join('u.' + c for c in SUMS)}"
            f" FROM usage_runs AS u JOIN runs AS r ON r.id = u.run {where} ORDER BY u.run",
            params,
        ).fetchall()
        cols = list(zip(*rows, strict=True)) if rows else [()] * (8 + len(SUMS))
        return RunTable(
            run_id=list(cols[0]),
            task=list(cols[1]),
            keys={"agent": list(cols[2]), "user": list(cols[3]), "team": list(cols[4])},
            day=np.array(cols[5], dtype=np.int64),
            started_at=np.array(cols[6], dtype=np.float64),
            first_call=np.array(cols[7], dtype=np.int64),
            sums=np.column_stack([np.array(c, dtype=np.int64) for c in cols[8:]])
            if rows
            else np.zeros((0, len(SUMS)), dtype=np.int64),
        )

    def examples(
        self,
        dim: str,
        key: str,
        category: str,
        *,
        since: float | None,
        after: int,
        limit: int,
    ) -> list[tuple[int, str]]:
        """The first ``limit`` evidence lines (order, why) of ``category`` among the runs of
        ``key`` (of ``dim``) started at or after ``since``, looking from order ``after`` on."""
        _check_dim(dim)
        rows = self._conn.execute(
            f"SELECT call, why FROM usage_evidence INDEXED BY usage_evidence_{dim}"
            f" WHERE category = ? AND {dim} = ? AND call >= ? AND started_at >= ?"
            " ORDER BY call LIMIT ?",
            (category, key, after, -math.inf if since is None else since, limit),
        ).fetchall()
        return [(int(order), str(why)) for order, why in rows]

    def run_examples(self, since: float | None) -> Iterator[tuple[str, str, int, str]]:
        """(run id, category, order, why) of every evidence line of the runs started at or
        after ``since``."""
        where, params = ("WHERE u.started_at >= ?", (since,)) if since is not None else ("", ())
        yield from self._conn.execute(
            "SELECT r.run_id, e.category, e.call, e.why FROM usage_runs AS u"
            " CROSS JOIN usage_evidence AS e ON e.run = u.run JOIN runs AS r ON r.id = u.run"
            f" {where}",
            params,
        )

    def unknown(self, since: float | None) -> list[tuple[Any, ...]]:
        """Actions whose outcome was never written, in id order: (id, run id, agent, user,
        team, step, kind, first 80 characters of the summary)."""
        where, params = (" AND r.started_at >= ?", (since,)) if since is not None else ("", ())
        return self._conn.execute(
            "SELECT a.id, r.run_id, r.agent, r.user, r.team, a.step, a.kind,"
            " substr(a.summary, 1, 80) FROM actions AS a JOIN runs AS r ON r.id = a.run"
            f" WHERE a.outcome_recorded = 0{where} ORDER BY a.id",
            params,
        ).fetchall()


def _check_dim(dim: str) -> None:
    if dim not in DIMS:  # it becomes part of the SQL: never anything but these three
        raise ValueError(f"dim must be one of {DIMS}, not {dim!r}")


def _totals(rows: list[tuple[object, ...]]) -> Totals:
    table = np.array([r[1:] for r in rows], dtype=np.int64).reshape(len(rows), 3 + len(SUMS))
    return Totals(
        keys=[str(r[0]) for r in rows],
        day=table[:, 0],
        runs=table[:, 1],
        sums=table[:, 3:],
        first_call=table[:, 2],
    )
