"""The ledger's schema, as an ordered list of migrations (docs/ledger.md explains each column).

``MIGRATIONS[i]`` takes a ledger from schema version ``i`` to ``i + 1``. ``migrate`` applies
the missing ones in order, each in its own ``BEGIN IMMEDIATE`` transaction together with the
``PRAGMA user_version`` bump, so a crash mid-migration leaves the previous version intact and
two processes opening a fresh ledger at once migrate it exactly once. A migration never edits
an earlier one: to change the schema, append a function.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ..errors import InputError

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "migrate"]

#: ``PRAGMA application_id`` of every ledger: the bytes "vrfy". A SQLite file with another id
#: (or with tables and no id) is somebody else's database and is refused.
APPLICATION_ID = 0x76726679

_V1 = (
    """CREATE TABLE runs (
        id             INTEGER PRIMARY KEY,
        run_id         TEXT NOT NULL UNIQUE,
        task           TEXT NOT NULL DEFAULT '',
        agent          TEXT NOT NULL DEFAULT '',
        user           TEXT NOT NULL DEFAULT '',
        team           TEXT NOT NULL DEFAULT '',
        source         TEXT NOT NULL DEFAULT 'verify',
        started_at     REAL NOT NULL,
        finished_at    REAL,
        decision       TEXT NOT NULL DEFAULT '',
        verified_units REAL
    )""",
    "CREATE INDEX runs_started_at ON runs(started_at)",
    """CREATE TABLE calls (
        id                 INTEGER PRIMARY KEY,
        run                INTEGER NOT NULL REFERENCES runs(id),
        step               INTEGER,
        purpose            TEXT NOT NULL
                           CHECK (purpose IN ('agent', 'sample', 'judge', 'imported')),
        model              TEXT NOT NULL DEFAULT '',
        prompt_tokens      INTEGER NOT NULL CHECK (prompt_tokens >= 0),
        completion_tokens  INTEGER NOT NULL CHECK (completion_tokens >= 0),
        seconds            REAL NOT NULL DEFAULT 0,
        verdict            TEXT NOT NULL DEFAULT '' CHECK (verdict IN ('', 'pass', 'block')),
        output             TEXT NOT NULL DEFAULT '',
        output_chars       INTEGER NOT NULL DEFAULT 0,
        sentences          INTEGER NOT NULL DEFAULT 0,
        repeated_sentences INTEGER NOT NULL DEFAULT 0,
        checkable          INTEGER NOT NULL DEFAULT 0,
        minhash            BLOB,
        created_at         REAL NOT NULL,
        content_key        TEXT UNIQUE
    )""",
    "CREATE INDEX calls_run_step ON calls(run, step)",
    """CREATE TABLE actions (
        id               INTEGER PRIMARY KEY,
        run              INTEGER NOT NULL REFERENCES runs(id),
        step             INTEGER NOT NULL,
        kind             TEXT NOT NULL,
        decision         TEXT NOT NULL CHECK (decision IN ('', 'pass', 'block')),
        executed         INTEGER NOT NULL CHECK (executed IN (0, 1)),
        claims_supported INTEGER NOT NULL DEFAULT 0 CHECK (claims_supported >= 0),
        claims_total     INTEGER NOT NULL DEFAULT 0 CHECK (claims_total >= claims_supported),
        lines            INTEGER NOT NULL DEFAULT 0 CHECK (lines >= 0),
        summary          TEXT NOT NULL DEFAULT '',
        summary_hash     INTEGER NOT NULL,
        created_at       REAL NOT NULL,
        content_key      TEXT UNIQUE
    )""",
    "CREATE INDEX actions_run_step ON actions(run, step)",
)


def _v1(conn: sqlite3.Connection) -> None:
    """Runs, model calls and gated actions."""
    for statement in _V1:
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _v2(conn: sqlite3.Connection) -> None:
    """Two-phase actions: an action is recorded (``outcome_recorded = 0``) before it runs, and
    its outcome after; a row left at 0 is an action that may have run, outcome unknown."""
    conn.execute(
        "ALTER TABLE actions ADD COLUMN outcome_recorded INTEGER NOT NULL DEFAULT 1"
        " CHECK (outcome_recorded IN (0, 1))"
    )
    conn.execute("CREATE INDEX actions_outcome_unknown ON actions(id) WHERE outcome_recorded = 0")


# the columns usage_runs and usage_cells both sum (verify/ledger/_aggregates.py: SUMS), as
# schema v3 made them: written out here, so that a later change to SUMS cannot change v3
_V3_SUMS = ",\n        ".join(
    f"{name:14} INTEGER NOT NULL"
    for name in (
        "prompt", "completion", "claims", "acts", "lines", "reported", "excess", "tokenmaxxing",
        "blocked", "loop", "near_duplicate", "unused", "oversampling", "padding", "context",
    )
)  # fmt: skip
_V3 = (
    # the rows whose usage aggregates are stale: every write to runs, calls or actions marks its
    # run here, in the writer's own transaction (triggers below); ``verify usage`` recomputes
    # the task groups of the runs marked and clears them (verify/usage/_refresh.py)
    "CREATE TABLE usage_dirty (run INTEGER PRIMARY KEY)",
    f"""CREATE TABLE usage_runs (
        run            INTEGER PRIMARY KEY REFERENCES runs(id),
        task           TEXT NOT NULL,
        agent          TEXT NOT NULL,
        user           TEXT NOT NULL,
        team           TEXT NOT NULL,
        day            INTEGER NOT NULL,
        started_at     REAL NOT NULL,
        first_call     INTEGER,
        {_V3_SUMS}
    )""",
    "CREATE INDEX usage_runs_started_at ON usage_runs(started_at)",
    f"""CREATE TABLE usage_cells (
        dim            TEXT NOT NULL CHECK (dim IN ('agent', 'user', 'team')),
        key            TEXT NOT NULL,
        day            INTEGER NOT NULL,
        runs           INTEGER NOT NULL,
        first_call     INTEGER,
        {_V3_SUMS},
        PRIMARY KEY (dim, key, day)
    ) WITHOUT ROWID""",
    """CREATE TABLE usage_evidence (
        run        INTEGER NOT NULL REFERENCES runs(id),
        category   TEXT NOT NULL,
        call       INTEGER NOT NULL,
        agent      TEXT NOT NULL,
        user       TEXT NOT NULL,
        team       TEXT NOT NULL,
        started_at REAL NOT NULL,
        why        TEXT NOT NULL,
        PRIMARY KEY (run, category, call)
    ) WITHOUT ROWID""",
    "CREATE INDEX usage_evidence_agent ON usage_evidence(category, agent, call)",
    "CREATE INDEX usage_evidence_user ON usage_evidence(category, user, call)",
    "CREATE INDEX usage_evidence_team ON usage_evidence(category, team, call)",
    # a report's dirty task groups are found by task
    "CREATE INDEX runs_task ON runs(task)",
    # (NOT EXISTS, not INSERT OR IGNORE: a trigger takes the conflict policy of the statement
    # that fired it, and an upsert's is to fail)
    *(
        f"CREATE TRIGGER usage_{table}_{event.lower()} AFTER {event} ON {table} BEGIN"
        + "".join(
            f" INSERT INTO usage_dirty (run) SELECT {row}.{ref}"
            f" WHERE NOT EXISTS (SELECT 1 FROM usage_dirty WHERE run = {row}.{ref});"
            for row in rows
        )
        + " END"
        for table, ref in (("runs", "id"), ("calls", "run"), ("actions", "run"))
        for event, rows in (("INSERT", ("new",)), ("UPDATE", ("old", "new")), ("DELETE", ("old",)))
    ),
    # every run of an older ledger is stale: the next report backfills its aggregates
    "INSERT INTO usage_dirty (run) SELECT id FROM runs",
)


def _v3(conn: sqlite3.Connection) -> None:
    """Pre-aggregated usage: per-run sums, per (agent|user|team, day) cells, the evidence
    lines behind each waste flag, and triggers that mark a run stale whenever a write touches
    it (docs/ledger.md, "Usage aggregates")."""
    for statement in _V3:
        conn.execute(statement)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3]
SCHEMA_VERSION = len(MIGRATIONS)


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _check_ours(conn: sqlite3.Connection, where: str) -> None:
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if app_id == APPLICATION_ID:
        return
    has_tables = conn.execute(
        "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'"
    ).fetchone()[0]
    if app_id != 0 or has_tables:
        raise InputError(
            f"{where} is a SQLite database but not a verify ledger; "
            "point --ledger at a ledger file or a new path"
        )


def migrate(conn: sqlite3.Connection, where: str) -> int:
    """Bring ``conn`` (autocommit mode) to ``SCHEMA_VERSION``; return the version found."""
    found = _version(conn)
    _check_ours(conn, where)
    if found > SCHEMA_VERSION:
        raise InputError(
            f"{where} has ledger schema v{found}, newer than this verify knows "
            f"(v{SCHEMA_VERSION}); upgrade verify"
        )
    while found < SCHEMA_VERSION:  # an up-to-date ledger opens without taking the write lock
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = _version(conn)  # re-read under the write lock: another process may have won
            if version >= SCHEMA_VERSION:
                conn.execute("COMMIT")
                break
            _check_ours(conn, where)
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found
