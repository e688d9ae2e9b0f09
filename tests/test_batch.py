"""``verify check --batch``: one JSON line out per line in, in order, never a crash.

The index is built with the fake ``HashEmbedder`` (registered as ``fake-hash``) at the
default place in a temporary working directory; contexts are embedded with the same fake.
The cascade, the committed scorer, extraction and the answer reading are the real ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FAKE_EMBEDDER, HashEmbedder
from support.corpus import CONTRADICTED, SUPPORTED, UNRELATED, indexed_workdir

import retrieval
from verify.batch import BatchChecker
from verify.cli import cli

CHECK_KEYS = {"id", "decision", "claims", "summary", "usage"}


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding a corpus and its index at the default place."""
    monkeypatch.chdir(indexed_workdir(tmp_path))
    return tmp_path


def jsonl(*rows: dict[str, Any] | str) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def batch(folder: Path, body: str, *args: str) -> Result:
    path = folder / "in.jsonl"
    path.write_text(body, encoding="utf-8")
    return CliRunner().invoke(
        cli, ["check", "--batch", str(path), "--embedder", FAKE_EMBEDDER, "-q", *args]
    )


def rows(res: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in res.stdout.splitlines()]


def verdicts(row: dict[str, Any]) -> list[str]:
    return [c["verdict"] for c in row["claims"]]


# -- order, keys, exit codes -------------------------------------------------------------------


def test_each_line_gets_its_check_json_and_id_in_input_order(cwd: Path) -> None:
    res = batch(
        cwd,
        jsonl(
            {"id": "z", "text": CONTRADICTED},
            {"id": "a", "text": SUPPORTED},
            {"id": "m", "text": UNRELATED},
        ),
    )
    assert res.exit_code == 1, res.output
    out = rows(res)
    assert [r["id"] for r in out] == ["z", "a", "m"]
    assert [verdicts(r) for r in out] == [["contradicted"], ["supported"], ["unverifiable"]]
    assert [r["decision"] for r in out] == ["block", "pass", "block"]
    for r in out:
        assert set(r) == CHECK_KEYS
        assert sum(r["summary"].values()) == len(r["claims"])


def test_a_batch_of_supported_texts_exits_0_and_matches_verify_check(cwd: Path) -> None:
    text = f"{SUPPORTED} Health checks are served on port 9100."
    res = batch(cwd, jsonl({"id": "x", "text": text}))
    assert res.exit_code == 0, res.output
    (row,) = rows(res)
    single = CliRunner().invoke(cli, ["check", text, "--json"])
    assert single.exit_code == 0, single.output
    assert {k: v for k, v in row.items() if k != "id"} == json.loads(single.stdout)


def test_block_and_max_blocking_apply_to_each_line(cwd: Path) -> None:
    body = jsonl({"id": "u", "text": UNRELATED})
    assert batch(cwd, body).exit_code == 1
    res = batch(cwd, body, "--block", "contradicted")
    assert res.exit_code == 0, res.output
    assert rows(res)[0]["decision"] == "pass"


# -- bad lines ---------------------------------------------------------------------------------


def test_a_bad_line_gets_an_error_line_and_exit_2_while_its_neighbours_are_checked(
    cwd: Path,
) -> None:
    body = jsonl(
        {"id": "first", "text": SUPPORTED},
        "{not json",
        {"id": "no-text"},
        {"id": 7, "text": SUPPORTED},
        {"id": "ctx", "text": SUPPORTED, "context": "not a list"},
        {"id": "q", "text": SUPPORTED, "question": 3},
        {"id": "blank", "text": "   "},
        "[1, 2]",
        {"id": "last", "text": CONTRADICTED},
    )
    res = batch(cwd, body)
    assert res.exit_code == 2, res.output
    out = rows(res)
    assert len(out) == 9
    assert verdicts(out[0]) == ["supported"] and "error" not in out[0]
    assert verdicts(out[-1]) == ["contradicted"] and "error" not in out[-1]
    bad = out[1:-1]
    for n, row in enumerate(bad, 2):
        assert row["decision"] == "block" and row["claims"] == []
        assert row["line"] == n and f"line {n}" in row["error"]
    assert [r["id"] for r in bad] == [None, "no-text", None, "ctx", "q", "blank", None]
    assert '"text"' in bad[1]["error"] and '"id"' in bad[2]["error"]
    assert '"context"' in bad[3]["error"] and '"question"' in bad[4]["error"]
    assert "empty" in bad[5]["error"]
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("verify: error: 7 line(s)") and "line 2" in line


def test_a_bad_line_wins_over_a_blocked_one_and_blank_lines_are_skipped(cwd: Path) -> None:
    body = "\n" + jsonl({"id": "c", "text": CONTRADICTED}) + "\n  \n" + jsonl("nope")
    res = batch(cwd, body)
    assert res.exit_code == 2
    out = rows(res)
    assert [r["id"] for r in out] == ["c", None]
    assert out[1]["line"] == 5


def test_invalid_utf8_is_a_bad_line(cwd: Path) -> None:
    path = cwd / "in.jsonl"
    path.write_bytes(
        b'{"id": "a", "text": "caf\xe9"}\n' + jsonl({"id": "b", "text": SUPPORTED}).encode()
    )
    res = CliRunner().invoke(cli, ["check", "--batch", str(path), "-q"])
    assert res.exit_code == 2
    out = rows(res)
    assert "UTF-8" in out[0]["error"] and verdicts(out[1]) == ["supported"]


def test_a_missing_index_is_an_error_for_the_lines_that_need_it_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    body = jsonl(
        {"id": "idx", "text": SUPPORTED},
        {"id": "ctx", "text": SUPPORTED, "context": ["The gateway listens on port 8443."]},
        {"id": "idx2", "text": SUPPORTED},
    )
    res = batch(tmp_path, body)
    assert res.exit_code == 2, res.output
    idx, ctx, idx2 = rows(res)
    assert "index" in idx["error"] and idx["id"] == "idx" and idx["decision"] == "block"
    assert idx2["error"] == idx["error"].replace("line 1", "line 3")
    assert verdicts(ctx) == ["supported"]


class BrokenEmbedder(HashEmbedder):
    """A model that fails on its first text."""

    name = "fake-broken"

    def __init__(self) -> None:
        super().__init__(fail_after=0)


def test_a_verdict_that_could_not_be_computed_exits_3(cwd: Path) -> None:
    retrieval.register_embedder(BrokenEmbedder.name, BrokenEmbedder)
    body = jsonl(
        {"id": "ctx", "text": SUPPORTED, "context": [SUPPORTED]},
        {"id": "idx", "text": CONTRADICTED},
    )
    path = cwd / "in.jsonl"
    path.write_text(body, encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", "--batch", str(path), "--embedder", "fake-broken"])
    assert res.exit_code == 3, res.output
    ctx, idx = rows(res)
    assert verdicts(ctx) == ["error"] and ctx["decision"] == "block"
    assert verdicts(idx) == ["contradicted"]  # the index keeps its own embedder


# -- context and question ----------------------------------------------------------------------


def test_a_line_with_context_is_checked_against_its_context_only(cwd: Path) -> None:
    body = jsonl(
        {"id": "elsewhere", "text": SUPPORTED, "context": [UNRELATED]},
        {
            "id": "here",
            "text": SUPPORTED,
            "context": [UNRELATED, "The gateway listens on port 8443 for HTTPS."],
        },
        {"id": "empty", "text": SUPPORTED, "context": []},
        {"id": "index", "text": SUPPORTED},
    )
    res = batch(cwd, body)
    assert res.exit_code == 1, res.output
    elsewhere, here, empty, index = rows(res)
    # the index states it, but the line's passages do not: not supported
    assert verdicts(elsewhere) == ["unverifiable"]
    assert verdicts(empty) == ["unverifiable"]
    assert verdicts(here) == ["supported"] and verdicts(index) == ["supported"]
    sources = {e["source"] for r in (elsewhere, here) for e in r["claims"][0]["evidence"]}
    assert sources <= {"context[0]", "context[1]"}
    assert here["claims"][0]["evidence"][0]["source"] == "context[1]"
    assert index["claims"][0]["evidence"][0]["source"] == "docs/gateway.md"


@pytest.mark.parametrize(
    ("question", "answer", "verdict"),
    [
        ("What port does the gateway listen on?", "8443.", "supported"),
        ("What port does the gateway listen on?", "Port 9443.", "contradicted"),
        ("Does the gateway listen on port 8443?", "Yes.", "supported"),
        ("Does the gateway listen on port 8443?", "No.", "contradicted"),
    ],
)
def test_a_short_answer_is_checked_as_the_answer_to_its_question(
    cwd: Path, question: str, answer: str, verdict: str
) -> None:
    body = jsonl(
        {"id": "alone", "text": answer},
        {"id": "answer", "text": answer, "question": question},
    )
    res = batch(cwd, body, "--block", "contradicted")
    alone, read = rows(res)
    assert alone["claims"] == []  # nothing to check without the question
    (claim,) = read["claims"]
    assert claim["text"] == answer and claim["verdict"] == verdict


def test_a_short_answer_with_a_context_uses_both(cwd: Path) -> None:
    context = ["Health checks are served on port 9100."]
    body = jsonl(
        {
            "id": "y",
            "text": "9100",
            "question": "Which port serves health checks?",
            "context": context,
        },
        {
            "id": "n",
            "text": "8443",
            "question": "Which port serves health checks?",
            "context": context,
        },
    )
    yes, no = rows(batch(cwd, body))
    assert verdicts(yes) == ["supported"]
    assert verdicts(no) == ["contradicted"]


# -- stdin, options, streaming -----------------------------------------------------------------


def test_batch_dash_reads_stdin(cwd: Path) -> None:
    body = jsonl({"id": "1", "text": SUPPORTED}, {"id": "2", "text": CONTRADICTED})
    res = CliRunner().invoke(cli, ["check", "--batch", "-", "-q"], input=body)
    assert res.exit_code == 1, res.output
    assert [(r["id"], verdicts(r)) for r in rows(res)] == [
        ("1", ["supported"]),
        ("2", ["contradicted"]),
    ]


@pytest.mark.parametrize(
    "extra",
    [
        [SUPPORTED],
        ["--file", "in.jsonl"],
        ["--context", "in.jsonl"],
        ["--format", "md"],
        ["--out", "out.jsonl"],
    ],
)
def test_batch_is_exclusive_with_other_inputs_and_outputs(cwd: Path, extra: list[str]) -> None:
    (cwd / "in.jsonl").write_text(jsonl({"id": "1", "text": SUPPORTED}), encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", "--batch", "in.jsonl", *extra])
    assert res.exit_code == 2, res.output
    assert res.stdout == ""
    (line,) = res.stderr.strip().splitlines()
    assert "--batch" in line


def test_json_is_allowed_with_batch(cwd: Path) -> None:
    res = batch(cwd, jsonl({"id": "1", "text": SUPPORTED}), "--json")
    assert res.exit_code == 0 and rows(res)[0]["id"] == "1"


def test_progress_goes_to_stderr_unless_quiet(cwd: Path) -> None:
    path = cwd / "in.jsonl"
    path.write_text(jsonl({"id": "1", "text": SUPPORTED}), encoding="utf-8")
    loud = CliRunner().invoke(cli, ["check", "--batch", str(path)])
    quiet = CliRunner().invoke(cli, ["check", "--batch", str(path), "-q"])
    assert loud.exit_code == quiet.exit_code == 0
    assert "checking" in loud.stderr and quiet.stderr == ""
    assert loud.stdout == quiet.stdout


def test_each_line_is_written_before_the_next_is_checked(
    cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real: Callable[..., Any] = BatchChecker.check

    def spy(self: BatchChecker, item: Any) -> Any:
        import sys

        sys.stdout.flush()
        seen.append(sys.stdout.buffer.getvalue().decode())  # type: ignore[attr-defined]
        return real(self, item)

    monkeypatch.setattr(BatchChecker, "check", spy)
    res = batch(cwd, jsonl({"id": "1", "text": SUPPORTED}, {"id": "2", "text": SUPPORTED}))
    assert res.exit_code == 0, res.output
    assert seen[0] == ""
    assert json.loads(seen[1])["id"] == "1"  # one whole line, printed before line 2 ran


def test_models_load_once_and_the_index_opens_once(
    cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[HashEmbedder] = []
    opened: list[Path] = []

    def factory() -> HashEmbedder:
        made.append(HashEmbedder())
        return made[-1]

    real_open = retrieval.Index.open.__func__  # type: ignore[attr-defined]

    def counting_open(cls: type[retrieval.Index], folder: Path, **kw: Any) -> retrieval.Index:
        opened.append(Path(folder))
        index: retrieval.Index = real_open(cls, folder, **kw)
        return index

    monkeypatch.setattr(retrieval.Index, "open", classmethod(counting_open))
    retrieval.register_embedder(FAKE_EMBEDDER, factory)
    try:
        body = jsonl(
            *[{"id": str(i), "text": SUPPORTED} for i in range(3)],
            *[{"id": f"c{i}", "text": SUPPORTED, "context": [SUPPORTED]} for i in range(3)],
        )
        res = batch(cwd, body)
    finally:
        retrieval.register_embedder(FAKE_EMBEDDER, HashEmbedder)
    assert res.exit_code == 0, res.output
    assert len(made) == 1 and len(opened) == 1
