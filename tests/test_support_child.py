"""The helper that reads a child's stdout with a deadline (tests/support/child.py): a silent
child is killed and named, one that ends early is reported with its stderr."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from support.child import next_line


def _child(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_lines_come_in_order() -> None:
    with _child("print('one', flush=True); print('two', flush=True)") as proc:
        assert [next_line(proc), next_line(proc)] == ["one\n", "two\n"]


def test_a_silent_child_is_killed_at_the_deadline() -> None:
    with _child("import time; time.sleep(600)") as proc:
        t0 = time.monotonic()
        with pytest.raises(AssertionError, match=r"no the ready line from the child in 0.5s"):
            next_line(proc, "the ready line", timeout=0.5)
        assert time.monotonic() - t0 < 30
        assert proc.wait(timeout=30) != 0  # killed, not left running


def test_a_child_that_ends_first_is_reported_with_its_stderr() -> None:
    ended = r"ended \(exit 1\) before x: cannot open the ledger"
    with (
        _child("import sys; sys.exit('cannot open the ledger')") as proc,
        pytest.raises(AssertionError, match=ended),
    ):
        next_line(proc, "x", timeout=30)
