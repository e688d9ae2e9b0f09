"""Writing a report so that a reader never sees half of one."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from reports._tempfiles import sweep_temp, temp_name


def write_atomic(path: Path, data: str) -> None:
    """Write ``data`` (UTF-8) to ``path`` atomically: the old file or the new, never a mix.

    The text goes to a temporary file beside ``path`` (``temp_name()``), is flushed to disk,
    then renamed over ``path``. On any failure the temporary file is removed and the error
    re-raised; ``path`` is untouched. Temporary files that killed writers left in the folder
    are cleared first (``sweep_temp``). A file replaced keeps its permission bits; a new one
    gets the usual ``0o666 & ~umask``.
    """
    path = Path(path)
    sweep_temp(path.parent)
    tmp = path.with_name(temp_name())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileNotFoundError):
            tmp.chmod(stat.S_IMODE(path.stat().st_mode))
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable where the platform allows it (not on Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
