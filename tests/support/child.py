"""Reading a child process's stdout without waiting for ever: a line that does not come in time
kills the child, and the test fails naming what it waited for, instead of hanging until
pytest-timeout stops the whole run."""

from __future__ import annotations

import subprocess
import threading

__all__ = ["next_line"]


def next_line(proc: subprocess.Popen[str], what: str = "a line", timeout: float = 60) -> str:
    """The child's next stdout line (with its newline). If none comes in ``timeout`` seconds
    the child is killed; if it ends first, what it wrote on stderr (when that is a pipe) is in
    the failure."""
    assert proc.stdout is not None, "the child's stdout is not a pipe"
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        proc.kill()

    timer = threading.Timer(timeout, expire)
    timer.start()
    try:
        line = proc.stdout.readline()
    finally:
        timer.cancel()
    if line:
        return line
    if fired.is_set():
        raise AssertionError(f"no {what} from the child in {timeout:g}s; it was killed")
    err = proc.stderr.read()[-2000:] if proc.stderr is not None else ""
    raise AssertionError(f"the child ended (exit {proc.wait()}) before {what}: {err}")
