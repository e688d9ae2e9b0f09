"""Confinement: ``write_file`` stays inside the workspace, whatever the path tries.

Refused: absolute paths, ``..`` anywhere, NUL, control and invisible format characters
(C0, C1, bidi overrides, zero-width), backslashes, empty or over-long names, any existing
component that is a symlink, an existing target with more than one hard link,
version-control and tool folders (``.git`` in any case, or with the trailing dots and spaces
Windows drops), and names that differ only by case or Unicode normalisation from an
existing entry (tricks on case- or normalisation-insensitive filesystems), and the names
verify gives its own temporary files. Files are written to a fresh temporary file (O_EXCL:
never through a link) and replaced atomically; the temporary files of killed writers in the
folder written are cleared first (``reports.sweep_temp``).
"""

from __future__ import annotations

import contextlib
import os
import stat
import unicodedata
from pathlib import Path, PurePosixPath

from reports import is_temp_name, sweep_temp, temp_name

__all__ = ["ConfinementError", "Workspace"]

MAX_NAME = 255
MAX_PATH = 1024  # bytes of the relative path, UTF-8
MAX_CONTENT = 1024 * 1024
_FORBIDDEN_DIRS = {".git", ".hg", ".svn", ".verify", ".ssh"}
# Unicode categories never allowed in a name: controls, format characters (bidi, zero-width:
# invisible, and ignored by some filesystems), surrogates, line and paragraph separators.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _fold(name: str) -> str:
    """The key under which a case- or normalisation-insensitive filesystem sees ``name``."""
    return unicodedata.normalize("NFC", name).casefold()


class ConfinementError(Exception):
    """A path the agent may not write; the message says why."""


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root

    def check(self, rel: str) -> PurePosixPath:
        """The normalised relative path, or ConfinementError saying why it is refused."""
        if any(ch == "\\" or unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in rel):
            raise ConfinementError("path has control or invisible characters, or backslashes")
        size = len(rel.encode())
        if not rel or size > MAX_PATH:
            raise ConfinementError(f"path length {size} bytes outside 1..{MAX_PATH}")
        pure = PurePosixPath(rel)
        if pure.is_absolute() or rel.startswith("~"):
            raise ConfinementError(f"absolute path {rel!r}; paths are relative to the workspace")
        parts = [p for p in pure.parts if p != "."]
        if not parts:
            raise ConfinementError("path names no file")
        for part in parts:
            if part == "..":
                raise ConfinementError(f"path {rel!r} climbs out with '..'")
            if len(part.encode()) > MAX_NAME:
                raise ConfinementError(f"a name in {rel!r} is over {MAX_NAME} bytes")
            if _fold(part).rstrip(". ") in _FORBIDDEN_DIRS:
                raise ConfinementError(f"path {rel!r} enters {part!r}, which agents may not write")
            if is_temp_name(part):
                raise ConfinementError(f"{part!r} is a name verify keeps for temporary files")
        return PurePosixPath(*parts)

    def resolve(self, rel: str) -> Path:
        """Check ``rel`` against the filesystem as it is now: no links, no case twins."""
        pure = self.check(rel)
        try:
            return self._resolve(rel, pure)
        except OSError as exc:  # e.g. a name the filesystem refuses: refused, not a crash
            raise ConfinementError(f"{rel!r} cannot be checked: {exc.strerror or exc}") from exc

    def _resolve(self, rel: str, pure: PurePosixPath) -> Path:
        root = self.root.resolve()
        current = root
        for i, part in enumerate(pure.parts):
            nxt = current / part
            if current.is_dir():
                twins = [
                    e.name
                    for e in current.iterdir()
                    if e.name != part and _fold(e.name) == _fold(part)
                ]
                if twins:
                    raise ConfinementError(
                        f"{part!r} differs only by case from existing {twins[0]!r}"
                    )
            if nxt.is_symlink():
                raise ConfinementError(f"{'/'.join(pure.parts[: i + 1])!r} is a symbolic link")
            if i < len(pure.parts) - 1 and nxt.exists() and not nxt.is_dir():
                raise ConfinementError(f"{'/'.join(pure.parts[: i + 1])!r} is not a folder")
            current = nxt
        if current.exists():
            st = current.lstat()
            if not stat.S_ISREG(st.st_mode):
                raise ConfinementError(f"{rel!r} exists and is not a regular file")
            if st.st_nlink > 1:
                raise ConfinementError(f"{rel!r} has other hard links; refusing to write it")
        if not current.resolve().is_relative_to(root):
            raise ConfinementError(f"{rel!r} resolves outside the workspace")
        return current

    def write(self, rel: str, content: str) -> Path:
        """Write ``content`` at ``rel``; ConfinementError when the path or content is refused.

        After the checks of ``resolve``, the write itself walks the folders with file
        descriptors opened O_NOFOLLOW, so a link raced in between check and write is refused
        too, and creates the file as a fresh temporary (O_EXCL) renamed over the target.
        """
        try:
            data = content.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ConfinementError(
                f"content of {rel!r} is not valid Unicode: {exc.reason}"
            ) from exc
        if len(data) > MAX_CONTENT:
            raise ConfinementError(f"content over {MAX_CONTENT} bytes")
        target = self.resolve(rel)
        self.root.mkdir(parents=True, exist_ok=True)
        parts = self.check(rel).parts
        try:
            folder = os.open(self.root.resolve(), _DIR_FLAGS)
        except OSError as exc:
            raise ConfinementError(
                f"workspace {str(self.root)!r} cannot be opened: {exc.strerror or exc}"
            ) from exc
        try:
            for part in parts[:-1]:
                child = _enter(folder, part, rel)
                os.close(folder)
                folder = child
            _replace(folder, parts[-1], data, rel)
        finally:
            os.close(folder)
        return target


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _enter(parent: int, name: str, rel: str) -> int:
    """The descriptor of folder ``name`` under ``parent``, made if missing; never a link."""
    try:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o755, dir_fd=parent)
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError as exc:  # ELOOP/ENOTDIR: a link or a file where a folder should be
        raise ConfinementError(
            f"{rel!r}: {name!r} is not a plain folder ({exc.strerror or exc})"
        ) from exc


def _replace(folder: int, name: str, data: bytes, rel: str) -> None:
    sweep_temp(folder)
    tmp = temp_name()
    try:
        fd = os.open(
            tmp,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o644,
            dir_fd=folder,
        )
    except OSError as exc:
        raise ConfinementError(f"{rel!r} cannot be written: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        st = _lstat_at(folder, name)
        if st is not None and (not stat.S_ISREG(st.st_mode) or st.st_nlink > 1):
            raise ConfinementError(f"{rel!r} is not a plain file with one link")
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder)
        raise


def _lstat_at(folder: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return None
