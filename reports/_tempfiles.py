"""Temporary files this program makes beside the files it replaces, and clearing up after
writers that were killed before they could.

A writer that replaces a file atomically first writes ``.verify-<pid>-<12 hex>.tmp`` in the
same folder (``temp_name()``): hidden, a recognisable prefix, the writer's process id and a
random part. A writer killed between creating it and renaming it over the target leaves it
behind, so every such writer calls ``sweep_temp(folder)`` first. The sweep removes a regular
file whose whole name has exactly that form when no process with that id is alive, or when
it is older than ``MAX_AGE`` (an hour: the id was taken by another process, or the writer
hung); it never touches any other name, a link, a folder, or a young file of a live writer.

Limit: the id is looked up in this machine's process table. A writer in another container
(another pid namespace) that shares the folder can look dead; its write then fails with an
error and leaves the old file in place: nothing is torn or half-read.

The index folder is not swept this way: it is ours alone and guarded by a writer lock, so a
writer holding the lock clears every unfinished generation (``retrieval._store``). SQLite's
``-wal`` and ``-journal`` files belong to SQLite and are recovered by it, never removed here.

This lives in ``reports`` because it is the one package ``reports`` and ``verify`` may both
import (``reports`` imports nothing of ours but ``checks.types``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from pathlib import Path

__all__ = ["MAX_AGE", "is_temp_name", "sweep_temp", "temp_name"]

#: Seconds after which a temporary file is removed even though a process with its id lives.
MAX_AGE = 3600.0
_NAME = re.compile(r"\.verify-([1-9][0-9]{0,9})-[0-9a-f]{12}\.tmp")


def temp_name() -> str:
    """A fresh name for a temporary file of this process: ``.verify-<pid>-<12 hex>.tmp``."""
    return f".verify-{os.getpid()}-{secrets.token_hex(6)}.tmp"


def is_temp_name(name: str) -> bool:
    """Whether ``name`` has the form of ``temp_name()`` (whichever process made it)."""
    return _NAME.fullmatch(name) is not None


def sweep_temp(folder: Path | int, *, max_age: float = MAX_AGE) -> int:
    """Remove what killed writers left in ``folder`` (a path, or a descriptor of an open
    folder); returns how many files went. Never raises: a folder that cannot be read or a
    file that cannot be removed is left as it is."""
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError:
        return 0
    dir_fd = folder if isinstance(folder, int) else None
    now = time.time()
    removed = 0
    for entry in entries:
        match = _NAME.fullmatch(entry.name)
        if match is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        if now - st.st_mtime < max_age and _alive(int(match[1])):
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.name if dir_fd is not None else entry.path, dir_fd=dir_fd)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    """Whether a process with id ``pid`` exists here (one of another user's counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # none, or an id no process can have
        return False
    except OSError:  # EPERM: it exists, and is not ours to signal
        return True
    return True
