"""The SQLite connection under a ledger: how it is opened, how each write is one transaction,
and how its failures read.

A ledger's connection runs in WAL mode with a long busy timeout (``BUSY_TIMEOUT_MS``), so
several processes may write at once and none loses a row; each write is one ``Transaction``
(``BEGIN IMMEDIATE`` ... ``COMMIT``), so a process killed at any instant leaves either the
whole write or none of it.

Failures name the ledger: a file that is not a ledger is an ``InputError`` (exit 2); a
ledger locked past the busy timeout, or one that fails mid-write or mid-read, is an
``InternalError`` (exit 3), made by ``failure``.

``BUSY_TIMEOUT_MS`` is read here, when a connection is opened and when a failure is named:
tests that shorten it patch it on this module.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from types import TracebackType

from ..errors import InputError, InternalError, VerifyError
from ._schema import migrate

__all__ = ["BUSY_TIMEOUT_MS", "Transaction", "busy", "failure", "open_connection"]

#: How long a writer waits for another writer's transaction before giving up.
BUSY_TIMEOUT_MS = 60_000


def open_connection(path: Path, *, create: bool) -> sqlite3.Connection:
    """A connection to the ledger at ``path``, created and migrated as needed (``Ledger.open``).

    Raises ``InputError`` (exit 2) when ``path`` is not a ledger: not SQLite, somebody
    else's SQLite database, a newer schema, or missing while ``create`` is false; and
    ``InternalError`` (exit 3) when it is locked past the busy timeout or fails otherwise.
    """
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
        if busy(exc):
            raise failure(path, "opening it", exc) from exc
        raise InputError(f"cannot use ledger {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:  # "file is not a database", corrupt
        conn.close()
        raise InputError(f"{path} is not a verify ledger ({exc})") from exc
    except VerifyError:
        conn.close()
        raise
    except Exception as exc:
        conn.close()
        raise failure(path, "opening it", exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def busy(exc: sqlite3.Error) -> bool:
    """True when SQLite gave up waiting for another connection's lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def failure(path: Path, doing: str, exc: BaseException) -> InternalError:
    """The error for a ledger that failed while ``doing`` something: exit 3, naming it."""
    if isinstance(exc, sqlite3.Error) and busy(exc):
        return InternalError(
            f"ledger {path} is locked by another process (waited "
            f"{BUSY_TIMEOUT_MS / 1000:g}s {doing}); retry when it is done"
        )
    return InternalError(f"ledger {path} failed {doing}: {type(exc).__name__}: {exc}".rstrip(": "))


class Transaction:
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
            raise failure(self._path, "starting a write", exc) from exc
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
                raise failure(self._path, "committing a write", err) from err
            return
        with contextlib.suppress(Exception):  # a broken connection cannot roll back either
            self._conn.execute("ROLLBACK")
        if isinstance(exc, Exception) and not isinstance(exc, ValueError | VerifyError):
            raise failure(self._path, "writing", exc) from exc
