"""``verify batch`` runs for the tests: items, input files, a working directory whose worker
processes load the fakes, ``verify batch`` as a process of its own, and what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fakes import FAKE_EMBEDDER, FAKE_ENTAILMENT

from retrieval import OFFLINE
from support.corpus import indexed_workdir

TESTS = Path(__file__).resolve().parents[1]
PLUGINS = "fakes:register"
CONTEXT = (
    "The gateway listens on port 8443 for HTTPS traffic. Raw uploads are kept for 14 days. "
    "The transcoder runs 6 workers."
)
TEXTS = (
    "The gateway listens on port {port}.",
    "Raw uploads are kept for {days} days.",
    "The transcoder runs {workers} workers.",
    "Bananas ripen faster next to apples.",
)
VERIFY = "from verify.cli import main; main()"
Popen = subprocess.Popen[str]


def items(n: int, *, index_every: int = 0) -> list[dict[str, Any]]:
    """``n`` items with ids ``i0``...; supported, contradicted and unrelated texts against
    one context; every ``index_every``-th item has no context (checked against the index)."""
    out = []
    for i in range(n):
        text = TEXTS[i % len(TEXTS)].format(
            port=(8443, 9443)[i % 2], days=(14, 30)[i // 2 % 2], workers=(6, 8)[i // 3 % 2]
        )
        item: dict[str, Any] = {"id": f"i{i}", "text": text, "context": [CONTEXT]}
        if index_every and i % index_every == 0:
            del item["context"]
        out.append(item)
    return out


def jsonl(path: Path, rows: list[dict[str, Any]] | list[str]) -> Path:
    lines = (r if isinstance(r, str) else json.dumps(r) for r in rows)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def workdir(root: Path) -> Path:
    """``root`` with the corpus, its fake index and a verify.toml naming the fake entailment."""
    indexed_workdir(root)
    (root / "verify.toml").write_text(f'entailment = "{FAKE_ENTAILMENT}"\n', encoding="utf-8")
    return root


def env() -> dict[str, str]:
    """The environment of a ``verify`` subprocess: the fakes importable and loaded."""
    path = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {
        **os.environ,
        "PYTHONPATH": path,
        "VERIFY_PLUGINS": PLUGINS,
        **OFFLINE,
    }


def start(cwd: Path, *args: str | Path, extra_env: dict[str, str] | None = None) -> Popen:
    """``verify batch`` as a process of its own, to be killed."""
    argv = [sys.executable, "-c", VERIFY, "batch", "--embedder", FAKE_EMBEDDER, "-q"]
    return subprocess.Popen(
        [*argv, *map(str, args)],
        cwd=cwd,
        env={**env(), **(extra_env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The rows keyed by id, after asserting that no id is there twice."""
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} id(s) written twice"
    return {r["id"]: r for r in rows}


def wait_for_lines(path: Path, n: int, proc: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"verify batch ended (exit {proc.returncode}) before {n} lines: {err}")
        time.sleep(0.05)
    proc.kill()
    _, err = proc.communicate()
    pytest.fail(f"no {n} lines in {path} within {timeout} s: {err}")
