"""Checking and inserting the ledger's call and action rows: what a row may hold, and the SQL
that stores it.

A bad row (an unknown purpose or decision, negative counts) is a ``ValueError`` naming what
is wrong, raised before anything is stored. Lone surrogates in text are marked (``clean``);
a call's output is kept up to ``MAX_OUTPUT_CHARS`` characters and an action's summary up to
``MAX_SUMMARY_CHARS``; a row for a run never started creates a placeholder run
(``run_ref``), so no row is ever dropped. The caller (``Ledger``) holds the transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3

from ._fingerprint import Fingerprint, fingerprint
from ._records import ActionRow, CallRow

__all__ = [
    "DECISIONS",
    "MAX_OUTPUT_CHARS",
    "MAX_SUMMARY_CHARS",
    "PURPOSES",
    "check",
    "clean",
    "insert_action",
    "insert_call",
    "prepare_call",
    "run_ref",
    "summary_hash",
]

PURPOSES = ("agent", "sample", "judge", "imported")
DECISIONS = ("", "pass", "block")
#: Output text kept per call (the features are computed on the whole text first).
MAX_OUTPUT_CHARS = 4000
MAX_SUMMARY_CHARS = 1000


def summary_hash(kind: str, summary: str) -> int:
    """A signed 64-bit key for (kind, summary), whitespace- and case-insensitive."""
    norm = " ".join(summary.lower().split())
    digest = hashlib.blake2b(
        f"{kind}\x00{norm}".encode("utf-8", "surrogatepass"), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def clean(text: str) -> str:
    """``text`` as it can be stored: lone surrogates marked as backslash escapes."""
    # lone surrogates (from hostile or broken input) cannot be stored as UTF-8: mark them
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def check(ok: bool, message: str) -> None:
    """A ``ValueError`` saying ``message`` unless ``ok``: a bad row."""
    if not ok:
        raise ValueError(message)


def run_ref(conn: sqlite3.Connection, run_id: str, now: float) -> int:
    """The row id of run ``run_id``, creating a placeholder run if it was never started."""
    run_id = clean(run_id)
    conn.execute("INSERT OR IGNORE INTO runs (run_id, started_at) VALUES (?, ?)", (run_id, now))
    return int(conn.execute("SELECT id FROM runs WHERE run_id = ?", (run_id,)).fetchone()[0])


def prepare_call(row: CallRow) -> tuple[str, Fingerprint]:
    """Check ``row`` and compute its features (outside any transaction: no lock held)."""
    check(row.purpose in PURPOSES, f"purpose must be one of {PURPOSES}, not {row.purpose!r}")
    check(row.verdict in DECISIONS, f"verdict must be pass, block or '', not {row.verdict!r}")
    check(row.prompt_tokens >= 0 and row.completion_tokens >= 0, "token counts must be >= 0")
    output = clean(row.output)
    return output, fingerprint(output)


def insert_call(
    conn: sqlite3.Connection, row: CallRow, prepared: tuple[str, Fingerprint], now: float
) -> int:
    """Insert call ``row`` with what ``prepare_call`` made of it; return its row id."""
    output, feats = prepared
    run = run_ref(conn, row.run_id, now)
    cur = conn.execute(
        "INSERT INTO calls (run, step, purpose, model,"
        " prompt_tokens, completion_tokens, seconds, verdict, output, output_chars,"
        " sentences, repeated_sentences, checkable, minhash, created_at, content_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            run,
            row.step,
            row.purpose,
            clean(row.model),
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


def insert_action(
    conn: sqlite3.Connection, row: ActionRow, now: float, *, outcome_recorded: bool = True
) -> int:
    """Check and insert action ``row``; return its row id. ``outcome_recorded`` false marks
    an action about to run, whose outcome ``Ledger.finish_action`` records."""
    check(row.decision in DECISIONS, f"decision must be pass, block or '', not {row.decision!r}")
    check(
        0 <= row.claims_supported <= row.claims_total,
        "need 0 <= claims_supported <= claims_total",
    )
    check(row.lines >= 0, "lines must be >= 0")
    summary = clean(row.summary)
    run = run_ref(conn, row.run_id, now)
    cur = conn.execute(
        "INSERT INTO actions (run, step, kind, decision,"
        " executed, claims_supported, claims_total, lines, summary, summary_hash,"
        " created_at, content_key, outcome_recorded)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            run,
            int(row.step),
            clean(row.kind),
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
