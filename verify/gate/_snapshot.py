"""A state of the repository, before or after the change: its file paths and their texts.

``GitSnapshot`` reads a commit without checking it out; ``DirSnapshot`` reads a folder;
``Overlay`` puts a patch's version of some files over another snapshot. Texts are UTF-8;
a file that is not (or is binary, or huge) reads as ``None`` and is left out of checks.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path

from retrieval import MAX_FILE_BYTES, SKIP_DIRS

from ._git import BlobReader, GitError, git, tree_files

__all__ = ["DirSnapshot", "GitSnapshot", "MemorySnapshot", "Overlay", "Snapshot"]

MAX_BYTES = MAX_FILE_BYTES  # the same caps and skipped folders as `verify index`
_SKIP_DIRS = SKIP_DIRS


class Snapshot(ABC):
    """One state of the repository's files, by repository-relative POSIX path."""

    @abstractmethod
    def paths(self) -> list[str]:
        """Every file path, sorted."""

    @abstractmethod
    def read(self, path: str) -> str | None:
        """The text of ``path``, or None if it is missing here, binary, huge or not UTF-8."""

    def exists(self, path: str) -> bool:
        return path in self._path_set()

    def _path_set(self) -> frozenset[str]:
        cached: frozenset[str] | None = self.__dict__.get("_set")
        if cached is None:
            cached = frozenset(self.paths())
            self.__dict__["_set"] = cached
        return cached

    def close(self) -> None:  # noqa: B027 - only git snapshots hold a process
        """Release what reading needed."""


class _Cached(Snapshot):
    """Reads each file once: ``read`` decodes what ``_load`` returns and keeps it."""

    _texts: dict[str, str | None]

    @abstractmethod
    def _load(self, path: str) -> bytes | None:
        """The bytes of ``path``, or None if it does not exist here."""

    def read(self, path: str) -> str | None:
        cache = self.__dict__.setdefault("_texts", {})
        if path not in cache:
            cache[path] = _decode(self._load(path))
        text: str | None = cache[path]
        return text


class GitSnapshot(_Cached):
    def __init__(self, repo: Path, rev: str) -> None:
        self.repo = repo
        self.rev = rev
        self._files = tree_files(repo, rev)
        self._reader: BlobReader | None = None

    def paths(self) -> list[str]:
        return sorted(self._files)

    def _load(self, path: str) -> bytes | None:
        sha = self._files.get(path)
        if sha is None:
            return None
        if self._reader is None:
            self._reader = BlobReader(self.repo)
        return self._reader.read(sha)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


class DirSnapshot(_Cached):
    """A folder as it is on disk: a git work tree's tracked and unignored files, or a walk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._paths: list[str] | None = None

    def paths(self) -> list[str]:
        if self._paths is None:
            self._paths = sorted(self._list())
        return self._paths

    def _list(self) -> list[str]:
        if (self.root / ".git").exists():
            try:
                out = git(
                    self.root, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]
                )
                return [
                    p
                    for p in out.decode("utf-8", "replace").split("\0")
                    if p and not _SKIP_DIRS & set(p.split("/")[:-1]) and (self.root / p).is_file()
                ]
            except GitError:
                pass
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")]
            for name in filenames:
                found.append((Path(dirpath) / name).relative_to(self.root).as_posix())
        return found

    def _load(self, path: str) -> bytes | None:
        file = self.root / path
        try:
            # a link is not followed: it may lead out of the repository (into /etc)
            if file.is_symlink() or not file.is_file() or file.stat().st_size > MAX_BYTES:
                return None
            return file.read_bytes()
        except OSError:
            return None


class MemorySnapshot(Snapshot):
    """Files held in memory: a proposed change that is not on disk yet, or a test's repo."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = dict(files)

    def paths(self) -> list[str]:
        return sorted(self.files)

    def read(self, path: str) -> str | None:
        return self.files.get(path)


class Overlay(Snapshot):
    """``base`` with some files replaced (text) or removed (None)."""

    def __init__(self, base: Snapshot, files: Mapping[str, str | None]) -> None:
        self.base = base
        self.files = dict(files)

    def paths(self) -> list[str]:
        kept = {p for p in self.base.paths() if self.files.get(p, "") is not None}
        return sorted(kept | {p for p, t in self.files.items() if t is not None})

    def read(self, path: str) -> str | None:
        if path in self.files:
            return self.files[path]
        return self.base.read(path)

    def close(self) -> None:
        self.base.close()


def _decode(data: bytes | None) -> str | None:
    if data is None or len(data) > MAX_BYTES or b"\0" in data[:8192]:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text[1:] if text.startswith("\ufeff") else text
