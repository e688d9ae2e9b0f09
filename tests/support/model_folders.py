"""Model folders for tests: a bundled model's files linked (not copied: tens of MB each) into a
new folder, leaving out the ones a test writes itself."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["linked_copy"]


def linked_copy(src: Path, dst: Path, *, leave_out: Iterable[str] = ()) -> Path:
    """``dst``, created, holding a link to each file of ``src`` but those named in
    ``leave_out``."""
    skip = set(leave_out)
    dst.mkdir()
    for f in src.iterdir():
        if f.is_file() and f.name not in skip:
            (dst / f.name).symlink_to(f)
    return dst
