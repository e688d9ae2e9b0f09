"""The few git commands the gate runs, each turning git's failure into one clear line.

``git`` is run with ``-C repo``, no pager, no external diff or text conversion, and a fixed
locale, so that what it prints parses the same on every machine.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from ..errors import InputError

__all__ = [
    "BlobReader",
    "GitError",
    "commit_messages",
    "diff",
    "ensure_repo",
    "git",
    "merge_base",
    "resolve_rev",
    "tree_files",
]

_ENV = {"GIT_PAGER": "cat", "LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}


class GitError(InputError):
    """git could not answer (not a repository, an unknown revision): exit 2."""


def git(repo: Path, args: Sequence[str], *, stdin: bytes | None = None) -> bytes:
    """Run ``git -C repo ARGS``; its stdout, or ``GitError`` with git's own first line."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args],
            input=stdin,
            capture_output=True,
            check=False,
            env={**os.environ, **_ENV},
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed or not on PATH; install it, or give --patch") from exc
    if proc.returncode != 0:
        first = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        why = first[0] if first else f"exit {proc.returncode}"
        raise GitError(f"git {args[0]} failed in {str(repo)!r}: {why}")
    return proc.stdout


def ensure_repo(repo: Path) -> None:
    try:
        git(repo, ["rev-parse", "--git-dir"])
    except GitError as exc:
        raise GitError(
            f"{str(repo)!r} is not a git repository: give --repo DIR of one, or --patch FILE"
        ) from exc


def resolve_rev(repo: Path, rev: str) -> str:
    """The commit id ``rev`` names; ``GitError`` naming the revision if it names none."""
    if rev.startswith("-"):
        raise GitError(f"revision {rev!r} may not start with '-'")
    try:
        out = git(
            repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"]
        )
    except GitError as exc:
        raise GitError(
            f"unknown revision {rev!r} in {str(repo)!r}: fetch it first (in CI, "
            "check out with fetch-depth: 0)"
        ) from exc
    return out.decode().strip()


def merge_base(repo: Path, base: str, head: str) -> str:
    """Where ``head`` forked from ``base`` (what a pull request is compared with)."""
    try:
        return git(repo, ["merge-base", base, head]).decode().strip() or base
    except GitError:
        return base  # unrelated histories or a shallow clone: compare the two trees directly


def diff(repo: Path, base: str, head: str) -> str:
    out = git(
        repo,
        [
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "-M",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            base,
            head,
            "--",
        ],
    )
    return out.decode("utf-8", "replace")


def commit_messages(repo: Path, base: str, head: str) -> str:
    out = git(repo, ["log", "--no-color", "--format=%B%x00", f"{base}..{head}", "--"])
    messages = [m.strip() for m in out.decode("utf-8", "replace").split("\0")]
    return "\n\n".join(m for m in messages if m)


def tree_files(repo: Path, rev: str) -> dict[str, str]:
    """Path -> blob id of every regular file of ``rev`` (links and submodules left out)."""
    out = git(repo, ["ls-tree", "-r", "-z", "--full-tree", rev])
    files: dict[str, str] = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        mode, kind, sha = meta.split()
        if kind == b"blob" and mode in (b"100644", b"100755"):
            files[path.decode("utf-8", "replace")] = sha.decode()
    return files


class BlobReader:
    """Reads blobs through one ``git cat-file --batch`` process, one request at a time."""

    def __init__(self, repo: Path) -> None:
        self._proc = subprocess.Popen(
            ["git", "-C", str(repo), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **_ENV},
        )

    def read(self, sha: str) -> bytes:
        stdin: IO[bytes] | None = self._proc.stdin
        stdout: IO[bytes] | None = self._proc.stdout
        assert stdin is not None and stdout is not None
        stdin.write(sha.encode() + b"\n")
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3:
            raise GitError(f"git cat-file could not read blob {sha}")
        size = int(header[2])
        data = stdout.read(size)
        stdout.read(1)  # the newline after each object
        return data

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        if self._proc.stdout:
            self._proc.stdout.close()
        self._proc.wait(timeout=30)

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
