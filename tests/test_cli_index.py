"""`verify index` and `verify search` through click's CliRunner: output shapes and exit codes.

Exit codes (docs/architecture.md): 0 pass, 2 usage or input error with one clear line on stderr.
The fake embedder (``--embedder fake-hash``) keeps these fast; it is registered by conftest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from fakes import SMALL_MAX_BYTES, Built, deny_reading, write_bad_files

from retrieval._lock import writer_lock
from verify.cli import cli

SUMMARY_KEYS = {
    "documents",
    "added",
    "updated",
    "unchanged",
    "removed",
    "chunks",
    "segments",
    "embedded",
    "skipped",
}
RESULT_KEYS = {"source", "start_line", "end_line", "text", "score", "chunk_id"}


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def index(corpus: Path, folder: Path, *extra: str | Path) -> Result:
    return run("index", corpus, "--index", folder, "--embedder", "fake-hash", *extra)


def search(folder: Path, query: str, *extra: str | Path) -> Result:
    return run("search", query, "--index", folder, *extra)


def one_error_line(result: Result) -> str:
    """The single stderr line of a failed command (exit 2), with nothing on stdout."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("verify: error: ")
    return lines[0]


# -- verify index -------------------------------------------------------------------------


def test_index_prints_a_json_summary(corpus: Path, tmp_path: Path) -> None:
    result = index(corpus, tmp_path / "idx", "--json", "-q")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) >= SUMMARY_KEYS
    assert summary["documents"] == summary["added"] == 7
    assert summary["updated"] == summary["unchanged"] == summary["removed"] == 0
    assert summary["segments"] == summary["embedded"] > summary["chunks"] > 0
    assert summary["skipped"] == []
    assert result.stderr == "", "-q: nothing on stderr"

    again = json.loads(index(corpus, tmp_path / "idx", "--json", "-q").stdout)
    assert again["unchanged"] == 7 and again["embedded"] == 0


def test_index_prints_a_text_summary(corpus: Path, tmp_path: Path) -> None:
    result = index(corpus, tmp_path / "idx")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("indexed 7 documents into ")
    assert "7 added" in result.stdout


def test_index_skips_bad_files_lists_them_and_still_succeeds(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = write_bad_files(corpus, tmp_path / "outside")
    deny_reading(monkeypatch, "locked.md")
    folder = tmp_path / "idx"
    result = index(corpus, folder, "--json", "--max-file-size", str(SMALL_MAX_BYTES))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["documents"] == 7
    skipped = {s["path"]: s["reason"] for s in summary["skipped"]}
    assert set(skipped) == set(expected)
    for path, words in expected.items():
        assert words.lower() in skipped[path].lower(), (path, skipped[path])
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("verify: warning:")]
    assert len(warnings) == len(expected), "one warning line per skipped file"
    assert "error" not in result.stderr.lower()

    text = index(corpus, folder, "--max-file-size", str(SMALL_MAX_BYTES), "-q")
    assert text.exit_code == 0
    assert f"skipped {len(expected)}:" in text.stdout
    assert "pipe.txt: not a regular file" in text.stdout
    hits = json.loads(search(folder, "which port does the gateway listen on", "--json").stdout)
    assert hits["results"][0]["source"] == "docs/gateway.md"


def test_index_of_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    line = one_error_line(index(tmp_path / "nope", tmp_path / "idx"))
    assert "nope" in line and "does not exist" in line
    assert not (tmp_path / "idx" / "CURRENT").exists()


def test_index_of_nothing_readable_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "empty.md").write_text("", encoding="utf-8")
    line = one_error_line(index(tmp_path / "docs", tmp_path / "idx", "-q"))
    assert "nothing to index" in line


def test_index_with_an_unknown_embedder_is_a_usage_error(corpus: Path, tmp_path: Path) -> None:
    result = run("index", corpus, "--index", tmp_path / "idx", "--embedder", "no-such-model")
    assert "unknown embedder" in one_error_line(result)


def test_index_without_paths_reindexes_the_last_ones(corpus: Path, built_index: Built) -> None:
    (corpus / "notes.txt").write_text("Fresh notes about pagers.\n", encoding="utf-8")
    result = run("index", "--index", built_index.folder, "--embedder", "fake-hash", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["documents"] == built_index.report.documents
    assert summary["updated"] == 1


def test_index_without_paths_or_index_is_a_usage_error(tmp_path: Path) -> None:
    line = one_error_line(run("index", "--index", tmp_path / "idx", "--embedder", "fake-hash"))
    assert "verify index PATH" in line


def test_index_rebuild_re_embeds_everything(corpus: Path, built_index: Built) -> None:
    summary = json.loads(index(corpus, built_index.folder, "--rebuild", "--json", "-q").stdout)
    assert summary["embedded"] == summary["segments"] == built_index.report.segments


def test_a_locked_index_fails_fast_with_exit_2(corpus: Path, built_index: Built) -> None:
    with writer_lock(built_index.folder, timeout=0):
        result = index(corpus, built_index.folder, "--lock-timeout", "0.5", "-q")
    line = one_error_line(result)
    assert "lock" in line and str(built_index.folder) in line
    assert index(corpus, built_index.folder, "-q").exit_code == 0, "free once released"


# -- verify search ------------------------------------------------------------------------


def test_search_json_shape(built_index: Built) -> None:
    result = search(built_index.folder, "which port does the gateway listen on", "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    assert set(data) == {"results"}
    assert 0 < len(data["results"]) <= 5
    for r in data["results"]:
        assert set(r) == RESULT_KEYS
        assert isinstance(r["source"], str) and isinstance(r["text"], str) and r["text"]
        assert isinstance(r["start_line"], int) and isinstance(r["end_line"], int)
        assert 1 <= r["start_line"] <= r["end_line"]
        assert isinstance(r["score"], float) and 0.0 <= r["score"] <= 1.0
        assert isinstance(r["chunk_id"], str) and r["chunk_id"]
    assert data["results"][0]["source"] == "docs/gateway.md"
    assert "8443" in data["results"][0]["text"]


@pytest.mark.parametrize("k", [1, 2, 4])
def test_search_returns_k_results(built_index: Built, k: int) -> None:
    result = search(built_index.folder, "gateway uploads quota port", "-k", str(k), "--json")
    assert len(json.loads(result.stdout)["results"]) == k


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_search_modes(built_index: Built, mode: str) -> None:
    result = search(built_index.folder, "oncall rotation monday", "--mode", mode, "--json")
    assert json.loads(result.stdout)["results"][0]["source"] == "notes.txt"


def test_search_prints_text_results(built_index: Built) -> None:
    result = search(built_index.folder, "which port does the gateway listen on", "-k", "2")
    assert result.exit_code == 0
    assert result.stdout.startswith("1. docs/gateway.md:")
    assert "score" in result.stdout and "\n2. " in result.stdout


def test_search_without_an_index_says_to_run_verify_index(tmp_path: Path) -> None:
    assert "verify index" in one_error_line(search(tmp_path / "none", "anything"))


def test_search_of_a_corrupt_index_says_how_to_rebuild(built_index: Built) -> None:
    live = (built_index.folder / "CURRENT").read_text(encoding="utf-8").strip()
    (built_index.folder / live / "chunks.sqlite").write_bytes(b"not a database" * 100)
    assert "--rebuild" in one_error_line(search(built_index.folder, "gateway"))


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_query_is_a_usage_error(built_index: Built, query: str) -> None:
    result = search(built_index.folder, query)
    assert result.exit_code == 2 and result.stdout == ""
    assert "QUERY" in result.stderr


@pytest.mark.parametrize(("flag", "value"), [("-k", "0"), ("-k", "x"), ("--mode", "fuzzy")])
def test_bad_search_flags_are_usage_errors(built_index: Built, flag: str, value: str) -> None:
    result = search(built_index.folder, "gateway", flag, value)
    assert result.exit_code == 2 and result.stdout == ""


# -- help ---------------------------------------------------------------------------------


def _commands(
    group: click.Group, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every command and subcommand, through the group's own lookup (commands load lazily)."""
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, f"`verify {' '.join((*path, name))}` does not load"
        out.append(((*path, name), command))
        if isinstance(command, click.Group):
            out += _commands(command, (*path, name))
    return out


def test_every_command_has_help() -> None:
    assert cli.help and run("--help").exit_code == 0
    commands = _commands(cli)
    assert {"index", "search", "check", "bench", "run", "demo", "gate", "usage"} <= {
        p[0] for p, _ in commands
    }
    for path, command in commands:
        assert (command.help or "").strip(), f"`verify {' '.join(path)}` has no help text"
        result = run(*path, "--help")
        assert result.exit_code == 0, (path, result.stderr)
        assert "Usage:" in result.stdout
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.help, f"`verify {' '.join(path)} {param.opts[0]}` has no help"
