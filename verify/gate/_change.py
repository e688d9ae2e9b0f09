"""The change under review: its diff, the repository before and after, and its description.

``load_from_git`` compares two revisions (from where ``head`` forked off ``base``, as a pull
request is); ``load_from_patch`` reads a patch against a folder whose files may or may not
have the patch applied yet, and works out both sides in memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ._diff import DiffError, FileChange, Patch, apply_hunks, parse_patch
from ._git import commit_messages, diff, ensure_repo, merge_base, resolve_rev
from ._snapshot import DirSnapshot, GitSnapshot, Overlay, Snapshot

__all__ = ["Change", "is_doc_path", "is_test_path", "load_from_git", "load_from_patch"]

_DOC_SUFFIXES = {".md", ".markdown", ".mdx", ".rst", ".txt", ".adoc"}
_DOC_NAMES = {
    "readme",
    "changelog",
    "changes",
    "news",
    "history",
    "authors",
    "contributing",
    "license",
    "notice",
}
_TEST_PATH = re.compile(
    r"(^|/)(tests?|testing|__tests__|spec)/|(^|/)test_[^/]*$|_tests?\.[a-z]+$|(^|/)conftest\.py$"
    r"|\.(test|spec)\.[a-z]+$|_spec\.rb$"
)


def is_test_path(path: str) -> bool:
    return bool(_TEST_PATH.search(path.lower()))


def is_doc_path(path: str) -> bool:
    p = PurePosixPath(path)
    if p.suffix.lower() in _DOC_SUFFIXES and not re.search(r"requirements", p.name, re.I):
        return True
    return p.stem.lower() in _DOC_NAMES and p.suffix.lower() in ("", *_DOC_SUFFIXES)


@dataclass
class Change:
    """What ``verify gate`` checks. ``description_path`` is where findings on the
    description point ("" when it came from commit messages or a patch mail)."""

    repo: Path
    patch: Patch
    base: Snapshot
    head: Snapshot
    description: str = ""
    description_path: str = ""
    label: str = ""  # "base..head" or the patch file, for reports

    @property
    def files(self) -> tuple[FileChange, ...]:
        return self.patch.files

    def live_files(self) -> list[FileChange]:
        """Files that exist after the change and have text hunks."""
        return [f for f in self.patch.files if f.status != "deleted" and not f.binary]

    def added_line_count(self) -> int:
        return sum(1 for f in self.live_files() for t in f.added.values() if t.strip())

    def close(self) -> None:
        self.base.close()
        self.head.close()


def load_from_git(repo: Path, base: str, head: str | None) -> Change:
    ensure_repo(repo)
    base_rev = resolve_rev(repo, base)
    head_rev = resolve_rev(repo, head or "HEAD")
    fork = merge_base(repo, base_rev, head_rev)
    patch = parse_patch(diff(repo, fork, head_rev), allow_empty=True)
    return Change(
        repo,
        patch,
        GitSnapshot(repo, fork),
        GitSnapshot(repo, head_rev),
        commit_messages(repo, fork, head_rev),
        "",
        f"{base}..{head or 'HEAD'}",
    )


def load_from_patch(repo: Path, text: str, label: str) -> Change:
    """The patch ``text`` against the folder ``repo``, applied there already or not."""
    patch = parse_patch(text)
    disk = DirSnapshot(repo)
    before: dict[str, str | None] = {}
    after: dict[str, str | None] = {}
    for f in patch.files:
        pre, post = _sides(disk, f, repo)
        before[f.old_path] = pre
        after[f.path] = post
        if f.old_path != f.path:
            before.setdefault(f.path, None)
            after[f.old_path] = None
    return Change(
        repo, patch, Overlay(disk, before), Overlay(disk, after), patch.message, "", label
    )


def _sides(disk: Snapshot, f: FileChange, repo: Path) -> tuple[str | None, str | None]:
    """(text before, text after) of one file of the patch."""
    if f.binary or not f.hunks:
        text = disk.read(f.path) if disk.exists(f.path) else disk.read(f.old_path)
        return (None if f.status == "added" else text), (None if f.status == "deleted" else text)
    if f.status == "added":
        new = _join([t for tag, t in f.hunks[0].lines if tag == "+"])
        on_disk = disk.read(f.path)
        return None, on_disk if on_disk is not None and _same(on_disk, new) else new
    if f.status == "deleted":
        old = _join([t for tag, t in f.hunks[0].lines if tag == "-"])
        return disk.read(f.path) or old, None
    now_new, now_old = disk.read(f.path), disk.read(f.old_path)
    if now_new is not None:
        undone = apply_hunks(now_new.split("\n"), f.hunks, reverse=True)
        if undone is not None:
            return "\n".join(undone), now_new
    if now_old is not None:
        done = apply_hunks(now_old.split("\n"), f.hunks)
        if done is not None:
            return now_old, "\n".join(done)
    raise DiffError(
        f"the patch does not apply to {f.path!r} in {str(repo)!r}, neither as "
        "it is nor reversed: is --repo the repository it was made against?"
    )


def _join(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _same(a: str, b: str) -> bool:
    return a.rstrip("\n") == b.rstrip("\n")
