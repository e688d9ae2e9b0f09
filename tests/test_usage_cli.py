"""``verify usage`` through click's CliRunner: every flag, every exit code, the help texts."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from support.usage_data import AGENTS, DAY, T0, TASKS, session

from verify.cli import cli
from verify.cli.usage import parse_since
from verify.ledger import Ledger


def invoke(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "ledger.db"
    with Ledger.open(path) as opened:
        for day, task in enumerate(TASKS):
            for agent in AGENTS:
                session(opened, agent, task, day, team="red" if agent == "concise" else "blue")
    return path


def _rows(result: Result) -> list[dict[str, object]]:
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)["rows"]
    return rows


def test_default_is_a_text_table_by_user(ledger: Path) -> None:
    result = invoke("usage", "--ledger", ledger)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("verify usage by user")
    assert "concise-owner" in result.stdout and result.stderr == ""


@pytest.mark.parametrize("by", ["run", "agent", "user", "team"])
def test_by(ledger: Path, by: str) -> None:
    rows = _rows(invoke("usage", "--ledger", ledger, "--by", by, "--json"))
    assert len(rows) == {"run": 16, "agent": 4, "user": 4, "team": 2}[by]
    assert "concise" in str(rows[0]["key"]) or rows[0]["key"] == "red"


@pytest.mark.parametrize(
    ("fmt", "marker"),
    [
        ("text", "verify usage by agent"),
        ("json", '"by": "agent"'),
        ("md", "# verify usage by agent"),
        ("html", "<!DOCTYPE html>"),
    ],
)
def test_format(ledger: Path, fmt: str, marker: str) -> None:
    result = invoke("usage", "--ledger", ledger, "--by", "agent", "--format", fmt)
    assert result.exit_code == 0
    assert marker in result.stdout[:200]


def test_json_flag_and_its_conflict(ledger: Path) -> None:
    assert _rows(invoke("usage", "--ledger", ledger, "--json"))
    clash = invoke("usage", "--ledger", ledger, "--json", "--format", "md")
    assert clash.exit_code == 2 and "--json conflicts with --format md" in clash.stderr


def test_out_writes_the_file_and_prints_nothing(ledger: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = invoke("usage", "--ledger", ledger, "--format", "html", "--out", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_budget_exceeded_is_exit_1_naming_the_rows(ledger: Path) -> None:
    result = invoke("usage", "--ledger", ledger, "--by", "agent", "--max-tokens-per-unit", 1000)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.startswith("verify: over budget: 3 agent(s) spent more than 1000 tokens")
    for name in ("padding", "looping", "blocked"):
        assert name in message
    assert "concise" not in message
    assert "budget: 3 over 1000" in result.stdout  # the report itself says so too


def test_budget_within_is_exit_0(ledger: Path) -> None:
    result = invoke("usage", "--ledger", ledger, "--max-tokens-per-unit", 100000)
    assert result.exit_code == 0 and "every row within 100000" in result.stdout


@pytest.mark.parametrize("bad", ["0", "-5", "lots"])
def test_budget_must_be_a_positive_number(ledger: Path, bad: str) -> None:
    assert invoke("usage", "--ledger", ledger, "--max-tokens-per-unit", bad).exit_code == 2


def test_since_by_date_and_by_age(ledger: Path) -> None:
    day2 = dt.datetime.fromtimestamp(T0 + 2 * DAY, dt.UTC).strftime("%Y-%m-%d")
    rows = _rows(invoke("usage", "--ledger", ledger, "--by", "run", "--since", day2, "--json"))
    assert len(rows) == 8
    assert _rows(invoke("usage", "--ledger", ledger, "--since", "1d", "--json")) == []
    bad = invoke("usage", "--ledger", ledger, "--since", "last tuesday")
    assert bad.exit_code == 2 and "--since" in bad.stderr


def test_parse_since_forms() -> None:
    now = 1_000_000.0
    assert parse_since("2d", now) == now - 2 * 86400
    assert parse_since("3h", now) == now - 3 * 3600
    assert parse_since("1w", now) == now - 7 * 86400
    assert parse_since("1970-01-02") == 86400.0
    assert parse_since("1970-01-02T01:00:00+01:00") == 86400.0
    with pytest.raises(click.BadParameter):
        parse_since("soon")


def test_weight(ledger: Path) -> None:
    plain = {
        r["key"]: r["verified_units"]
        for r in _rows(invoke("usage", "--ledger", ledger, "--by", "agent", "--json"))
    }
    doubled = {
        r["key"]: r["verified_units"]
        for r in _rows(
            invoke(
                "usage",
                "--ledger",
                ledger,
                "--by",
                "agent",
                "--json",
                "--weight",
                "claim=2",
                "--weight",
                "action=0",
            )
        )
    }
    assert plain["concise"] == 16 and doubled["concise"] == 24  # 12 claims x 2, searches 0
    bad = invoke("usage", "--ledger", ledger, "--weight", "speed=3")
    assert bad.exit_code == 2 and "--weight" in bad.stderr


def test_missing_ledger_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = invoke("usage", "--ledger", tmp_path / "nope.db")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("verify: error: no ledger at")
    assert not (tmp_path / "nope.db").exists()


def test_a_file_that_is_not_a_ledger_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"\x00garbage" * 100)
    result = invoke("usage", "--ledger", bogus)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "not a verify ledger" in result.stderr
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert invoke("usage", "--ledger", other).exit_code == 2


def test_the_default_ledger_comes_from_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "verify.toml").write_text('ledger = "custom/ledger.db"\n')
    missing = invoke("usage")
    assert missing.exit_code == 2 and "custom/ledger.db" in missing.stderr
    with Ledger.open(tmp_path / "custom" / "ledger.db") as opened:
        session(opened, "concise", "retries", 0)
    found = invoke("usage", "--json")
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)["rows"][0]["verified_units"] == 4
    imported = invoke("usage", "import", tmp_path / "verify.toml", "--from", "llama-server-log")
    assert imported.exit_code == 2  # no timing lines; the configured ledger was used
    assert not (tmp_path / ".verify").exists()


def test_import_json_summary_and_ledger_flag_on_the_group(tmp_path: Path) -> None:
    log = tmp_path / "x.jsonl"
    log.write_text(
        json.dumps({"id": "1", "usage": {"prompt_tokens": 3, "completion_tokens": 2}}) + "\n"
    )
    ledger = tmp_path / "l.db"
    result = invoke("usage", "--ledger", ledger, "import", log, "--from", "openai-jsonl", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary == {
        "file": str(log),
        "from": "openai-jsonl",
        "ledger": str(ledger),
        "records": 1,
        "added": 1,
        "present": 0,
        "errors": [],
    }
    text = invoke("usage", "import", log, "--from", "openai-jsonl", "--ledger", ledger)
    assert "1 records: 0 rows added, 1 already in" in text.stdout


def test_import_requires_from(tmp_path: Path) -> None:
    result = invoke("usage", "import", tmp_path / "x.jsonl")
    assert result.exit_code == 2 and "--from" in result.stderr


def test_every_usage_command_has_help_text() -> None:
    group = cli.get_command(click.Context(cli), "usage")
    assert isinstance(group, click.Group)
    for name, command in [("usage", group), *group.commands.items()]:
        assert command.help and len(command.help) > 40, name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.name}"
    for args in (["usage", "--help"], ["usage", "import", "--help"]):
        result = invoke(*args)
        assert result.exit_code == 0 and "Examples:" in result.stdout


def test_an_internal_failure_is_exit_3_never_0(
    ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import verify.cli.usage as usage_cli

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the report broke")

    monkeypatch.setattr(usage_cli, "ledger_report", broken)
    result = invoke("usage", "--ledger", ledger)
    assert result.exit_code == 3
    assert result.stderr.strip() == "verify: error: the report broke"
