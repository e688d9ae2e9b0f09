"""Read the ledger into columns (numpy arrays) for the usage report.

Three queries, one per table, each in id order; in the frames calls and actions refer to
their run by its position in ``RunFrame`` (the ``run`` arrays), so everything after this is
array arithmetic. On a 100k-call ledger this takes a few hundred milliseconds. The rows read
are every run (started at or after ``since``), or the runs of a selection (the usage
aggregates recompute a few task groups at a time: ``SELECTION``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ._fingerprint import MINHASH_SIZE

__all__ = [
    "PURPOSE_CODES",
    "SELECTION",
    "ActionFrame",
    "CallFrame",
    "Frames",
    "RunFrame",
    "load_frames",
    "read_frames",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

#: ``CallFrame.purpose`` holds these codes.
PURPOSE_CODES = {"agent": 0, "sample": 1, "judge": 2, "imported": 3}


@dataclass(frozen=True)
class RunFrame:
    id: I64  # row ids, in increasing order
    run_id: list[str]
    task: list[str]
    agent: list[str]
    user: list[str]
    team: list[str]
    started_at: F64
    decision: list[str]
    verified_units: F64  # NaN where finish_run gave none

    def __len__(self) -> int:
        return len(self.run_id)


@dataclass(frozen=True)
class CallFrame:
    id: I64  # row ids, in increasing order
    run: I64  # index into RunFrame
    step: I64  # -1 where the call has no step
    purpose: I64  # PURPOSE_CODES
    prompt: I64
    completion: I64
    blocked: B  # verdict == 'block'
    sentences: I64
    repeated: I64
    checkable: I64
    minhash: npt.NDArray[np.uint32]  # (n, MINHASH_SIZE); rows of zeros where has_sig is False
    has_sig: B  # a signature was loaded: agent and imported calls with words in their output

    def __len__(self) -> int:
        return len(self.run)

    @property
    def tokens(self) -> I64:
        return self.prompt + self.completion


@dataclass(frozen=True)
class ActionFrame:
    id: I64  # row ids, for Frames.summary
    run: I64
    step: I64
    kind: list[str]
    decision: list[str]
    executed: B
    claims_supported: I64
    claims_total: I64
    lines: I64
    summary_hash: I64
    #: recorded before it ran, its outcome never written: it may have taken effect
    outcome_unknown: B

    def __len__(self) -> int:
        return len(self.run)


def _no_summaries(action_ids: list[int]) -> dict[int, str]:
    return {}


@dataclass(frozen=True)
class Frames:
    runs: RunFrame
    calls: CallFrame
    actions: ActionFrame
    #: reads actions' summaries by row id (while the ledger is open): summaries are only
    #: needed for a few lines of evidence, so they are not loaded with the columns
    fetch_summaries: Callable[[list[int]], dict[int, str]] = _no_summaries
    _summaries: dict[int, str] = field(default_factory=dict, repr=False)

    def prefetch(self, actions: Iterable[int]) -> None:
        """Read the summaries of the actions at these positions in one go."""
        known = self._summaries
        ids = sorted(
            {i for i in (int(self.actions.id[a]) for a in actions if a >= 0) if i not in known}
        )
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found = self.fetch_summaries(chunk)
            self._summaries.update({i: found.get(i, "") for i in chunk})

    def summary(self, action: int) -> str:
        """The first 80 characters of the summary of the action at position ``action``."""
        action_id = int(self.actions.id[action])
        if action_id not in self._summaries:
            self.prefetch([action])
        return self._summaries[action_id]


@dataclass(frozen=True)
class _Filter:
    """Which runs to read, and the same choice as a join for calls and actions."""

    runs: str  # a WHERE clause on runs
    children: str  # FROM clause of calls or actions (``{table}``), limited to those runs
    params: tuple[float, ...] = ()


_ALL = _Filter("", "{table}")
#: The runs whose ids the temporary table ``usage_sel`` holds (filled by the aggregates'
#: refresh). CROSS JOIN keeps SQLite from scanning a whole table: each run's rows come by index.
SELECTION = _Filter(
    " WHERE id IN (SELECT id FROM temp.usage_sel)",
    "temp.usage_sel AS s CROSS JOIN {table} ON {table}.run = s.id",
)


def _since(since: float | None) -> _Filter:
    if since is None:
        return _ALL
    return _Filter(
        " WHERE started_at >= ?",
        "{table} WHERE run IN (SELECT id FROM runs WHERE started_at >= ?)",
        (since,),
    )


def _runs(conn: sqlite3.Connection, which: _Filter) -> tuple[RunFrame, I64]:
    rows = conn.execute(
        "SELECT id, run_id, task, agent, user, team, started_at, decision, verified_units"
        f" FROM runs{which.runs} ORDER BY id",
        which.params,
    ).fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [()] * 9
    ids = np.array(cols[0], dtype=np.int64)
    frame = RunFrame(
        id=ids,
        run_id=list(cols[1]),
        task=list(cols[2]),
        agent=list(cols[3]),
        user=list(cols[4]),
        team=list(cols[5]),
        started_at=np.array(cols[6], dtype=np.float64),
        decision=list(cols[7]),
        verified_units=np.array(cols[8], dtype=np.float64),
    )
    return frame, ids


def _positions(ids: I64, refs: I64) -> tuple[I64, B]:
    """Where each run row id of ``refs`` sits in the sorted ``ids``, and which are there."""
    pos = np.searchsorted(ids, refs)
    keep = pos < len(ids)
    keep[keep] = ids[pos[keep]] == refs[keep]
    return pos, keep


# Several small integers travel packed in one int64 per row: nine columns cost what three do
# when 100k rows become Python objects. Steps are capped at 2**24 - 2 (none, -1, travels as
# 0), run ids stay below 2**36, token counts below 2**31, counts are capped at 2**20 - 1.
_CALLS = (
    "SELECT calls.id, min(coalesce(step, -1) + 1, 16777215) | ((CASE purpose WHEN 'agent' THEN 0"
    " WHEN 'sample' THEN 1 WHEN 'judge' THEN 2 ELSE 3 END) << 24) | ((verdict = 'block') << 26)"
    " | (run << 27),"
    " prompt_tokens | (completion_tokens << 32),"
    " min(sentences, 1048575) | (min(repeated_sentences, 1048575) << 20)"
    " | (min(checkable, 1048575) << 40),"
    # only free generations are compared for near-duplicates: leave the others' behind
    " CASE WHEN purpose IN ('agent', 'imported') THEN minhash END"
    " FROM {source} ORDER BY calls.id"
)


def _calls(conn: sqlite3.Connection, run_ids: I64, which: _Filter) -> CallFrame:
    source = which.children.format(table="calls")
    rows = conn.execute(_CALLS.format(source=source), which.params).fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [()] * 5
    a = np.array(cols[1], dtype=np.int64)
    run, keep = _positions(run_ids, a >> 27)
    a = a[keep]
    tokens = np.array(cols[2], dtype=np.int64)[keep]
    feats = np.array(cols[3], dtype=np.int64)[keep]
    sigs = [s for s, k in zip(cols[4], keep, strict=True) if k]
    has_sig = np.fromiter((s is not None for s in sigs), dtype=bool, count=len(sigs))
    blank = bytes(4 * MINHASH_SIZE)
    packed = b"".join(s if s is not None else blank for s in sigs)
    minhash = np.frombuffer(packed, dtype="<u4").reshape(len(sigs), MINHASH_SIZE)
    low20 = (1 << 20) - 1
    return CallFrame(
        id=np.array(cols[0], dtype=np.int64)[keep],
        run=run[keep],
        step=(a & 0xFFFFFF) - 1,
        purpose=(a >> 24) & 3,
        prompt=tokens & 0xFFFFFFFF,
        completion=tokens >> 32,
        blocked=((a >> 26) & 1) == 1,
        sentences=feats & low20,
        repeated=(feats >> 20) & low20,
        checkable=feats >> 40,
        minhash=minhash.astype(np.uint32),
        has_sig=has_sig,
    )


_DECISIONS = ["", "pass", "block"]
_ACTIONS = (
    "SELECT actions.id, min(max(step, 0), 16777215) | (executed << 24)"
    " | ((CASE decision WHEN 'pass' THEN 1 WHEN 'block' THEN 2 ELSE 0 END) << 25) | (run << 27),"
    " kind, min(claims_supported, 2097151)"
    " | (min(claims_total, 2097151) << 21) | (min(lines, 2097151) << 42), summary_hash"
    " FROM {source} ORDER BY actions.id"
)


def _actions(conn: sqlite3.Connection, run_ids: I64, which: _Filter) -> ActionFrame:
    source = which.children.format(table="actions")
    rows = conn.execute(_ACTIONS.format(source=source), which.params).fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [()] * 5
    a = np.array(cols[1], dtype=np.int64)
    run, keep = _positions(run_ids, a >> 27)
    a = a[keep]
    claims = np.array(cols[3], dtype=np.int64)[keep]
    low21 = (1 << 21) - 1
    ids = np.array(cols[0], dtype=np.int64)[keep]
    # rare, and found through a partial index: not worth a column in the scan above
    unknown = [r[0] for r in conn.execute("SELECT id FROM actions WHERE outcome_recorded = 0")]
    return ActionFrame(
        id=ids,
        run=run[keep],
        step=a & 0xFFFFFF,
        kind=[k for k, ok in zip(cols[2], keep, strict=True) if ok],
        decision=[_DECISIONS[d] for d in ((a >> 25) & 3).tolist()],
        executed=((a >> 24) & 1) == 1,
        claims_supported=claims & low21,
        claims_total=(claims >> 21) & low21,
        lines=claims >> 42,
        summary_hash=np.array(cols[4], dtype=np.int64)[keep],
        outcome_unknown=np.isin(ids, np.array(unknown, dtype=np.int64)),
    )


def load_frames(conn: sqlite3.Connection, since: float | None) -> Frames:
    """The ledger's rows as columns; calls and actions of runs before ``since`` left out."""
    conn.execute("BEGIN")  # one snapshot for all three reads, even while writers commit
    try:
        return read_frames(conn, _since(since))
    finally:
        conn.execute("COMMIT")


def read_frames(conn: sqlite3.Connection, which: _Filter = _ALL) -> Frames:
    """The rows ``which`` chooses as columns, read inside the caller's transaction."""
    runs, run_ids = _runs(conn, which)
    calls, actions = _calls(conn, run_ids, which), _actions(conn, run_ids, which)

    def fetch_summaries(action_ids: list[int]) -> dict[int, str]:
        marks = ",".join("?" * len(action_ids))
        try:
            rows = conn.execute(
                f"SELECT id, substr(summary, 1, 80) FROM actions WHERE id IN ({marks})", action_ids
            ).fetchall()
        except sqlite3.ProgrammingError:  # the ledger was closed: evidence names the kind only
            return {}
        return {int(i): str(text) for i, text in rows}

    return Frames(runs, calls, actions, fetch_summaries)
