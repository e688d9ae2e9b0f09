"""``verify batch --engine ray``: the same lines as the local engine, through Ray Data actors.

A module fixture starts a Ray cluster of one node on 127.0.0.1 with 2 CPUs in a helper
process (so Ray's own warnings and threads stay out of this one) and shuts it down at the
end; ``verify batch`` joins it with ``--address``, as it would join a real cluster. The
actors load the fakes through ``VERIFY_PLUGINS`` and open the test index at its absolute
path. The 10,000-item run is the acceptance check of issue #14: ``--workers 1``,
``--workers 2`` and ``--engine ray`` write the same line for every id.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.batch import Popen, by_id, env, items, jsonl, lines, start, wait_for_lines, workdir
from support.child import next_line

#: Starts a one-node cluster, prints its address, and shuts it down when stdin closes.
CLUSTER = """
import sys
import ray
info = ray.init(address="local", num_cpus=2, include_dashboard=False)
print(info.address_info["gcs_address"], flush=True)
sys.stdin.read()
ray.shutdown()
"""
#: Ray's switch for a single-node cluster on the loopback address only, and token
#: authentication (the cluster writes ~/.ray/auth_token; the drivers that join read it).
LOOPBACK = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AUTH_MODE": "token",
}


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, int]]:
    """The address of a Ray cluster on 127.0.0.1 and the pid of the process that owns it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CLUSTER],
        env={**env(), **LOOPBACK},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    address = next_line(proc, "the cluster's address", timeout=180).strip()
    assert address.startswith("127.0.0.1:"), address
    yield address, proc.pid
    proc.stdin.close()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stdout.close()


@pytest.fixture(scope="module")
def ten_thousand(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A working directory and 10,000 items, one in ten checked against the index."""
    root = workdir(tmp_path_factory.mktemp("ray"))
    return root, jsonl(root / "in.jsonl", items(10_000, index_every=10))


@pytest.fixture(scope="module")
def local(ten_thousand: tuple[Path, Path]) -> dict[str, dict[str, Any]]:
    """The lines of the 10,000 items with --workers 1, by id (the reference)."""
    root, path = ten_thousand
    assert finish(start(root, path, "--out", root / "one.jsonl", "--workers", "1")) == 1
    return by_id(lines(root / "one.jsonl"))


def ray_batch(root: Path, address: str, *args: str | Path) -> Popen:
    """``verify batch --engine ray`` joining the cluster at ``address``."""
    return start(root, *args, "--engine", "ray", "--address", address, extra_env=LOOPBACK)


def finish(proc: Popen, timeout: float = 900) -> int:
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode in (0, 1), err[-3000:]
    return proc.returncode


def test_ten_thousand_items_give_the_same_lines_with_1_and_2_workers_and_ray(
    ten_thousand: tuple[Path, Path], local: dict[str, dict[str, Any]], cluster: tuple[str, int]
) -> None:
    root, path = ten_thousand
    assert len(local) == 10_000
    assert finish(start(root, path, "--out", root / "two.jsonl", "--workers", "2")) == 1
    assert by_id(lines(root / "two.jsonl")) == local
    assert finish(ray_batch(root, cluster[0], path, "--out", root / "ray.jsonl")) == 1
    assert by_id(lines(root / "ray.jsonl")) == local


def test_an_actor_killed_mid_run_leaves_every_id_exactly_once(
    ten_thousand: tuple[Path, Path], local: dict[str, dict[str, Any]], cluster: tuple[str, int]
) -> None:
    root, _ = ten_thousand
    path = jsonl(root / "some.jsonl", items(1500, index_every=10))  # the first 1,500 of them
    out = root / "ray-killed.jsonl"
    proc = ray_batch(root, cluster[0], path, "--out", out, "--workers", "2")
    wait_for_lines(out, 200, proc)
    actors = descendants(cluster[1], b"MapWorker")
    assert len(actors) == 2, actors
    os.kill(actors[0], signal.SIGKILL)
    assert finish(proc) == 1
    got = by_id(lines(out))
    assert got == {f"i{i}": local[f"i{i}"] for i in range(1500)}


def test_ray_resumes_what_a_killed_run_left(
    ten_thousand: tuple[Path, Path], local: dict[str, dict[str, Any]], cluster: tuple[str, int]
) -> None:
    root, _ = ten_thousand
    path = jsonl(root / "few.jsonl", items(300, index_every=10))
    expected = {f"i{i}": local[f"i{i}"] for i in range(300)}
    out = root / "few-ray.jsonl"
    left = [json.dumps(expected[f"i{i}"]) + "\n" for i in range(120)]
    torn = json.dumps(expected["i120"])[:40]  # as a kill -9 mid-write leaves it
    out.write_text("".join(left) + torn, encoding="utf-8")
    assert finish(ray_batch(root, cluster[0], path, "--out", out, "--resume")) == 1
    assert by_id(lines(out)) == expected


def descendants(root: int, word: bytes) -> list[int]:
    """Processes under ``root`` (children, their children, ...) whose command line holds
    ``word``: only processes this test started."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])

    def under(pid: int) -> bool:
        seen = set()
        while pid in parents and pid not in seen:
            seen.add(pid)
            pid = parents[pid]
            if pid == root:
                return True
        return False

    found = []
    for pid in parents:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if word in cmdline and under(pid):
            found.append(pid)
    return sorted(found)
