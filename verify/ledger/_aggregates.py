"""The usage aggregates: per-run sums, per (key, day) cells, evidence lines, and the stale set.

``verify usage`` on a ledger of millions of calls cannot judge every call for every report.
Schema v3 keeps what a report sums (docs/ledger.md, "Usage aggregates"):

- ``usage_runs``: one row per run: its keys, its day, its token, unit and waste sums;
- ``usage_cells``: those sums added up per (agent | user | team, UTC day): a report by team
  over a year reads a few thousand cells instead of millions of calls;
- ``usage_evidence``: the lines of evidence a flag may show, the first ``EVIDENCE_CALLS``
  per run and category, with the run's keys, so the first ones of any key are an index range;
- ``usage_dirty``: runs whose rows changed since their sums were computed. Triggers put a run
  there in the same transaction as any write to its run, calls or actions; ``refresh`` (in
  ``Ledger.refresh_usage``) recomputes the task groups of stale runs and clears them, in one
  transaction per chunk, so a kill at any point leaves the aggregates consistent with the
  stale set: whatever was not recomputed is still marked.

This module knows the tables, not the rules: what the sums are is computed by
``verify.usage`` (``RunSums``) from the frames of the runs selected here. Reads: ``_view``.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._read import Frames

__all__ = [
    "DAY",
    "DIMS",
    "EVIDENCE_CALLS",
    "REPORTED_SCALE",
    "SUMS",
    "WASTE",
    "RunSums",
    "RunTable",
    "Totals",
    "day_of",
    "select_stale",
    "store",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

DAY = 86400.0
DIMS = ("agent", "user", "team")
#: Waste categories, in the order the rules attribute a call's tokens.
WASTE = ("blocked", "loop", "near_duplicate", "unused", "oversampling", "padding", "context")
#: Columns of ``usage_runs`` and ``usage_cells`` that add up. Units are kept as their parts
#: (supported claims, executed actions, changed lines, reported units in millionths) so any
#: weights apply to the sums; ``excess`` and ``tokenmaxxing`` are for the default weights.
SUMS = (
    "prompt",
    "completion",
    "claims",
    "acts",
    "lines",
    "reported",
    "excess",
    "tokenmaxxing",
    *WASTE,
)
REPORTED_SCALE = 1_000_000
#: Evidence lines kept per run and category: a report shows up to three distinct lines from
#: the first nine calls of a row.
EVIDENCE_CALLS = 9

_RUN_COLUMNS = ("run", "task", "agent", "user", "team", "day", "started_at", "first_call", *SUMS)
_EVIDENCE_COLUMNS = ("run", "category", "call", "agent", "user", "team", "started_at", "why")
_PARAMS = 500  # bound parameters per statement, well under SQLite's limit


def day_of(started_at: F64) -> I64:
    """UTC days (since 1970-01-01) of Unix times: the one definition, for cells and trends."""
    return np.floor(started_at / DAY).astype(np.int64)


@dataclass(frozen=True)
class RunSums:
    """What ``verify usage`` computed for the runs of a selection (positions of its RunFrame)."""

    sums: I64  # (runs, len(SUMS))
    #: (run position, category, order, why): order is the call's row id, or the run's for a
    #: run-level flag (``tokenmaxxing``); at most EVIDENCE_CALLS per run and category
    evidence: list[tuple[int, str, int, str]]


@dataclass(frozen=True)
class Totals:
    """Rows a report adds up: one per run, or one per (key, day) cell of many runs."""

    keys: list[str]
    day: I64
    runs: I64
    sums: I64  # (rows, len(SUMS))
    #: the smallest call id of each row's runs, or a smaller number (-1 when unknown): where
    #: to start looking for a key's first evidence
    first_call: I64

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class RunTable:
    """``usage_runs`` rows with the run ids: a report by run, or one with other weights."""

    run_id: list[str]
    task: list[str]
    keys: dict[str, list[str]]  # per dim in DIMS
    day: I64
    started_at: F64
    first_call: I64
    sums: I64

    def __len__(self) -> int:
        return len(self.run_id)

    def totals(self, keys: list[str], rows: npt.NDArray[np.bool_] | None = None) -> Totals:
        """These runs as report rows keyed by ``keys`` (one per run), ``rows`` of them."""
        pick = np.ones(len(self), dtype=bool) if rows is None else rows
        chosen = np.flatnonzero(pick).tolist()
        return Totals(
            keys=[keys[i] for i in chosen],
            day=self.day[pick],
            runs=np.ones(len(chosen), dtype=np.int64),
            sums=self.sums[pick],
            first_call=self.first_call[pick],
        )


# ---------------------------------------------------------------------- refreshing


def select_stale(conn: sqlite3.Connection, target_runs: int) -> tuple[int, list[int]]:
    """Fill ``temp.usage_sel`` with the task groups of the first stale runs, about
    ``target_runs`` runs (at least one whole group); return (runs selected, stale runs that
    no longer exist). (0, []) when nothing is stale.

    A run's sums depend on the other runs of its task (medians, near-duplicates), so a stale
    run brings its whole group, and the group it was counted in before, if its task changed.
    """
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS usage_sel (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.usage_sel")
    tasks: set[str] = set()
    lone: list[int] = []
    gone: list[int] = []
    total = 0
    cursor = conn.execute(
        "SELECT d.run, r.id IS NULL, coalesce(r.task, ''), coalesce(u.task, '')"
        " FROM usage_dirty AS d LEFT JOIN runs AS r ON r.id = d.run"
        " LEFT JOIN usage_runs AS u ON u.run = d.run ORDER BY d.run"
    )
    try:
        for run, missing, task, before in cursor:
            if missing:
                gone.append(run)
            elif not task:
                lone.append(run)
                total += 1
            for name in (task, before):
                if name and name not in tasks:
                    tasks.add(name)
                    total += conn.execute(
                        "SELECT count(*) FROM runs WHERE task = ?", (name,)
                    ).fetchone()[0]
            if total >= target_runs:
                break
    finally:
        cursor.close()
    names = sorted(tasks)
    for start in range(0, len(names), _PARAMS):
        chunk = names[start : start + _PARAMS]
        conn.execute(
            "INSERT OR IGNORE INTO temp.usage_sel (id) SELECT id FROM runs"
            f" WHERE task IN ({','.join('?' * len(chunk))})",
            chunk,
        )
    conn.executemany("INSERT OR IGNORE INTO temp.usage_sel (id) VALUES (?)", [(r,) for r in lone])
    selected = int(conn.execute("SELECT count(*) FROM temp.usage_sel").fetchone()[0])
    return selected, gone


def store(conn: sqlite3.Connection, frames: Frames, result: RunSums, gone: list[int]) -> int:
    """Write ``result`` for the runs of ``temp.usage_sel`` (``frames``), drop the rows of runs
    that are ``gone``, keep the cells equal to the sums of their runs, clear those runs' stale
    marks. Only runs whose row or evidence changed are rewritten; returns how many."""
    runs = frames.runs
    ids = runs.id.tolist()
    first = np.full(len(runs), -1, dtype=np.int64)
    present, at = np.unique(frames.calls.run, return_index=True)  # calls are in id order
    first[present] = frames.calls.id[at]
    days = day_of(runs.started_at).tolist()
    starts = runs.started_at.tolist()
    sums = result.sums.tolist()
    new_rows = {
        ids[i]: (
            ids[i],
            runs.task[i],
            runs.agent[i],
            runs.user[i],
            runs.team[i],
            days[i],
            starts[i],
            None if first[i] < 0 else int(first[i]),
            *sums[i],
        )
        for i in range(len(runs))
    }
    new_evidence: dict[int, list[tuple[object, ...]]] = defaultdict(list)
    for pos, category, order, why in result.evidence:
        run = ids[pos]
        new_evidence[run].append(
            (
                run,
                category,
                order,
                runs.agent[pos],
                runs.user[pos],
                runs.team[pos],
                starts[pos],
                why,
            )
        )
    sel = "SELECT id FROM temp.usage_sel"
    old_rows = {
        row[0]: tuple(row)
        for row in conn.execute(
            f"SELECT {', '.join(_RUN_COLUMNS)} FROM usage_runs WHERE run IN ({sel})"
        )
    }
    old_evidence: dict[int, list[tuple[object, ...]]] = defaultdict(list)
    for row in conn.execute(
        f"SELECT {', '.join(_EVIDENCE_COLUMNS)} FROM usage_evidence WHERE run IN ({sel})"
        " ORDER BY run, category, call"
    ):
        old_evidence[row[0]].append(tuple(row))
    for rows in new_evidence.values():
        rows.sort(key=lambda r: (r[1], r[2]))
    changed = [
        run
        for run in ids
        if old_rows.get(run) != new_rows[run] or old_evidence.get(run, []) != new_evidence[run]
    ] + gone
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS usage_changed (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.usage_changed")
    conn.executemany("INSERT INTO temp.usage_changed (id) VALUES (?)", [(r,) for r in changed])
    _add_to_cells(conn, -1)
    changed_sql = "SELECT id FROM temp.usage_changed"
    conn.execute(f"DELETE FROM usage_evidence WHERE run IN ({changed_sql})")
    conn.execute(f"DELETE FROM usage_runs WHERE run IN ({changed_sql})")
    conn.executemany(
        f"INSERT INTO usage_runs ({', '.join(_RUN_COLUMNS)})"
        f" VALUES ({', '.join('?' * len(_RUN_COLUMNS))})",
        (new_rows[r] for r in changed if r in new_rows),
    )
    conn.executemany(
        f"INSERT INTO usage_evidence ({', '.join(_EVIDENCE_COLUMNS)})"
        f" VALUES ({', '.join('?' * len(_EVIDENCE_COLUMNS))})",
        (row for r in changed for row in new_evidence.get(r, [])),
    )
    _add_to_cells(conn, 1)
    conn.execute("DELETE FROM usage_cells WHERE runs = 0")
    conn.execute(f"DELETE FROM usage_dirty WHERE run IN ({sel})")
    conn.executemany("DELETE FROM usage_dirty WHERE run = ?", [(r,) for r in gone])
    return len(changed)


def _add_to_cells(conn: sqlite3.Connection, sign: int) -> None:
    """Add (``sign`` 1) or take away (-1) the ``usage_runs`` rows of ``temp.usage_changed``
    from their cells. Every column is an integer, so taking away and adding back is exact."""
    columns = ", ".join(SUMS)
    summed = ", ".join(f"{sign} * sum({c})" for c in SUMS)
    update = ", ".join(f"{c} = {c} + excluded.{c}" for c in SUMS)
    for dim in DIMS:
        conn.execute(
            f"INSERT INTO usage_cells (dim, key, day, runs, first_call, {columns})"
            f" SELECT '{dim}', {dim}, day, {sign} * count(*), min(first_call), {summed}"
            " FROM usage_runs WHERE run IN (SELECT id FROM temp.usage_changed)"
            f" GROUP BY {dim}, day"
            " ON CONFLICT (dim, key, day) DO UPDATE SET runs = runs + excluded.runs,"
            " first_call = coalesce(min(first_call, excluded.first_call), first_call,"
            f" excluded.first_call), {update}"
        )
