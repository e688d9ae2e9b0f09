"""``Ledger``: the SQLite file that records every model call, every gated action, every run.

Writers (the agent runner, the importers) and the reader (``verify usage``) share one file.
It is opened in WAL mode with a long busy timeout, so several processes may write at once and
none loses a row; every write is one ``BEGIN IMMEDIATE`` ... ``COMMIT`` transaction, so a
process killed at any instant leaves either the whole write or none of it.

Failures name the ledger: a file that is not a ledger is an ``InputError`` (exit 2); a
ledger locked past the busy timeout, or one that fails mid-write or mid-read, is an
``InternalError`` (exit 3: whatever needed the ledger fails closed).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np

from ..errors import InputError, InternalError, VerifyError
from ._aggregates import SUMS, RunSums, select_stale, store
from ._fingerprint import Fingerprint, fingerprint
from ._read import SELECTION, Frames, load_frames, read_frames
from ._records import ActionRow, CallRow, RunRow
from ._schema import migrate
from ._view import UsageView

__all__ = ["BUSY_TIMEOUT_MS", "MAX_OUTPUT_CHARS", "PURPOSES", "Ledger"]

PURPOSES = ("agent", "sample", "judge", "imported")
DECISIONS = ("", "pass", "block")
#: Output text kept per call (the features are computed on the whole text first).
MAX_OUTPUT_CHARS = 4000
MAX_SUMMARY_CHARS = 1000
#: How long a writer waits for another writer's transaction before giving up.
BUSY_TIMEOUT_MS = 60_000


def summary_hash(kind: str, summary: str) -> int:
    """A signed 64-bit key for (kind, summary), whitespace- and case-insensitive."""
    norm = " ".join(summary.lower().split())
    digest = hashlib.blake2b(
        f"{kind}\x00{norm}".encode("utf-8", "surrogatepass"), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def _clean(text: str) -> str:
    # lone surrogates (from hostile or broken input) cannot be stored as UTF-8: mark them
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


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
        if not path.exists():
            if not create:
                raise InputError(
                    f"no ledger at {path}; run `verify run` or "
                    "`verify usage import` first, or pass --ledger"
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(
                    f"cannot create ledger folder {path.parent}: {exc.strerror or exc}"
                ) from exc
        elif not path.is_file():
            raise InputError(f"ledger {path} is not a file")
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise InputError(f"cannot open ledger {path}: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode: a killed process never corrupts or half-writes; only a power
            # cut may lose the last commits (never tear one)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn, str(path))
        except sqlite3.OperationalError as exc:  # locked, read-only, unreadable, disk full
            conn.close()
            if _busy(exc):
                raise _failure(path, "opening it", exc) from exc
            raise InputError(f"cannot use ledger {path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:  # "file is not a database", corrupt
            conn.close()
            raise InputError(f"{path} is not a verify ledger ({exc})") from exc
        except VerifyError:
            conn.close()
            raise
        except Exception as exc:
            conn.close()
            raise _failure(path, "opening it", exc) from exc
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

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
                    _clean(run_id),
                    _clean(task),
                    _clean(agent),
                    _clean(user),
                    _clean(team),
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
        prepared = self._prepare_call(row)
        with self._transaction() as conn:
            return self._insert_call(conn, row, prepared, time.time())

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
            self._insert_action(conn, row, time.time())

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
            return self._insert_action(conn, row, time.time(), outcome_recorded=False)

    def finish_action(self, action_id: int, *, executed: bool, decision: str) -> None:
        """Record the outcome of the action ``begin_action`` returned ``action_id`` for:
        whether it took effect, and the decision it ended with (a write refused by the
        workspace's confinement ends blocked)."""
        _check(decision in DECISIONS, f"decision must be pass, block or '', not {decision!r}")
        with self._transaction() as conn:
            done = conn.execute(
                "UPDATE actions SET executed = ?, decision = ?, outcome_recorded = 1"
                " WHERE id = ? AND outcome_recorded = 0",
                (int(executed), decision, int(action_id)),
            ).rowcount
            _check(done == 1, f"no action {action_id} is waiting for its outcome")

    def finish_run(
        self, *, run_id: str, decision: str, verified_units: float | None = None
    ) -> None:
        """Record how run ``run_id`` ended (pass, block, or another word such as error).

        ``verified_units`` is kept as given and used only for a run with no recorded
        actions (the units of every other run come from its actions: verify/usage/_units.py).
        """
        with self._transaction() as conn:
            now = time.time()
            run_id = _clean(run_id)
            conn.execute(
                "INSERT OR IGNORE INTO runs (run_id, started_at) VALUES (?, ?)", (run_id, now)
            )
            conn.execute(
                "UPDATE runs SET finished_at = ?, decision = ?, verified_units = ?"
                " WHERE run_id = ?",
                (now, _clean(decision), verified_units, run_id),
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
        prepared = [self._prepare_call(call) for call in calls]
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
                            _clean(run.run_id),
                            _clean(run.task),
                            _clean(run.agent),
                            _clean(run.user),
                            _clean(run.team),
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
                self._insert_call(conn, call, features, call.created_at or now)
                added += 1
            for action in actions:
                if self._known(conn, "actions", action.content_key):
                    present += 1
                    continue
                ensure_run(action.run_id)
                self._insert_action(conn, action, action.created_at or now)
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
            raise _failure(self.path, "reading it", exc) from exc

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
            raise _failure(self.path, "reading it", exc) from exc

    @contextlib.contextmanager
    def usage_view(self) -> Iterator[UsageView]:
        """The usage aggregates, read in one snapshot (writers go on meanwhile)."""
        try:
            self._conn.execute("BEGIN")
        except Exception as exc:
            raise _failure(self.path, "reading it", exc) from exc
        try:
            yield UsageView(self._conn)
        except VerifyError:
            raise
        except sqlite3.Error as exc:
            raise _failure(self.path, "reading it", exc) from exc
        finally:
            with contextlib.suppress(Exception):
                self._conn.execute("COMMIT")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """A read-only query (tests and tools); writes go through the methods above."""
        try:
            return self._conn.execute(sql, params).fetchall()
        except Exception as exc:
            raise _failure(self.path, "reading it", exc) from exc

    # ------------------------------------------------------------------ internals

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn, self.path)

    @staticmethod
    def _prepare_call(row: CallRow) -> tuple[str, Fingerprint]:
        """Check ``row`` and compute its features (outside any transaction: no lock held)."""
        _check(row.purpose in PURPOSES, f"purpose must be one of {PURPOSES}, not {row.purpose!r}")
        _check(row.verdict in DECISIONS, f"verdict must be pass, block or '', not {row.verdict!r}")
        _check(row.prompt_tokens >= 0 and row.completion_tokens >= 0, "token counts must be >= 0")
        output = _clean(row.output)
        return output, fingerprint(output)

    @staticmethod
    def _insert_call(
        conn: sqlite3.Connection, row: CallRow, prepared: tuple[str, Fingerprint], now: float
    ) -> int:
        output, feats = prepared
        run = _run_ref(conn, row.run_id, now)
        cur = conn.execute(
            "INSERT INTO calls (run, step, purpose, model,"
            " prompt_tokens, completion_tokens, seconds, verdict, output, output_chars,"
            " sentences, repeated_sentences, checkable, minhash, created_at, content_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run,
                row.step,
                row.purpose,
                _clean(row.model),
                int(row.prompt_tokens),
                int(row.completion_tokens),
                float(row.seconds),
                row.verdict,
                output[:MAX_OUTPUT_CHARS],
                len(output),
                feats.sentences,
                feats.repeated_sentences,
                feats.checkable,
                feats.minhash,
                now,
                row.content_key or None,
            ),
        )
        return int(cur.lastrowid or 0)

    @staticmethod
    def _insert_action(
        conn: sqlite3.Connection, row: ActionRow, now: float, *, outcome_recorded: bool = True
    ) -> int:
        _check(
            row.decision in DECISIONS, f"decision must be pass, block or '', not {row.decision!r}"
        )
        _check(
            0 <= row.claims_supported <= row.claims_total,
            "need 0 <= claims_supported <= claims_total",
        )
        _check(row.lines >= 0, "lines must be >= 0")
        summary = _clean(row.summary)
        run = _run_ref(conn, row.run_id, now)
        cur = conn.execute(
            "INSERT INTO actions (run, step, kind, decision,"
            " executed, claims_supported, claims_total, lines, summary, summary_hash,"
            " created_at, content_key, outcome_recorded)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run,
                int(row.step),
                _clean(row.kind),
                row.decision,
                int(bool(row.executed)),
                int(row.claims_supported),
                int(row.claims_total),
                int(row.lines),
                summary[:MAX_SUMMARY_CHARS],
                summary_hash(row.kind, summary),
                now,
                row.content_key or None,
                int(outcome_recorded),
            ),
        )
        return int(cur.lastrowid or 0)


def _no_sums(frames: Frames) -> RunSums:
    return RunSums(np.zeros((len(frames.runs), len(SUMS)), dtype=np.int64), [])


def _run_ref(conn: sqlite3.Connection, run_id: str, now: float) -> int:
    """The row id of run ``run_id``, creating a placeholder run if it was never started."""
    run_id = _clean(run_id)
    conn.execute("INSERT OR IGNORE INTO runs (run_id, started_at) VALUES (?, ?)", (run_id, now))
    return int(conn.execute("SELECT id FROM runs WHERE run_id = ?", (run_id,)).fetchone()[0])


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _busy(exc: sqlite3.Error) -> bool:
    """True when SQLite gave up waiting for another connection's lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def _failure(path: Path, doing: str, exc: BaseException) -> InternalError:
    """The error for a ledger that failed while ``doing`` something: exit 3, naming it."""
    if isinstance(exc, sqlite3.Error) and _busy(exc):
        return InternalError(
            f"ledger {path} is locked by another process (waited "
            f"{BUSY_TIMEOUT_MS / 1000:g}s {doing}); retry when it is done"
        )
    return InternalError(f"ledger {path} failed {doing}: {type(exc).__name__}: {exc}".rstrip(": "))


class _Transaction:
    """``BEGIN IMMEDIATE`` on enter (waits up to the busy timeout), COMMIT or ROLLBACK on exit.

    A failure of the database (or of anything inside the block but a ``ValueError``, which
    names a bad row) leaves as an ``InternalError`` naming the ledger.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except Exception as exc:
            raise _failure(self._path, "starting a write", exc) from exc
        return self._conn

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            try:
                self._conn.execute("COMMIT")
            except Exception as err:
                with contextlib.suppress(Exception):
                    self._conn.execute("ROLLBACK")
                raise _failure(self._path, "committing a write", err) from err
            return
        with contextlib.suppress(Exception):  # a broken connection cannot roll back either
            self._conn.execute("ROLLBACK")
        if isinstance(exc, Exception) and not isinstance(exc, ValueError | VerifyError):
            raise _failure(self._path, "writing", exc) from exc
