"""An action is in the ledger before it runs; its outcome is written after (two phases).

If the ledger breaks between the two writes, the action that ran is still on record, as
"outcome unknown", and ``verify usage`` shows it so (a flag with the action as evidence). The
failing ledger is the real one with its second write made to fail, through the CLI.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import FAKE_ENTAILMENT, HashEmbedder, write_corpus
from robustness import tally

import retrieval
from verify.cli import cli
from verify.errors import InternalError
from verify.ledger import Ledger

CLAIM = "The gateway uses port 8443."  # supported by the test corpus
TRANSCRIPT = [
    {"action": "write_file", "path": "notes/port.md", "content": f"{CLAIM}\n", "reason": CLAIM},
    {"action": "answer", "text": CLAIM},
]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    retrieval.register_embedder("fake-hash", HashEmbedder)
    write_corpus(tmp_path / "corpus")
    retrieval.build_index([tmp_path / "corpus"], tmp_path / "index", HashEmbedder())
    (tmp_path / "verify.toml").write_text(f'entailment = "{FAKE_ENTAILMENT}"\n', encoding="utf-8")
    (tmp_path / "t.jsonl").write_text(
        "".join(json.dumps(t) + "\n" for t in TRANSCRIPT), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(world: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        [
            "run", "where does the gateway listen?", "--replay", str(world / "t.jsonl"),
            "--index", str(world / "index"), "--workspace", str(world / "ws"),
            "--ledger", str(world / "ledger.db"), "--json", "-q",
        ],
    )  # fmt: skip
    return result.exit_code, result.stderr


def actions(world: Path) -> list[tuple[int, str, int, int, str]]:
    """(step, kind, executed, outcome_recorded, decision) of every action row."""
    with sqlite3.connect(world / "ledger.db") as conn:
        return conn.execute(
            "SELECT step, kind, executed, outcome_recorded, decision FROM actions ORDER BY id"
        ).fetchall()


def usage(world: Path) -> dict[str, object]:
    result = CliRunner().invoke(
        cli, ["usage", "--ledger", str(world / "ledger.db"), "--by", "run", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert len(rows) == 1
    return dict(rows[0])


def test_each_action_is_recorded_then_given_its_outcome(world: Path) -> None:
    code, err = run(world)
    assert code == 0, err
    assert actions(world) == [(1, "write_file", 1, 1, "pass"), (2, "answer", 1, 1, "pass")]
    row = usage(world)
    assert row["outcome_unknown"] == 0 and "outcome_unknown" not in row["flags"]


def test_a_ledger_that_fails_after_the_action_ran_still_shows_the_action(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Ledger, action_id: int, **kwargs: object) -> None:
        raise InternalError(f"ledger {str(self.path)!r} failed writing: disk I/O error")

    monkeypatch.setattr(Ledger, "finish_action", broken)
    code, err = run(world)
    ran = (world / "ws" / "notes" / "port.md").exists()
    tally(
        "two-phase", cases=1, faults=1, crashes=int(code != 3), lost=int(ran and not actions(world))
    )
    assert code == 3 and "disk I/O error" in err  # fail closed: the run stops, exit 3
    assert (world / "ws" / "notes" / "port.md").read_text() == f"{CLAIM}\n"  # the action ran
    # ...and the ledger shows it: recorded before it ran, outcome never written
    assert actions(world) == [(1, "write_file", 0, 0, "pass")]
    monkeypatch.undo()
    row = usage(world)
    assert row["outcome_unknown"] == 1 and "outcome_unknown" in row["flags"]
    (why,) = row["evidence"]["outcome_unknown"]  # type: ignore[index]
    assert "step 1 write_file" in why and "notes/port.md" in why and "outcome unknown" in why
    assert row["verified_units"] == 0  # an outcome nobody recorded is never counted as work
    text = CliRunner().invoke(cli, ["usage", "--ledger", str(world / "ledger.db"), "--by", "run"])
    assert "outcome_unknown" in text.stdout and "outcome unknown" in text.stdout


def test_a_ledger_that_fails_before_the_action_stops_it(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Ledger, **kwargs: object) -> int:
        raise InternalError(f"ledger {str(self.path)!r} failed writing: disk I/O error")

    monkeypatch.setattr(Ledger, "begin_action", broken)
    code, _ = run(world)
    ran = (world / "ws" / "notes" / "port.md").exists()
    tally("two-phase", cases=1, faults=1, crashes=int(code != 3), lost=int(ran))
    assert code == 3
    assert not (world / "ws" / "notes" / "port.md").exists()  # never ran
    assert actions(world) == []


def test_finish_action_takes_only_an_action_waiting_for_its_outcome(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as ledger:
        ledger.start_run(run_id="r", task="t", agent="a", user="u")
        first = ledger.begin_action(
            run_id="r", step=1, kind="run_command", decision="pass", claims_supported=0,
            claims_total=0, summary="touch x",
        )  # fmt: skip
        frames = ledger.frames()
        assert frames.actions.outcome_unknown.tolist() == [True]
        ledger.finish_action(first, executed=True, decision="pass")
        assert ledger.frames().actions.outcome_unknown.tolist() == [False]
        with pytest.raises(ValueError, match="no action"):
            ledger.finish_action(first, executed=False, decision="block")  # not twice
        with pytest.raises(ValueError, match="no action"):
            ledger.finish_action(first + 99, executed=True, decision="pass")


def test_a_v1_ledger_is_migrated_with_every_old_action_counted_as_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from verify.ledger import _schema

    path = tmp_path / "old.db"
    monkeypatch.setattr(_schema, "MIGRATIONS", _schema.MIGRATIONS[:1])
    monkeypatch.setattr(_schema, "SCHEMA_VERSION", 1)
    with Ledger.open(path) as old:
        old.execute("SELECT 1")
    with sqlite3.connect(path) as conn:  # a v1 row, written as v1 wrote it
        conn.execute("INSERT INTO runs (run_id, started_at) VALUES ('r', 0)")
        conn.execute(
            "INSERT INTO actions (run, step, kind, decision, executed, summary_hash, created_at)"
            " VALUES (1, 1, 'answer', 'pass', 1, 0, 0)"
        )
    monkeypatch.undo()
    with Ledger.open(path) as ledger:
        assert ledger.execute("PRAGMA user_version")[0][0] == _schema.SCHEMA_VERSION
        assert ledger.frames().actions.outcome_unknown.tolist() == [False]
