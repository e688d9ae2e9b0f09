"""Tests for ``verify.ledger``: schema and migrations, the runner's API, batches, concurrency.

Concurrency and crash tests use real processes (``subprocess`` running this repo's Python):
four writers on one fresh ledger must lose nothing, and a writer killed with SIGKILL in the
middle of a batch must leave whole batches only.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.child import next_line

from verify.errors import ExitCode, InputError, InternalError
from verify.ledger import (
    APPLICATION_ID,
    MAX_OUTPUT_CHARS,
    MIGRATIONS,
    SCHEMA_VERSION,
    ActionRow,
    CallRow,
    Ledger,
    RunRow,
    _schema,
    fingerprint,
    minhash,
)

REPO = Path(__file__).resolve().parents[1]


def _count(ledger: Ledger, table: str) -> int:
    return int(ledger.execute(f"SELECT count(*) FROM {table}")[0][0])


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    with Ledger.open(tmp_path / "ledger.db") as opened:
        yield opened


# --------------------------------------------------------------------------- opening


def test_open_creates_a_wal_ledger_at_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "ledger.db"
    with Ledger.open(path) as ledger:
        assert ledger.execute("PRAGMA journal_mode")[0][0] == "wal"
        assert ledger.execute("PRAGMA user_version")[0][0] == SCHEMA_VERSION
        assert ledger.execute("PRAGMA application_id")[0][0] == APPLICATION_ID
        assert ledger.execute("PRAGMA busy_timeout")[0][0] >= 30_000
        names = "SELECT name FROM sqlite_schema WHERE type = ?"
        tables = {r[0] for r in ledger.execute(names, ("table",))}
        assert {"runs", "calls", "actions"} <= tables
        indexes = {r[0] for r in ledger.execute(names, ("index",))}
        assert {"calls_run_step", "actions_run_step", "runs_started_at"} <= indexes
    with Ledger.open(path) as again:  # reopening migrates nothing and loses nothing
        assert again.execute("PRAGMA user_version")[0][0] == SCHEMA_VERSION


def test_a_file_that_is_not_sqlite_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 50)
    with pytest.raises(InputError, match="not a verify ledger") as info:
        Ledger.open(path)
    assert info.value.exit_code == ExitCode.USAGE
    assert path.read_text().startswith("these are my notes")  # untouched


def test_somebody_elses_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match="not a verify ledger"):
        Ledger.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT name FROM sqlite_schema").fetchall() == [("people",)]
    conn.close()


def test_a_newer_schema_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    Ledger.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(InputError, match="upgrade verify"):
        Ledger.open(path)


def test_missing_ledger_without_create_and_a_folder_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no ledger at"):
        Ledger.open(tmp_path / "absent.db", create=False)
    assert not (tmp_path / "absent.db").exists()
    with pytest.raises(InputError, match="not a file"):
        Ledger.open(tmp_path)


def test_migrations_apply_in_order_each_in_a_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.db"
    Ledger.open(path).close()
    applied: list[int] = []

    def v2(conn: sqlite3.Connection) -> None:
        applied.append(2)
        conn.execute("ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT ''")

    def v3_broken(conn: sqlite3.Connection) -> None:
        applied.append(3)
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(_schema, "MIGRATIONS", [*MIGRATIONS, v2, v3_broken])
    monkeypatch.setattr(_schema, "SCHEMA_VERSION", SCHEMA_VERSION + 2)
    with pytest.raises(InternalError, match="disk on fire"):  # exit 3, naming the ledger
        Ledger.open(path)
    assert applied == [2, 3]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1  # v2 kept
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
    assert "half_done" not in names  # v3 rolled back whole
    assert "note" in {r[1] for r in conn.execute("PRAGMA table_info(runs)")}
    conn.close()


# --------------------------------------------------------------------------- the runner's API


def test_a_run_round_trips(ledger: Ledger) -> None:
    ledger.start_run(
        run_id="r1",
        task="explain retries",
        agent="smol",
        user="ana",
        team="core",
        started_at=1_700_000_000.0,
    )
    first = ledger.record_call(
        run_id="r1",
        purpose="agent",
        model="smollm2",
        prompt_tokens=120,
        completion_tokens=30,
        seconds=0.5,
        verdict="pass",
        output="The retry timeout is 30 seconds.",
        step=0,
    )
    second = ledger.record_call(
        run_id="r1",
        purpose="sample",
        model="smollm2",
        prompt_tokens=120,
        completion_tokens=28,
        seconds=0.4,
        step=0,
    )
    assert second == first + 1
    ledger.record_action(
        run_id="r1",
        step=0,
        kind="answer",
        decision="pass",
        executed=True,
        claims_supported=1,
        claims_total=1,
        summary="The retry timeout is 30s",
    )
    ledger.finish_run(run_id="r1", decision="pass", verified_units=1.0)
    run = ledger.execute(
        "SELECT run_id, task, agent, user, team, source, started_at, decision,"
        " verified_units, finished_at IS NOT NULL FROM runs"
    )
    assert run == [
        ("r1", "explain retries", "smol", "ana", "core", "verify", 1_700_000_000.0, "pass", 1.0, 1)
    ]
    calls = ledger.execute(
        "SELECT purpose, prompt_tokens, completion_tokens, verdict, step,"
        " sentences, checkable, length(minhash) FROM calls ORDER BY id"
    )
    assert calls == [
        ("agent", 120, 30, "pass", 0, 1, 1, 64),
        ("sample", 120, 28, "", 0, 0, 0, None),
    ]
    frames = ledger.frames()
    assert frames.runs.run_id == ["r1"]
    assert frames.calls.prompt.tolist() == [120, 120]
    assert frames.calls.step.tolist() == [0, 0]
    assert frames.calls.purpose.tolist() == [0, 1]
    assert frames.actions.claims_supported.tolist() == [1]
    assert frames.summary(0) == "The retry timeout is 30s"


def test_a_call_for_an_unknown_run_is_kept_under_a_placeholder_run(ledger: Ledger) -> None:
    ledger.record_call(
        run_id="ghost",
        purpose="judge",
        model="m",
        prompt_tokens=5,
        completion_tokens=1,
        seconds=0.0,
    )
    assert ledger.execute("SELECT run_id, task FROM runs") == [("ghost", "")]
    ledger.start_run(run_id="ghost", task="late start", agent="a", user="u")
    assert ledger.execute("SELECT task, agent FROM runs") == [("late start", "a")]
    assert _count(ledger, "calls") == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("purpose", "thinking", "purpose must be one of"),
        ("verdict", "maybe", "verdict must be"),
        ("prompt_tokens", -1, "token counts"),
        ("completion_tokens", -5, "token counts"),
    ],
)
def test_record_call_rejects_bad_values_and_writes_nothing(
    ledger: Ledger, field: str, value: object, message: str
) -> None:
    args: dict[str, object] = {
        "run_id": "r",
        "purpose": "agent",
        "model": "m",
        "prompt_tokens": 1,
        "completion_tokens": 1,
        "seconds": 0.1,
    }
    args[field] = value
    with pytest.raises(ValueError, match=message):
        ledger.record_call(**args)  # type: ignore[arg-type]
    assert _count(ledger, "calls") == 0 and _count(ledger, "runs") == 0


def test_record_action_rejects_more_supported_than_total(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="claims_supported"):
        ledger.record_action(
            run_id="r",
            step=0,
            kind="answer",
            decision="pass",
            executed=True,
            claims_supported=3,
            claims_total=2,
        )
    with pytest.raises(ValueError, match="decision"):
        ledger.record_action(
            run_id="r",
            step=0,
            kind="answer",
            decision="ok",
            executed=True,
            claims_supported=0,
            claims_total=0,
        )
    assert _count(ledger, "actions") == 0


def test_output_is_capped_but_measured_whole(ledger: Ledger) -> None:
    text = "The cache holds 512 entries. " * 1000
    ledger.record_call(
        run_id="r",
        purpose="agent",
        model="m",
        prompt_tokens=1,
        completion_tokens=7000,
        seconds=1,
        output=text,
    )
    stored, chars, sentences, repeated = ledger.execute(
        "SELECT output, output_chars, sentences, repeated_sentences FROM calls"
    )[0]
    assert len(stored) == MAX_OUTPUT_CHARS and chars == len(text)
    assert sentences == 1000 and repeated == 999


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(), name=st.text(max_size=40))
def test_any_text_round_trips_without_error(ledger: Ledger, text: str, name: str) -> None:
    ledger.start_run(run_id=name, task=text, agent=name, user=name)
    ledger.record_call(
        run_id=name,
        purpose="agent",
        model=name,
        prompt_tokens=1,
        completion_tokens=1,
        seconds=0,
        output=text,
    )
    ledger.record_action(
        run_id=name,
        step=0,
        kind=name or "answer",
        decision="",
        executed=False,
        claims_supported=0,
        claims_total=0,
        summary=text,
    )
    stored = ledger.execute("SELECT output FROM calls ORDER BY id DESC LIMIT 1")[0][0]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates are kept visibly escaped, never dropped
        assert "\\ud" in stored or "\\udc" in stored
    else:
        assert stored == text[:MAX_OUTPUT_CHARS]


# --------------------------------------------------------------------------- batches


def test_add_is_idempotent_by_content_key(ledger: Ledger) -> None:
    runs = [
        RunRow("imp-1", task="t", agent="a", user="u", source="import", started_at=5.0),
        RunRow("never-used", agent="x"),
    ]
    calls = [
        CallRow("imp-1", "k1", prompt_tokens=10, completion_tokens=2, output="hello there"),
        CallRow("imp-1", "k2", prompt_tokens=11, completion_tokens=3),
    ]
    actions = [
        ActionRow(
            "imp-1",
            "a1",
            step=0,
            kind="answer",
            decision="pass",
            executed=True,
            claims_supported=1,
            claims_total=1,
            summary="hello",
        )
    ]
    assert ledger.add(runs, calls, actions) == (3, 0)
    assert ledger.add(runs, calls, actions) == (0, 3)
    assert ledger.add(runs, [*calls, CallRow("imp-1", "k3", prompt_tokens=1)], []) == (1, 2)
    assert _count(ledger, "calls") == 3 and _count(ledger, "actions") == 1
    # a run no row refers to is not created; a known run keeps its fields
    assert ledger.execute("SELECT run_id, agent, source, started_at FROM runs") == [
        ("imp-1", "a", "import", 5.0)
    ]


def test_add_is_all_or_nothing(ledger: Ledger) -> None:
    calls = [CallRow("r", "ok", prompt_tokens=1), CallRow("r", "bad", purpose="nonsense")]
    with pytest.raises(ValueError):
        ledger.add([RunRow("r")], calls, [])
    assert _count(ledger, "calls") == 0 and _count(ledger, "runs") == 0


def test_a_duplicate_key_inside_one_batch_is_written_once(ledger: Ledger) -> None:
    call = CallRow("r", "same", prompt_tokens=4)
    assert ledger.add([], [call, call], []) == (1, 1)


# --------------------------------------------------------------------------- fingerprints


def test_fingerprints_are_deterministic_and_separate_near_from_far() -> None:
    a = "The retry timeout is 30 seconds and the client retries five times before failing."
    near = "The retry timeout is 30 seconds and the client retries five times before it fails."
    far = "Raw uploads are kept for ninety days in the cold storage bucket named archive."
    sig = {
        k: np.frombuffer(minhash(v) or b"", dtype="<u4")
        for k, v in {"a": a, "near": near, "far": far}.items()
    }
    assert minhash(a) == minhash(a)
    assert np.mean(sig["a"] == sig["near"]) >= 0.5
    assert np.mean(sig["a"] == sig["far"]) <= 0.2
    assert minhash("") is None and minhash("!!!") is None
    feats = fingerprint("Ingot listens on port 8443. It is great. It is great. It is great.")
    assert (feats.sentences, feats.repeated_sentences) == (4, 2)
    assert feats.checkable >= 1


def test_fingerprints_are_the_same_in_another_process() -> None:
    text = "Backoff doubles after each of 5 attempts."
    code = (
        f"from verify.ledger import minhash; import sys; sys.stdout.write(minhash({text!r}).hex())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "123"},
    )
    assert out.stdout == (minhash(text) or b"").hex()


# --------------------------------------------------------------------------- processes

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from verify.ledger import Ledger
    path, who, runs, calls = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with Ledger.open(path) as ledger:
        for r in range(runs):
            run_id = f"{who}-{r}"
            ledger.start_run(run_id=run_id, task="t", agent=who, user=who)
            for c in range(calls):
                ledger.record_call(run_id=run_id, purpose="agent", model="m",
                                   prompt_tokens=c + 1, completion_tokens=1, seconds=0.0,
                                   output=f"{who} says {c}", step=c)
                ledger.record_action(run_id=run_id, step=c, kind="search", decision="pass",
                                     executed=True, claims_supported=0, claims_total=0,
                                     summary=f"q{c}")
            ledger.finish_run(run_id=run_id, decision="pass")
""")


def test_four_concurrent_writers_on_a_fresh_ledger_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"  # does not exist yet: the four race to create it too
    runs, calls = 5, 40
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"w{i}", str(runs), str(calls)],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    with Ledger.open(path) as ledger:
        assert _count(ledger, "runs") == 4 * runs
        assert _count(ledger, "calls") == 4 * runs * calls
        assert _count(ledger, "actions") == 4 * runs * calls
        assert ledger.execute("SELECT sum(prompt_tokens) FROM calls")[0][0] == (
            4 * runs * calls * (calls + 1) // 2
        )
        assert ledger.execute("SELECT count(*) FROM runs WHERE decision = 'pass'")[0][0] == 20
        assert ledger.execute("PRAGMA integrity_check")[0][0] == "ok"


KILLED = textwrap.dedent("""
    import sys
    from pathlib import Path
    from verify.ledger import CallRow, Ledger, RunRow
    path, batch = Path(sys.argv[1]), int(sys.argv[2])
    with Ledger.open(path) as ledger:
        n = 0
        while True:
            rows = [CallRow("victim", f"k{n}-{i}", prompt_tokens=1, output="x " * 50)
                    for i in range(batch)]
            ledger.add([RunRow("victim")], rows, [])
            n += 1
            print(n, flush=True)
""")


def test_a_writer_killed_mid_batch_leaves_whole_batches_only(tmp_path: Path) -> None:
    path, batch = tmp_path / "ledger.db", 400
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(path), str(batch)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for n in range(3):  # let it commit a few batches, then kill it wherever it is
        next_line(proc, f"batch {n + 1} committed")
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    with Ledger.open(path) as ledger:
        count = _count(ledger, "calls")
        assert count >= 3 * batch and count % batch == 0
        assert ledger.execute("PRAGMA integrity_check")[0][0] == "ok"
