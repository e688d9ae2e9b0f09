"""Determinism: the same input, corpus and config give the same verdicts and scores, run to run.

Every command runs twice, in two separate processes started at the same moment (so they also
race for the two cores), with the real bundled MiniLM, on the project's own data: the demo
corpus ``corpora/demo`` and the labelled Ferrowave claims in ``benchmarks/data/ferrowave``
(no external benchmark data). Compared exactly:

- ``verify index``: chunks, segments and every vector bit for bit;
- ``verify bench``: every claim's verdict, score and reason, and every metric;
- ``verify check``: the whole JSON report;
- ``verify run --replay``: the JSON report, and the ledger's runs, calls and actions;
- ``verify gate --patch``: the whole JSON report.

Fields that are legitimately different each run are left out by name, below, and nothing
else: timings, wall-clock timestamps, and ids the ledger draws at random.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from robustness import tally

from retrieval import Index

pytestmark = pytest.mark.model

SUITE = "determinism"
REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "corpora" / "demo"
CLAIMS = REPO / "benchmarks" / "data" / "ferrowave" / "claims.jsonl"
ANSWERS = REPO / "benchmarks" / "data" / "ferrowave" / "answers.jsonl"
REPLAY = REPO / "corpora" / "demo_replay.jsonl"

#: Keys that differ by design, excluded wherever they appear in a JSON report: timings, and
#: the id each agent run draws at random.
VOLATILE_KEYS = frozenset(
    {"seconds", "embed_seconds", "claims_per_second", "load_seconds", "index_seconds", "run_id"}
)
#: Ledger columns that differ run to run by design: clocks, durations, and run ids (random
#: per run); rows are compared through the run's position instead.
LEDGER_VOLATILE = frozenset(
    {"id", "run_id", "run", "started_at", "finished_at", "created_at", "seconds"}
)
VERIFY = "from verify.cli import main; main()"
ENV = {
    **os.environ,
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def twice(*runs: Sequence[str | Path], cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    """Run ``verify`` with each argument list, all at once, each in its own process."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", VERIFY, *(str(a) for a in args)],
            cwd=cwd,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in runs
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def timeless(value: Any) -> Any:
    """``value`` without the keys in ``VOLATILE_KEYS``, at any depth."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value


def same(what: str, a: Any, b: Any) -> None:
    """Count and assert one comparison."""
    equal = a == b
    tally(SUITE, cases=1, flips=int(not equal))
    assert equal, f"{what} differs between two runs: {_first_difference(a, b)}"


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path or 'value'}: {a!r:.300} != {b!r:.300}"


# -- the demo corpus, indexed twice -----------------------------------------------------------


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset folder (Ferrowave claims, the demo corpus), its index ``a`` and a copy ``b``
    (each run of a pair reads its own). Building the index twice is tested apart, on part of
    the corpus: embedding all of it twice costs a minute on a 2-core machine."""
    root = tmp_path_factory.mktemp("determinism")
    dataset = root / "ferrowave"
    dataset.mkdir()
    shutil.copyfile(CLAIMS, dataset / "claims.jsonl")
    shutil.copytree(DEMO, dataset / "corpus")
    (built,) = twice(["index", dataset / "corpus", "--index", root / "a", "-q"], cwd=root)
    assert built.returncode == 0, built.stderr
    shutil.copytree(root / "a", root / "b")
    return root


def _index_contents(folder: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], bytes]:
    with Index.open(folder) as index:
        vectors = np.ascontiguousarray(index.vectors).tobytes()
        gen = index.generation
    with closing(sqlite3.connect(f"file:{gen / 'chunks.sqlite'}?mode=ro", uri=True)) as conn:
        chunks = conn.execute(
            "SELECT chunk_id, source, start_line, end_line, text FROM chunks ORDER BY id"
        ).fetchall()
        segments = conn.execute(
            "SELECT c.chunk_id, s.line, s.text, s.row FROM segments s"
            " JOIN chunks c ON c.id = s.chunk ORDER BY s.row"
        ).fetchall()
    return chunks, segments, vectors


#: Part of the demo corpus: prose, a YAML and a TOML file, a superseded policy.
SUBSET = ("architecture-overview.md", "data-retention-policy-v3.md", "ferrowave.yaml", "flags.toml")


def test_two_processes_index_the_same_corpus_bit_for_bit(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SUBSET:
        shutil.copyfile(DEMO / name, corpus / name)
    runs = [["index", corpus, "--index", tmp_path / name, "-q", "--json"] for name in "ab"]
    a, b = twice(*runs, cwd=tmp_path)
    assert a.returncode == b.returncode == 0, (a.stderr, b.stderr)
    summary_a, summary_b = (timeless(json.loads(r.stdout)) for r in (a, b))
    del summary_a["index"], summary_b["index"]  # the folders differ, by design
    same("the index summary", summary_a, summary_b)
    chunks_a, segments_a, vectors_a = _index_contents(tmp_path / "a")
    chunks_b, segments_b, vectors_b = _index_contents(tmp_path / "b")
    same("chunks", chunks_a, chunks_b)
    same("segments", segments_a, segments_b)
    same("vectors", vectors_a, vectors_b)
    assert len(segments_a) > 30


# -- bench: every labelled claim, twice ------------------------------------------------------


def test_every_benchmark_claim_gets_the_same_verdict_and_score_twice(work: Path) -> None:
    runs = [
        ["bench", work / "ferrowave", "--index", work / name, "--include-trained", "--json", "-q"]
        for name in "ab"
    ]
    a, b = twice(*runs, cwd=work)
    assert a.returncode == b.returncode == 0, (a.stderr[-2000:], b.stderr[-2000:])
    first, second = (timeless(json.loads(r.stdout)) for r in (a, b))
    assert first["n"] == 180 and len(first["predictions"]) == 180
    for p, q in zip(first["predictions"], second["predictions"], strict=True):
        same(f"claim {p['id']}", p, q)  # verdict, score, reason
    same("the metrics", first["metrics"], second["metrics"])
    same("the whole bench report", first, second)


# -- check, run --replay, gate ---------------------------------------------------------------


def test_check_gives_the_same_report_twice(work: Path) -> None:
    answers = [json.loads(line) for line in ANSWERS.read_text(encoding="utf-8").splitlines()]
    text = work / "answer.md"
    text.write_text("\n\n".join(a["answer"] for a in answers[:4]), encoding="utf-8")
    a, b = twice(
        *[["check", "--file", text, "--index", work / name, "--json"] for name in "ab"],
        cwd=work,
    )
    assert a.returncode == b.returncode and a.returncode in (0, 1), (a.stderr, b.stderr)
    first, second = (timeless(json.loads(r.stdout)) for r in (a, b))
    assert len(first["claims"]) >= 8
    same("the check report", first, second)


def _ledger_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Runs, calls and actions, without the columns in ``LEDGER_VOLATILE``, in row order."""
    out: dict[str, list[dict[str, Any]]] = {}
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        for table in ("runs", "calls", "actions"):
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY id")
            names = [d[0] for d in cursor.description]
            out[table] = [
                {k: v for k, v in zip(names, row, strict=True) if k not in LEDGER_VOLATILE}
                for row in cursor
            ]
    return out


def test_a_replayed_run_gives_the_same_report_and_ledger_twice(work: Path) -> None:
    runs = [
        [
            *["run", "What is the maximum upload size?", "--replay", REPLAY],
            *["--index", work / name, "--workspace", work / f"ws-{name}"],
            *["--ledger", work / f"ledger-{name}.db", "--agent", "replayed", "--user", "det"],
            *["--json", "-q"],
        ]
        for name in "ab"
    ]
    a, b = twice(*runs, cwd=work)
    assert a.returncode == b.returncode and a.returncode in (0, 1), (a.stderr, b.stderr)
    first, second = (timeless(json.loads(r.stdout)) for r in (a, b))
    same("the run report", first, second)
    ledger_a, ledger_b = _ledger_rows(work / "ledger-a.db"), _ledger_rows(work / "ledger-b.db")
    assert ledger_a["calls"] and ledger_a["actions"]
    for table in ("runs", "calls", "actions"):
        same(f"the ledger's {table}", ledger_a[table], ledger_b[table])
    files_a = sorted(p.relative_to(work / "ws-a") for p in (work / "ws-a").rglob("*"))
    files_b = sorted(p.relative_to(work / "ws-b") for p in (work / "ws-b").rglob("*"))
    same("the files the run wrote", files_a, files_b)


GATE_REPO = {
    "README.md": "# relay\n\nThe relay forwards upload events to the transcoder.\n",
    "docs/relay.md": "# Relay\n\nThe relay retries a failed event 5 times.\n"
    "Events older than 24 hours are dropped.\nThe relay listens on port 7070.\n",
    "relay/__init__.py": '"""The relay."""\n\nfrom .core import forward\n\n__all__ = ["forward"]\n',
    "relay/core.py": '"""Forwarding."""\n\nRETRIES = 5\n\n\ndef forward(event: dict) -> bool:\n'
    "    return bool(event)\n",
    "pyproject.toml": '[project]\nname = "relay"\ndependencies = ["click>=8.1"]\n',
}
GATE_PATCH = "\n".join(
    [
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001",
        "Subject: [PATCH] relay: retry 7 times, tested",
        "",
        "Retries go up to 7. Adds tests for the retry loop.",
        "---",
        "--- a/docs/relay.md",
        "+++ b/docs/relay.md",
        "@@ -3,3 +3,4 @@",
        " The relay retries a failed event 5 times.",
        " Events older than 24 hours are dropped.",
        " The relay listens on port 7070.",
        "+The relay listens on port 8080 when TLS is off.",
        "--- a/relay/core.py",
        "+++ b/relay/core.py",
        "@@ -1,3 +1,5 @@",
        ' """Forwarding."""',
        " ",
        "+import fastqueue_turbo",
        "+",
        " RETRIES = 5",
        "",
    ]
)


def test_gate_gives_the_same_report_twice(work: Path) -> None:
    for name in "ab":
        for rel, text in GATE_REPO.items():
            path = work / f"gate-{name}" / "relay" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    patch = work / "change.patch"
    patch.write_text(GATE_PATCH, encoding="utf-8")
    runs = [
        ["gate", "--patch", patch, "--repo", work / f"gate-{name}" / "relay", "--json", "-q"]
        for name in "ab"
    ]
    a, b = twice(*runs, cwd=work)
    assert a.returncode == b.returncode == 1, (a.stderr[-2000:], b.stderr[-2000:])
    first, second = (timeless(json.loads(r.stdout)) for r in (a, b))
    assert first["findings"], "the made-up import is found"
    same("the gate report", first, second)
