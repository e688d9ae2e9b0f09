"""The usage aggregates (schema v3): a report from the kept sums equals one from every row.

``ledger_report`` reads the sums the ledger keeps (per run, per key and day, the first
evidence lines); ``build_report`` reads and judges every call. On seeded random ledgers that
exercise every rule (loops, near-duplicates across runs, unused calls, oversampling, padding,
context, tokenmaxxing, blocked work, outcome unknown, reported units, runs that change task or
team, imports) the two must give the same report, for every grouping, period and weights;
after more writes the incrementally updated sums must equal sums computed from scratch; a
refresh that fails or is killed part-way must leave sums that the next one completes; and a
v2 ledger must come out migrated, with its sums backfilled.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.child import next_line
from support.random_ledgers import DAY, FILLER, T0, grow

from verify.errors import InternalError
from verify.ledger import SCHEMA_VERSION, Ledger, _schema
from verify.usage import BY_CHOICES, UnitWeights, build_report, ledger_report, refresh, render
from verify.usage._attribute import run_sums
from verify.usage._report import EVIDENCE

REPO = Path(__file__).resolve().parents[1]


def _change(path: Path, seed: int) -> None:
    """Writes that touch runs already summed: a new call, an outcome, a task and team moved."""
    rng = random.Random(seed)
    with Ledger.open(path) as ledger:
        ledger.record_call(
            run_id="run-003", purpose="agent", model="m", prompt_tokens=50_000,
            completion_tokens=900, seconds=1.0, step=99, output=FILLER,
        )  # fmt: skip
        ledger.start_run(run_id="run-005", task="moved", agent="scout", user="scout-0", team="blue")
        ledger.start_run(run_id="run-006", task="", agent="helper", user="helper-1", team="red")
        for (action,) in ledger.execute("SELECT id FROM actions WHERE outcome_recorded = 0"):
            if rng.random() < 0.5:
                ledger.finish_action(action, executed=True, decision="pass")


CASES = [
    (by, since, weights)
    for by in BY_CHOICES
    for since in (None, T0 + 2 * DAY, T0 + 1.37 * DAY)
    for weights in (None, UnitWeights(claim=2.0, action=0.5, line=0.25))
]


def _same_reports(path: Path) -> None:
    with Ledger.open(path, create=False) as ledger:
        frames = ledger.frames()
        for by, since, weights in CASES:
            full = build_report(frames, by, since=since, weights=weights, max_tokens_per_unit=900)
            kept = ledger_report(ledger, by, since=since, weights=weights, max_tokens_per_unit=900)
            assert kept == full, (by, since, weights)
            assert render(kept, "json") == render(full, "json")
            assert render(kept, "text") == render(full, "text")


AGGREGATES = ("usage_runs", "usage_cells", "usage_evidence", "usage_dirty")


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """The aggregate tables' rows; a cell's first_call is left out: it is only a lower bound
    (where to start looking for evidence), kept low when a run leaves the cell."""
    conn = sqlite3.connect(path)
    try:
        tables = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in AGGREGATES}
        tables["usage_cells"] = [row[:4] + row[5:] for row in tables["usage_cells"]]
        return tables
    finally:
        conn.close()


def _from_scratch(path: Path, tmp: Path) -> dict[str, list[tuple[object, ...]]]:
    """The aggregates of a copy of ``path`` thrown away and computed again."""
    copy = tmp / f"scratch-{path.stem}.db"
    copy.unlink(missing_ok=True)
    source = sqlite3.connect(path)
    source.execute(f"VACUUM INTO '{copy}'")
    source.close()
    conn = sqlite3.connect(copy)
    with conn:
        for table in AGGREGATES:
            conn.execute(f"DELETE FROM {table}")
        conn.execute("INSERT INTO usage_dirty (run) SELECT id FROM runs")
    conn.close()
    with Ledger.open(copy) as ledger:
        refresh(ledger)
    return _tables(copy)


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "ledger.db"
    grow(path, seed=1, runs=40)
    return path


# --------------------------------------------------------------------------- equality


def test_the_generator_exercises_every_flag(grown: Path) -> None:
    with Ledger.open(grown) as ledger:
        report = build_report(ledger.frames(), "run", max_tokens_per_unit=900)
    flags = {f for row in report.rows for f in row.flags}
    assert flags >= {
        "blocked", "loop", "near_duplicate", "unused", "oversampling", "padding", "context",
        "tokenmaxxing", "outcome_unknown", "no_verified_work", "over_budget",
    }  # fmt: skip


def test_reports_from_the_kept_sums_equal_reports_from_every_row(grown: Path) -> None:
    _same_reports(grown)


def test_after_more_writes_the_updated_sums_equal_sums_from_scratch(
    grown: Path, tmp_path: Path
) -> None:
    with Ledger.open(grown) as ledger:
        refresh(ledger)
    grow(grown, seed=2, runs=15, first=40)
    _change(grown, seed=3)
    with Ledger.open(grown) as ledger:
        assert ledger.execute("SELECT count(*) FROM usage_dirty")[0][0] > 0
        refresh(ledger)
        assert ledger.execute("SELECT count(*) FROM usage_dirty")[0][0] == 0
    assert _tables(grown) == _from_scratch(grown, tmp_path)
    _same_reports(grown)


def test_one_run_per_chunk_gives_the_same_sums(grown: Path, tmp_path: Path) -> None:
    copy = tmp_path / "chunks.db"
    source = sqlite3.connect(grown)
    source.execute(f"VACUUM INTO '{copy}'")
    source.close()
    with sqlite3.connect(copy) as conn:
        conn.execute("INSERT OR IGNORE INTO usage_dirty (run) SELECT id FROM runs")
    with Ledger.open(copy) as ledger:
        seen: list[int] = []
        ledger.refresh_usage(run_sums, chunk_runs=1, progress=seen.append)
    assert len(seen) > 5 and seen == sorted(seen)
    assert _tables(copy) == _from_scratch(grown, tmp_path)


def test_kept_evidence_covers_what_a_report_shows() -> None:
    from verify.ledger import EVIDENCE_CALLS

    assert EVIDENCE_CALLS >= 3 * EVIDENCE


def test_a_run_that_changes_task_changes_the_sums_of_the_task_it_left(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    with Ledger.open(path) as ledger:
        for name, tokens in (("a", 100), ("b", 120), ("greedy", 5000)):
            ledger.start_run(run_id=name, task="t", agent="x", user="u", started_at=T0)
            ledger.record_call(
                run_id=name, purpose="agent", model="m", prompt_tokens=tokens,
                completion_tokens=1, seconds=0, step=0,
            )  # fmt: skip
        report = ledger_report(ledger, "run")
        assert "tokenmaxxing" in next(r for r in report.rows if r.key == "greedy").flags
        ledger.start_run(run_id="b", task="elsewhere", agent="x", user="u")  # two runs left
        report = ledger_report(ledger, "run")
        assert "tokenmaxxing" not in next(r for r in report.rows if r.key == "greedy").flags
        assert report == build_report(ledger.frames(), "run")


def test_a_report_on_current_sums_reads_while_a_writer_holds_the_lock(
    grown: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import verify.ledger._connection as connection_module

    with Ledger.open(grown) as ledger:
        refresh(ledger)
    monkeypatch.setattr(connection_module, "BUSY_TIMEOUT_MS", 200)
    writer = sqlite3.connect(grown, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE runs SET task = task")  # stale marks, not committed yet
        with Ledger.open(grown) as ledger:
            assert ledger_report(ledger, "team") == build_report(ledger.frames(), "team")
            # the writer does hold the lock, and a write gives up after the patched wait
            with pytest.raises(InternalError, match=r"waited 0\.2s"):
                ledger.start_run(run_id="w", task="t", agent="a", user="u")
    finally:
        writer.execute("ROLLBACK")
        writer.close()


# --------------------------------------------------------------------------- crashes


def test_a_refresh_that_fails_part_way_leaves_sums_the_next_one_completes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.db"
    grow(path, seed=4, runs=30)
    calls = 0

    def flaky(frames):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("power cut")
        return run_sums(frames)

    with Ledger.open(path) as ledger:
        with pytest.raises(InternalError, match="power cut"):
            ledger.refresh_usage(flaky, chunk_runs=3)
        left = ledger.execute("SELECT count(*) FROM usage_dirty")[0][0]
        assert 0 < left < ledger.execute("SELECT count(*) FROM runs")[0][0]
    _same_reports(path)
    assert _tables(path) == _from_scratch(path, tmp_path)


KILLED = textwrap.dedent("""
    import sys
    from pathlib import Path
    from verify.ledger import Ledger
    from verify.usage._attribute import run_sums
    with Ledger.open(Path(sys.argv[1])) as ledger:
        ledger.refresh_usage(run_sums, chunk_runs=1, progress=lambda n: print(n, flush=True))
""")


def test_a_refresh_killed_mid_way_leaves_sums_the_next_one_completes(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    grow(path, seed=5, runs=40)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for n in range(3):
        next_line(proc, f"progress line {n + 1} of the refresh")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stdout.close()
    with Ledger.open(path) as ledger:
        assert ledger.execute("PRAGMA integrity_check")[0][0] == "ok"
        assert ledger.execute("SELECT count(*) FROM usage_dirty")[0][0] > 0
    _same_reports(path)
    assert _tables(path) == _from_scratch(path, tmp_path)


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, "tests")
    from support.random_ledgers import grow
    grow(Path(sys.argv[1]), seed=int(sys.argv[2]), runs=30, first=int(sys.argv[3]))
""")


def test_reports_while_two_writers_write_end_with_sums_from_scratch(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    grow(path, seed=7, runs=5)
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(seed), str(first)], cwd=REPO)
        for seed, first in ((8, 100), (9, 200))
    ]
    with Ledger.open(path) as ledger:
        while any(w.poll() is None for w in writers):
            ledger_report(ledger, "team")  # refreshes while the writers commit
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    _same_reports(path)
    assert _tables(path) == _from_scratch(path, tmp_path)


# --------------------------------------------------------------------------- migration


def test_a_v2_ledger_is_migrated_and_its_sums_backfilled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v2.db"
    monkeypatch.setattr(_schema, "MIGRATIONS", _schema.MIGRATIONS[:2])
    monkeypatch.setattr(_schema, "SCHEMA_VERSION", 2)
    grow(path, seed=6, runs=25)
    with Ledger.open(path) as old:
        assert "usage_runs" not in {r[0] for r in old.execute("SELECT name FROM sqlite_schema")}
        runs = old.execute("SELECT count(*) FROM runs")[0][0]
    monkeypatch.undo()
    with Ledger.open(path) as ledger:
        assert ledger.execute("PRAGMA user_version")[0][0] == SCHEMA_VERSION == 3
        assert ledger.execute("SELECT count(*) FROM usage_dirty")[0][0] == runs  # all stale
        assert ledger.execute("SELECT count(*) FROM usage_runs")[0][0] == 0
    _same_reports(path)
    with Ledger.open(path) as ledger:
        assert ledger.execute("SELECT count(*) FROM usage_runs")[0][0] == runs
        assert ledger.execute("SELECT count(*) FROM usage_dirty")[0][0] == 0


# --------------------------------------------------------------------------- writers


def test_every_write_marks_its_run_stale_in_its_own_transaction(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as ledger:

        def stale() -> set[str]:
            rows = ledger.execute(
                "SELECT r.run_id FROM usage_dirty AS d JOIN runs AS r ON r.id = d.run"
            )
            return {r[0] for r in rows}

        ledger.start_run(run_id="a", task="t", agent="x", user="u")
        ledger.start_run(run_id="b", task="t", agent="x", user="u")
        assert stale() == {"a", "b"}
        refresh(ledger)
        assert stale() == set()
        ledger.record_call(
            run_id="a", purpose="agent", model="m", prompt_tokens=1, completion_tokens=1,
            seconds=0, step=0,
        )  # fmt: skip
        assert stale() == {"a"}
        refresh(ledger)
        action = ledger.begin_action(
            run_id="b", step=0, kind="answer", decision="pass", claims_supported=1,
            claims_total=1,
        )  # fmt: skip
        refresh(ledger)
        ledger.finish_action(action, executed=True, decision="pass")
        assert stale() == {"b"}
        refresh(ledger)
        ledger.finish_run(run_id="a", decision="pass", verified_units=3)
        ledger.start_run(run_id="b", task="t", agent="x", user="u", team="new")
        assert stale() == {"a", "b"}
        with pytest.raises(ValueError):  # a refused write marks nothing
            ledger.record_call(
                run_id="c", purpose="nope", model="m", prompt_tokens=1, completion_tokens=1,
                seconds=0,
            )  # fmt: skip
        assert stale() == {"a", "b"}


def test_an_import_leaves_the_sums_up_to_date_and_twice_adds_nothing(tmp_path: Path) -> None:
    from verify.usage import Defaults, import_file

    log = tmp_path / "log.jsonl"
    log.write_text(
        "\n".join(
            f'{{"id": "c{i}", "model": "m", "created": {int(T0) + i}, '
            f'"usage": {{"prompt_tokens": {100 + i}, "completion_tokens": 5}}, '
            f'"metadata": {{"run": "r{i % 3}", "task": "t", "team": "ops", "step": {i}}}}}'
            for i in range(12)
        )
        + "\n",
        encoding="utf-8",
    )
    path = tmp_path / "l.db"
    with Ledger.open(path) as ledger:
        first = import_file(ledger, log, "openai-jsonl", Defaults(user="u"))
        assert first.added == 12
        assert ledger.execute("SELECT count(*) FROM usage_dirty")[0][0] == 0
        assert ledger.execute("SELECT sum(prompt) FROM usage_runs")[0][0] == sum(
            100 + i for i in range(12)
        )
        again = import_file(ledger, log, "openai-jsonl", Defaults(user="u"))
        assert (again.added, again.present) == (0, 12)
        assert ledger.execute("SELECT count(*) FROM usage_dirty")[0][0] == 0
    _same_reports(path)


def test_the_command_reports_from_the_kept_sums(grown: Path) -> None:
    import json

    from click.testing import CliRunner

    from verify.cli import cli

    result = CliRunner().invoke(cli, ["usage", "--ledger", str(grown), "--by", "team", "--json"])
    assert result.exit_code == 0, result.output
    with Ledger.open(grown) as ledger:
        assert ledger.execute("SELECT count(*) FROM usage_dirty")[0][0] == 0
        full = build_report(ledger.frames(), "team")
    assert json.loads(result.stdout) == full.to_json()
