"""``run_command`` under confinement: allowlisted programs only, no shell, a timeout, a
scrubbed environment, bounded output, the workspace as working folder, and no arguments
that point outside it.

Output is read as it comes and the program is killed (with its whole process group) once
it has written more than ``MAX_OUTPUT`` bytes or passed its timeout, so neither a chatty
program nor a child it left behind can hold the runner or fill its memory.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from ._workspace import ConfinementError

__all__ = ["CommandResult", "check_command", "run_command"]

SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
MAX_OUTPUT = 64 * 1024
MAX_ARGS = 64
MAX_ARG = 4096
# Where a path may start inside one argument: the whole argument, after `=`, `:` or `,`
# (``--file=/etc/x``, ``host:/x``, ``a,/x``), or glued to a short option (``-f/etc/x``).
# Text inside an argument is not parsed further: an interpreter on the allowlist (python -c)
# can reach anything, whatever its arguments look like.
_PIECES = re.compile(r"[=:,]")
_GLUED = re.compile(r"^-[A-Za-z](.+)$")


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    truncated: bool = False


def _outside(piece: str) -> bool:
    if not piece:
        return False
    pure = PurePosixPath(piece)
    return pure.is_absolute() or ".." in pure.parts or piece.startswith("~")


def check_command(argv: Sequence[str], allow: Sequence[str]) -> str:
    """The program's absolute path, or ConfinementError naming what is refused."""
    if not argv or len(argv) > MAX_ARGS:
        raise ConfinementError(f"a command needs 1..{MAX_ARGS} arguments")
    program = argv[0]
    if "/" in program or program != program.strip() or not program:
        raise ConfinementError(f"program {program!r} must be a bare name from the allowlist")
    if program not in allow:
        raise ConfinementError(
            f"program {program!r} is not on the allowlist ({', '.join(allow) or 'empty'})"
        )
    for arg in argv[1:]:
        if len(arg) > MAX_ARG or "\x00" in arg:
            raise ConfinementError("an argument is too long or has a NUL byte")
        pieces = [arg, *_PIECES.split(arg)]
        if glued := _GLUED.match(arg):
            pieces.append(glued.group(1))
        if any(_outside(p) for p in pieces):
            raise ConfinementError(f"argument {arg!r} points outside the workspace")
    found = shutil.which(program, path=SAFE_PATH)
    if not found:
        raise ConfinementError(f"program {program!r} is allowed but not installed")
    return found


def run_command(
    argv: Sequence[str], allow: Sequence[str], workspace: Path, *, timeout: float = 20.0
) -> CommandResult:
    exe = check_command(argv, allow)
    workspace.mkdir(parents=True, exist_ok=True)
    env = {"PATH": SAFE_PATH, "HOME": str(workspace), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    proc = subprocess.Popen(
        [exe, *argv[1:]],
        cwd=workspace,
        env=env,
        shell=False,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    deadline = time.monotonic() + timeout
    try:
        out, err, timed_out, truncated = _read_bounded(proc.stdout, proc.stderr, deadline)
        if not (timed_out or truncated):  # both streams closed: let the program finish
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.0))
            except subprocess.TimeoutExpired:
                timed_out = True
    finally:
        _kill_group(proc)
        proc.stdout.close()
        proc.stderr.close()
    code = -signal.SIGKILL if timed_out else proc.returncode
    return CommandResult(code, _text(out), _text(err), timed_out=timed_out, truncated=truncated)


def _read_bounded(
    stdout: IO[bytes], stderr: IO[bytes], deadline: float
) -> tuple[bytes, bytes, bool, bool]:
    """Both streams until EOF, the deadline, or more than MAX_OUTPUT bytes in all."""
    bufs: dict[int, bytearray] = {stdout.fileno(): bytearray(), stderr.fileno(): bytearray()}
    with selectors.DefaultSelector() as sel:
        for stream in (stdout, stderr):
            sel.register(stream, selectors.EVENT_READ)
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bytes(bufs[stdout.fileno()]), bytes(bufs[stderr.fileno()]), True, False
            for key, _ in sel.select(remaining):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                buf = bufs[key.fd]
                buf += chunk
                if sum(len(b) for b in bufs.values()) > MAX_OUTPUT:
                    del buf[MAX_OUTPUT:]
                    return (bytes(bufs[stdout.fileno()]), bytes(bufs[stderr.fileno()]), False, True)
    return bytes(bufs[stdout.fileno()]), bytes(bufs[stderr.fileno()]), False, False


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the program and anything it started (its own session), then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _text(data: bytes) -> str:
    return data[:MAX_OUTPUT].decode("utf-8", "replace")
