"""``Ledger``: the SQLite file that records every model call, every gated action, every run.

Writers (the agent runner, the importers) and the reader (``verify usage``) share one file.
It is opened in WAL mode with a long busy timeout, so several processes may write at once and
none loses a row; every write is one ``BEGIN IMMEDIATE`` ... ``COMMIT`` transaction, so a
process killed at any instant leaves either the whole write or none of it (the connection and
its transactions: ``_connection``; checking and inserting call and action rows: ``_insert``).

Failures name the ledger: a file that is not a ledger is an ``InputError`` (exit 2); a
ledger locked past the busy timeout, or one that fails mid-write or mid-read, is an
``InternalError`` (exit 3: whatever needed the ledger fails closed).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np

from ..errors import VerifyError
from ._aggregates import SUMS, RunSums, select_stale, store
from ._connection import Transaction, failure, open_connection
from ._insert import DECISIONS, check, clean, insert_action, insert_call, prepare_call
from ._read import SELECTION, Frames, load_frames, read_frames
from ._records import ActionRow, CallRow, RunRow
from ._view import UsageView

__all__ = ["Ledger"]


class Ledger:
    """A token ledger at ``path``; use ``Ledger.open(path)`` (also a context manager)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Ledger:
        """Open (creating and migrating as needed) the ledger at ``path``.

        Raises ``InputError`` (exit 2) when ``path`` is not a ledger: not SQLite, somebody
        else's SQLite database, a newer schema, or missing while ``create`` is false.
        """
        path = Path(path)
        return cls(open_connection(path, create=create), path)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ the runner's API

    def start_run(
        self,
        *,
        run_id: str,
        task: str,
        agent: str,
        user: str,
        team: str = "",
        source: str = "verify",
        started_at: float | None = None,
    ) -> None:
        """Record that run ``run_id`` began (again: its descriptive fields are updated)."""
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO runs (run_id, task, agent, user, team, source, started_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(run_id) DO UPDATE SET task = excluded.task,"
                " agent = excluded.agent, user = excluded.user, team = excluded.team,"
                " source = excluded.source",
                (
                    clean(run_id),
                    clean(task),
                    clean(agent),
                    clean(user),
                    clean(team),
                    source,
                    time.time() if started_at is None else started_at,
                ),
            )

    def record_call(
        self,
        *,
        run_id: str,
        purpose: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        seconds: float,
        verdict: str = "",
        output: str = "",
        step: int | None = None,
    ) -> int:
        """Record one model call; return its row id.

        ``purpose`` is agent, sample, judge or imported; ``verdict`` is pass, block or empty
        (not gated). ``output`` is kept up to ``MAX_OUTPUT_CHARS`` characters. A call for a
        run never started creates a placeholder run, so no call is ever dropped.
        """
        row = CallRow(
            run_id=run_id,
            content_key="",
            purpose=purpose,
            model=model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            seconds=seconds,
            verdict=verdict,
            output=output,
            step=step,
        )
        prepared = prepare_call(row)
        with self._transaction() as conn:
            return insert_call(conn, row, prepared, time.time())

    def record_action(
        self,
        *,
        run_id: str,
        step: int,
        kind: str,
        decision: str,
        executed: bool,
        claims_supported: int,
        claims_total: int,
        summary: str = "",
        lines: int = 0,
    ) -> None:
        """Record a proposed action and what the gate decided about it.

        ``summary`` identifies the action (the query of a search, the argv of a command, the
        path of a write, the text of an answer): the same kind and summary twice in one run
        is a loop. ``lines`` is the changed-line count of a ``gate`` action.
        """
        row = ActionRow(
            run_id=run_id,
            content_key="",
            step=step,
            kind=kind,
            decision=decision,
            executed=executed,
            claims_supported=claims_supported,
            claims_total=claims_total,
            lines=lines,
            summary=summary,
        )
        with self._transaction() as conn:
            insert_action(conn, row, time.time())

    def begin_action(
        self,
        *,
        run_id: str,
        step: int,
        kind: str,
        decision: str,
        claims_supported: int,
        claims_total: int,
        summary: str = "",
    ) -> int:
        """Record an action about to run, before it runs; return its row id for
        ``finish_action``. Until that is called the row reads "outcome unknown": the action
        may have taken effect. A ledger that cannot take this write stops the action."""
        row = ActionRow(
            run_id=run_id,
            content_key="",
            step=step,
            kind=kind,
            decision=decision,
            executed=False,
            claims_supported=claims_supported,
            claims_total=claims_total,
            summary=summary,
        )
        with self._transaction() as conn:
            return insert_action(conn, row, time.time(), outcome_recorded=False)

    def finish_action(self, action_id: int, *, executed: bool, decision: str) -> None:
        """Record the outcome of the action ``begin_action`` returned ``action_id`` for:
        whether it took effect, and the decision it ended with (a write refused by the
        workspace's confinement ends blocked)."""
        check(decision in DECISIONS, f"decision must be pass, block or '', not {decision!r}")
        with self._transaction() as conn:
            done = conn.execute(
                "UPDATE actions SET executed = ?, decision = ?, outcome_recorded = 1"
                " WHERE id = ? AND outcome_recorded = 0",
                (int(executed), decision, int(action_id)),
            ).rowcount
            check(done == 1, f"no action {action_id} is waiting for its outcome")

    def finish_run(
        self, *, run_id: str, decision: str, verified_units: float | None = None
    ) -> None:
        """Record how run ``run_id`` ended (pass, block, or another word such as error).

        ``verified_units`` is kept as given and used only for a run with no recorded
        actions (the units of every other run come from its actions: verify/usage/_units.py).
        """
        with self._transaction() as conn:
            now = time.time()
            run_id = clean(run_id)
            conn.execute(
                "INSERT OR IGNORE INTO runs (run_id, started_at) VALUES (?, ?)", (run_id, now)
            )
            conn.execute(
                "UPDATE runs SET finished_at = ?, decision = ?, verified_units = ?"
                " WHERE run_id = ?",
                (now, clean(decision), verified_units, run_id),
            )

    # ------------------------------------------------------------------ batches

    def add(
        self, runs: Iterable[RunRow], calls: Iterable[CallRow], actions: Iterable[ActionRow]
    ) -> tuple[int, int]:
        """Write a whole import in one transaction; return (rows added, rows already present).

        Calls and actions whose ``content_key`` is already stored are skipped, so the same
        batch twice adds nothing. A run is written when one of its rows is (a run the ledger
        already holds keeps its fields).
        """
        pending = {run.run_id: run for run in runs}
        calls = list(calls)
        prepared = [prepare_call(call) for call in calls]
        added = present = 0
        now = time.time()
        with self._transaction() as conn:

            def ensure_run(run_id: str) -> None:
                run = pending.pop(run_id, None)
                if run is not None:
                    conn.execute(
                        "INSERT OR IGNORE INTO runs (run_id, task, agent, user, team, source,"
                        " started_at, decision) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            clean(run.run_id),
                            clean(run.task),
                            clean(run.agent),
                            clean(run.user),
                            clean(run.team),
                            run.source,
                            run.started_at or now,
                            run.decision,
                        ),
                    )

            for call, features in zip(calls, prepared, strict=True):
                if self._known(conn, "calls", call.content_key):
                    present += 1
                    continue
                ensure_run(call.run_id)
                insert_call(conn, call, features, call.created_at or now)
                added += 1
            for action in actions:
                if self._known(conn, "actions", action.content_key):
                    present += 1
                    continue
                ensure_run(action.run_id)
                insert_action(conn, action, action.created_at or now)
                added += 1
        return added, present

    @staticmethod
    def _known(conn: sqlite3.Connection, table: str, content_key: str) -> bool:
        if not content_key:
            return False
        return (
            conn.execute(f"SELECT 1 FROM {table} WHERE content_key = ?", (content_key,)).fetchone()
            is not None
        )

    # ------------------------------------------------------------------ reading

    def frames(self, since: float | None = None) -> Frames:
        """Columnar copies of runs, calls and actions (runs started at or after ``since``)."""
        try:
            return load_frames(self._conn, since)
        except VerifyError:
            raise
        except Exception as exc:
            raise failure(self.path, "reading it", exc) from exc

    # ------------------------------------------------------------------ usage aggregates

    def refresh_usage(
        self,
        compute: Callable[[Frames], RunSums],
        *,
        chunk_runs: int = 20_000,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Bring the usage aggregates up to date; return how many runs were recomputed.

        While runs are marked stale, take the task groups of the first of them (about
        ``chunk_runs`` runs), read their frames, ``compute`` their sums and store them: each
        chunk one write transaction, so writers wait for one chunk at most, and a process
        killed mid-way leaves what it did not finish still marked. ``progress`` is told the
        runs done so far after each chunk.
        """
        done = 0
        while True:
            if not self._stale():  # a plain read: an up-to-date ledger is never write-locked
                return done
            with self._transaction() as conn:
                selected, gone = select_stale(conn, chunk_runs)
                if not selected and not gone:
                    return done
                frames = read_frames(conn, SELECTION)
                store(conn, frames, compute(frames) if selected else _no_sums(frames), gone)
            done += selected
            if progress is not None:
                progress(done)

    def _stale(self) -> bool:
        try:
            return bool(
                self._conn.execute("SELECT EXISTS (SELECT 1 FROM usage_dirty)").fetchone()[0]
            )
        except Exception as exc:
            raise failure(self.path, "reading it", exc) from exc

    @contextlib.contextmanager
    def usage_view(self) -> Iterator[UsageView]:
        """The usage aggregates, read in one snapshot (writers go on meanwhile)."""
        try:
            self._conn.execute("BEGIN")
        except Exception as exc:
            raise failure(self.path, "reading it", exc) from exc
        try:
            yield UsageView(self._conn)
        except VerifyError:
            raise
        except sqlite3.Error as exc:
            raise failure(self.path, "reading it", exc) from exc
        finally:
            with contextlib.suppress(Exception):
                self._conn.execute("COMMIT")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """A read-only query (tests and tools); writes go through the methods above."""
        try:
            return self._conn.execute(sql, params).fetchall()
        except Exception as exc:
            raise failure(self.path, "reading it", exc) from exc

    # ------------------------------------------------------------------ internals

    def _transaction(self) -> Transaction:
        return Transaction(self._conn, self.path)


def _no_sums(frames: Frames) -> RunSums:
    return RunSums(np.zeros((len(frames.runs), len(SUMS)), dtype=np.int64), [])
