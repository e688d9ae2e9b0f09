"""``verify batch`` on the local engine: results by id, exactly once, whatever is killed.

A working directory holds the test corpus indexed with the fake ``HashEmbedder`` and a
``verify.toml`` naming the fake entailment model; worker processes register both through
``VERIFY_PLUGINS=fakes:register`` (the tests folder is on their path), as a user's plugin
would be loaded. The cascade, the scorer and extraction are the real ones, so the lines must
equal what ``verify check --batch`` prints for the same input.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from click.testing import CliRunner, Result
from fakes import FAKE_EMBEDDER, FakeEntailment, HashEmbedder
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support.batch import (
    CONTEXT,
    PLUGINS,
    TESTS,
    by_id,
    items,
    jsonl,
    lines,
    start,
    wait_for_lines,
    workdir,
)
from support.corpus import CONTRADICTED, SUPPORTED, UNRELATED

import retrieval
from checks.entailment import register_entailment
from verify.batchrun._inputs import FORMATS, entries
from verify.batchrun._progress import Progress
from verify.cli import cli

# -- inputs, runs and what they wrote ----------------------------------------------------------


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(workdir(tmp_path))
    monkeypatch.setenv("VERIFY_PLUGINS", PLUGINS)
    return tmp_path


def batch(*args: str | Path, quiet: bool = True, embedder: str = FAKE_EMBEDDER) -> Result:
    """``verify batch`` in this process (its workers are processes of their own)."""
    argv = ["batch", "--embedder", embedder, *(["-q"] if quiet else []), *map(str, args)]
    return CliRunner().invoke(cli, argv)


def check_batch(cwd: Path, path: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    """What ``verify check --batch`` prints for the same input, by id."""
    res = CliRunner().invoke(cli, ["check", "--batch", str(path), "--embedder", FAKE_EMBEDDER])
    return res.exit_code, by_id([json.loads(x) for x in res.stdout.splitlines()])


def worker_pids(driver: int) -> list[int]:
    """The worker processes of a ``verify batch`` driver (spawned children; not
    multiprocessing's resource tracker)."""
    try:
        children = Path(f"/proc/{driver}/task/{driver}/children").read_text().split()
    except OSError:
        return []
    pids = []
    for pid in map(int, children):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            pids.append(pid)
    return pids


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


# -- the same lines as verify check --batch, keyed by id ------------------------------------


def test_lines_equal_check_batch_by_id_with_two_workers(cwd: Path) -> None:
    path = jsonl(cwd / "in.jsonl", items(40, index_every=5))
    code, expected = check_batch(cwd, path)
    res = batch(path, "--out", cwd / "out.jsonl", "--workers", "2", "--batch-size", "3")
    assert res.exit_code == code == 1, res.output
    assert res.stdout == ""
    assert by_id(lines(cwd / "out.jsonl")) == expected
    verdicts = {c["verdict"] for r in expected.values() for c in r["claims"]}
    assert {"supported", "contradicted", "unverifiable"} <= verdicts


def test_a_run_that_passes_exits_0(cwd: Path) -> None:
    path = jsonl(cwd / "in.jsonl", [{"id": "ok", "text": SUPPORTED, "context": [CONTEXT]}])
    res = batch(path, "--out", cwd / "out.jsonl")
    assert res.exit_code == 0, res.output
    (row,) = lines(cwd / "out.jsonl")
    assert row["decision"] == "pass" and row["id"] == "ok"


def test_bad_lines_get_error_lines_and_exit_2_while_the_rest_are_checked(cwd: Path) -> None:
    path = jsonl(
        cwd / "in.jsonl",
        [
            {"id": "first", "text": SUPPORTED},
            "{not json",
            {"id": "no-text"},
            {"id": "ctx", "text": SUPPORTED, "context": "not a list"},
            {"id": "last", "text": CONTRADICTED},
        ],
    )
    res = batch(path, "--out", cwd / "out.jsonl")
    assert res.exit_code == 2, res.output
    rows = by_id(lines(cwd / "out.jsonl"))
    assert set(rows) == {"first", f"{path}:2", "no-text", "ctx", "last"}
    assert "error" not in rows["first"] and "error" not in rows["last"]
    for key, number in ((f"{path}:2", 2), ("no-text", 3), ("ctx", 4)):
        row = rows[key]
        assert row["decision"] == "block" and row["claims"] == [] and row["exit_code"] == 2
        assert row["source"] == str(path) and row["line"] == number
        assert f"line {number}" in row["error"]


def test_a_model_that_fails_gives_error_verdicts_and_exit_3(
    cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERIFY_PLUGINS", f"{PLUGINS},test_batch_run:broken_entailment")
    path = jsonl(cwd / "in.jsonl", items(6))
    res = batch(path, "--out", cwd / "out.jsonl", "--entailment", "fake-broken", "--workers", "2")
    assert res.exit_code == 3, res.output
    rows = lines(cwd / "out.jsonl")
    assert len(rows) == 6
    assert all(c["verdict"] == "error" for r in rows for c in r["claims"])
    assert all(r["decision"] == "block" for r in rows)


def broken_entailment() -> None:
    """A plugin function (loaded by name in the workers): an entailment model that raises."""
    register_entailment("fake-broken", lambda: FakeEntailment(fail=RuntimeError("weights gone")))


def test_an_item_that_kills_its_worker_every_time_gets_an_error_line_and_the_rest_finish(
    cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERIFY_PLUGINS", f"{PLUGINS},test_batch_run:poison_embedder")
    rows = items(12)
    rows[5]["text"] = "The POISON gateway listens on port 8443."
    path = jsonl(cwd / "in.jsonl", rows)
    res = batch(path, "--out", cwd / "out.jsonl", "--embedder", "fake-poison", "--batch-size", "4")
    assert res.exit_code == 3, res.output
    out = by_id(lines(cwd / "out.jsonl"))
    assert len(out) == 12
    assert out["i5"]["exit_code"] == 3 and out["i5"]["claims"] == []
    assert "the worker checking it died 3 times (the last killed by SIGKILL)" in out["i5"]["error"]
    assert all("error" not in r for k, r in out.items() if k != "i5")


class PoisonEmbedder(HashEmbedder):
    """Kills its own process when asked to embed a text holding POISON (a crash in native
    code, say), every time."""

    name = "fake-poison"

    def embed_batch(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if any("POISON" in t for t in texts):
            os.kill(os.getpid(), signal.SIGKILL)
        return super().embed_batch(texts)


def poison_embedder() -> None:
    retrieval.register_embedder("fake-poison", PoisonEmbedder)


# -- refused before anything is written (exit 2, one line) ----------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--address", "auto"), "--engine ray"),
        (("--plugin", "no_such_module_here"), "cannot import"),
        (("--embedder", "no-such-embedder"), "unknown embedder"),
        (("--entailment", "no-such-model"), "no-such-model"),
        (("--block", "maybe"), "unknown verdict"),
    ],
)
def test_bad_flags_exit_2_with_one_line_and_no_output(
    cwd: Path, args: tuple[str, ...], words: str
) -> None:
    path = jsonl(cwd / "in.jsonl", items(3))
    res = batch(path, "--out", cwd / "out.jsonl", *args)
    assert res.exit_code == 2, res.output
    assert len(res.stderr.strip().splitlines()) == 1 and words in res.stderr
    assert not (cwd / "out.jsonl").exists()


def test_a_repeated_id_is_refused_before_anything_is_written(cwd: Path) -> None:
    one = jsonl(cwd / "a.jsonl", items(3))
    two = jsonl(cwd / "b.jsonl", [{"id": "i1", "text": SUPPORTED}])
    res = batch(one, two, "--out", cwd / "out.jsonl")
    assert res.exit_code == 2
    assert f"{two}:1: id 'i1' is also on {one}:2" in res.stderr
    assert not (cwd / "out.jsonl").exists()


def test_items_needing_a_missing_index_are_refused_up_front(cwd: Path) -> None:
    path = jsonl(cwd / "in.jsonl", [{"id": "x", "text": SUPPORTED}])
    res = batch(path, "--out", cwd / "out.jsonl", "--index", cwd / "nowhere")
    assert res.exit_code == 2 and "no index at" in res.stderr
    assert not (cwd / "out.jsonl").exists()


@pytest.mark.parametrize("name", ["out.jsonl", "out.parquet"])
def test_an_existing_output_is_not_overwritten_without_resume(cwd: Path, name: str) -> None:
    path = jsonl(cwd / "in.jsonl", items(3))
    (cwd / name).write_text('{"id": "keep"}\n', encoding="utf-8")
    res = batch(path, "--out", cwd / name)
    assert res.exit_code == 2 and "--resume" in res.stderr
    assert (cwd / name).read_text(encoding="utf-8") == '{"id": "keep"}\n'
    assert sorted(p.name for p in cwd.glob("out*")) == [name]


# -- resume -----------------------------------------------------------------------------------


def test_resume_cuts_a_torn_last_line_and_checks_only_what_is_missing(cwd: Path) -> None:
    path = jsonl(cwd / "in.jsonl", items(30, index_every=7))
    assert batch(path, "--out", cwd / "full.jsonl").exit_code == 1
    full = (cwd / "full.jsonl").read_bytes().splitlines(keepends=True)
    torn = b"".join(full[:11]) + full[11][:25]  # 11 whole lines, then half of one
    (cwd / "out.jsonl").write_bytes(torn)
    res = batch(path, "--out", cwd / "out.jsonl", "--resume", "--workers", "2")
    assert res.exit_code == 1, res.output
    rows = lines(cwd / "out.jsonl")
    assert rows[:11] == [json.loads(x) for x in full[:11]]  # kept as they were
    assert by_id(rows) == by_id(lines(cwd / "full.jsonl"))


def test_resume_of_a_finished_run_checks_nothing_and_keeps_its_exit_code(cwd: Path) -> None:
    path = jsonl(cwd / "in.jsonl", [*items(4), "{broken"])
    assert batch(path, "--out", cwd / "out.jsonl").exit_code == 2
    before = (cwd / "out.jsonl").read_bytes()
    res = batch(path, "--out", cwd / "out.jsonl", "--resume", quiet=False)
    assert res.exit_code == 2
    assert (cwd / "out.jsonl").read_bytes() == before
    assert "0 new, 5 resumed" in res.stderr


def test_resume_refuses_an_output_with_a_foreign_line_inside(cwd: Path) -> None:
    path = jsonl(cwd / "in.jsonl", items(3))
    (cwd / "out.jsonl").write_text('{"id": "i0"}\nnot a result\n{"id": "i1"}\n', encoding="utf-8")
    res = batch(path, "--out", cwd / "out.jsonl", "--resume")
    assert res.exit_code == 2 and "out.jsonl:2 is not a line verify batch wrote" in res.stderr


# -- other inputs and outputs ---------------------------------------------------------------


def test_a_transcripts_answers_are_items_keyed_by_file_and_line(cwd: Path) -> None:
    path = jsonl(
        cwd / "run.jsonl",
        [
            {"action": "search", "query": "gateway port"},
            {"action": "answer", "text": SUPPORTED},
            {"action": "run_command", "argv": ["ls"], "reason": "look"},
            {"action": "answer", "text": CONTRADICTED},
            {"action": "answer", "text": ""},
        ],
    )
    res = batch(path, "--from", "transcript", "--out", cwd / "out.jsonl")
    assert res.exit_code == 2, res.output
    rows = by_id(lines(cwd / "out.jsonl"))
    assert set(rows) == {f"{path}:2", f"{path}:4", f"{path}:5"}
    assert [c["verdict"] for c in rows[f"{path}:2"]["claims"]] == ["supported"]
    assert [c["verdict"] for c in rows[f"{path}:4"]["claims"]] == ["contradicted"]
    assert "empty" in rows[f"{path}:5"]["error"]


def test_a_chat_completion_logs_replies_are_items_read_with_their_question(cwd: Path) -> None:
    def line(reply: str, question: str | None = None) -> dict[str, Any]:
        request = {"messages": [{"role": "user", "content": question}]} if question else {}
        response = {"choices": [{"message": {"content": reply}}], "usage": {"prompt_tokens": 1}}
        return {"request": request, "response": response}

    tool_only = {"choices": [{"message": {"tool_calls": [{"function": {"name": "ls"}}]}}]}
    path = jsonl(
        cwd / "log.jsonl",
        [line("Yes.", "Does the gateway listen on port 8443?"), tool_only, line(UNRELATED)],
    )
    res = batch(path, "--from", "openai-jsonl", "--out", cwd / "out.jsonl")
    assert res.exit_code == 1, res.output
    rows = by_id(lines(cwd / "out.jsonl"))
    assert set(rows) == {f"{path}:1", f"{path}:3"}
    assert [c["verdict"] for c in rows[f"{path}:1"]["claims"]] == ["supported"]
    assert [c["verdict"] for c in rows[f"{path}:3"]["claims"]] == ["unverifiable"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "text",
                    "context",
                    "question",
                    "action",
                    "choices",
                    "message",
                    "content",
                    "request",
                    "response",
                    "body",
                    "messages",
                    "role",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(records=st.lists(JSON, min_size=1, max_size=6))
@example(records=[{"request": {"messages": 5}, "choices": [{"message": {"content": "Hi."}}]}])
@example(records=[{"action": "answer", "text": ["not", "a", "string"]}, "just a string"])
def test_any_json_line_is_an_item_a_bad_line_or_passed_over_never_a_crash(
    records: list[Any],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = jsonl(Path(tmp) / "in.jsonl", [json.dumps(r) for r in records])
        for fmt in FORMATS:
            found = list(entries(path, fmt))
            assert len(found) <= len(records)
            for entry in found:
                assert (entry.item is None) == bool(entry.error)
                if fmt != "items":
                    assert entry.key == f"{path}:{entry.number}"


def test_parquet_holds_the_same_rows_as_the_lines(cwd: Path) -> None:
    import pyarrow.parquet as pq

    path = jsonl(cwd / "in.jsonl", [*items(12, index_every=4), "{broken"])
    res = batch(path, "--out", cwd / "out.parquet", "--workers", "2")
    assert res.exit_code == 2, res.output
    expected = by_id(lines(cwd / "out.parquet.jsonl"))
    table = pq.read_table(cwd / "out.parquet").to_pylist()
    got = {r["id"]: {k: v for k, v in r.items() if v is not None} for r in table}
    assert set(got) == set(expected)
    for key, row in expected.items():
        assert got[key] == row
    assert not [p for p in cwd.iterdir() if p.name.endswith(".tmp")]


def test_a_plugin_module_of_hooks_is_loaded_in_every_worker(
    cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(TESTS / "plugins"))
    monkeypatch.setenv("VERIFY_PLUGINS", "verify_example_plugin")
    path = jsonl(cwd / "in.jsonl", items(8))
    res = batch(
        path,
        "--out",
        cwd / "out.jsonl",
        "--entailment",
        "example-overlap",
        "--workers",
        "2",
        embedder="example-hash",
    )
    assert res.exit_code == 1, res.output
    assert len(by_id(lines(cwd / "out.jsonl"))) == 8


def test_progress_shows_items_per_second_and_eta_on_stderr_unless_quiet(cwd: Path) -> None:
    path = jsonl(cwd / "in.jsonl", items(5))
    res = batch(path, "--out", cwd / "out.jsonl", quiet=False)
    assert res.exit_code == 1, res.output
    assert "item/s" in res.stderr and "5/5" in res.stderr
    assert "5 results in" in res.stderr and "items/s" in res.stderr
    assert res.stdout == ""


def test_without_tqdm_one_line_is_redrawn_with_rate_and_eta(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm fails
    with Progress(10, 4) as progress:
        progress.advance(3)
    err = capsys.readouterr().err
    assert err.startswith("\rchecking: 4/10 40% 0.0 items/s ETA ?")
    last = err.rstrip("\n").rsplit("\r", 1)[-1]
    assert last.startswith("checking: 7/10 70% ") and " items/s ETA " in last


def test_help_names_every_flag() -> None:
    res = CliRunner().invoke(cli, ["batch", "--help"])
    assert res.exit_code == 0
    for flag in (
        "--out",
        "--format",
        "--from",
        "--index",
        "--workers",
        "--engine",
        "--address",
        "--resume",
        "--batch-size",
        "--plugin",
        "--entailment",
        "--embedder",
        "--judge",
        "--block",
        "--max-blocking",
        "--quiet",
    ):
        assert flag in res.stdout, flag


# -- killed workers and a killed driver -------------------------------------------------------


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, int]]:
    """A working directory, 3,000 items, and the lines and exit code of an undisturbed run."""
    root = workdir(tmp_path_factory.mktemp("big"))
    path = jsonl(root / "in.jsonl", items(3000, index_every=10))
    proc = start(root, path, "--out", root / "reference.jsonl", "--workers", "2")
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 1, err
    yield root, path, proc.returncode


def test_a_worker_killed_mid_run_leaves_every_id_exactly_once(
    big: tuple[Path, Path, int],
) -> None:
    root, path, code = big
    out = root / "killed-worker.jsonl"
    proc = start(root, path, "--out", out, "--workers", "2", "--batch-size", "8")
    wait_for_lines(out, 300, proc)
    workers = worker_pids(proc.pid)
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == code, err
    assert by_id(lines(out)) == by_id(lines(root / "reference.jsonl"))


def test_resume_after_kill_9_of_the_driver_loses_and_repeats_no_id(
    big: tuple[Path, Path, int],
) -> None:
    root, path, code = big
    out = root / "killed-driver.jsonl"
    proc = start(root, path, "--out", out, "--workers", "2")
    wait_for_lines(out, 500, proc)
    workers = worker_pids(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    deadline = time.monotonic() + 60  # orphaned workers see the pipe close and leave
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(p) for p in workers)
    before = len(out.read_bytes().splitlines())
    proc = start(root, path, "--out", out, "--workers", "2", "--resume")
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == code, err
    rows = lines(out)
    assert len(rows) == 3000 > before
    assert by_id(rows) == by_id(lines(root / "reference.jsonl"))
