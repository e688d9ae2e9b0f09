"""The corpus changed prose is checked against: the repository after the change.

Without ``--index``, the repository's docs, code and config after the change are written
to ``.verify/gate-tree`` (only files whose text changed are rewritten) and indexed
incrementally into ``.verify/gate-index``, so a second run re-embeds only what changed.
Either way, evidence on the lines the change adds is dropped (``WithoutChange``): what an
agent wrote cannot vouch for what the same agent wrote.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

import numpy as np
import numpy.typing as npt

from checks.evidence import Candidate, EvidenceSource
from checks.types import Claim
from reports import is_temp_name, sweep_temp, temp_name
from retrieval import Index, build_index, get_embedder

from ._snapshot import Snapshot

__all__ = ["WithoutChange", "gate_index", "materialize"]

TREE = Path(".verify") / "gate-tree"
INDEX = Path(".verify") / "gate-index"
_SUFFIXES = {
    ".md",
    ".markdown",
    ".mdx",
    ".rst",
    ".txt",
    ".adoc",
    ".py",
    ".pyi",
    ".toml",
    ".yaml",
    ".yml",
    ".json",
    ".ini",
    ".cfg",
    ".conf",
    ".js",
    ".ts",
    ".go",
    ".rs",
    ".java",
    ".sh",
    ".sql",
    ".proto",
    "",
}
_SKIP_PARTS = {"node_modules", "__pycache__", "venv", "dist", "build", "site-packages"}
MAX_BYTES = 1024 * 1024


class WithoutChange(EvidenceSource):
    """``inner`` with candidates on the change's own added lines left out."""

    def __init__(self, inner: EvidenceSource, added: Mapping[str, set[int]]) -> None:
        self.inner = inner
        self.added = added

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.inner.embed(texts)

    def candidates(
        self, claims: Sequence[Claim], vectors: npt.NDArray[np.float32]
    ) -> list[list[Candidate]]:
        return [
            [c for c in cands if c.line not in self.added.get(c.source, ())]
            for cands in self.inner.candidates(claims, vectors)
        ]


def corpus_paths(snapshot: Snapshot) -> list[str]:
    out = []
    for path in snapshot.paths():
        p = PurePosixPath(path)
        if p.suffix.lower() not in _SUFFIXES or any(
            part.startswith(".") or part in _SKIP_PARTS for part in p.parts
        ):
            continue
        out.append(path)
    return out


def materialize(snapshot: Snapshot, tree: Path) -> int:
    """Make ``tree`` hold exactly ``snapshot``'s corpus files; returns how many it holds.

    Files whose text is already there are left alone, so their index entries stay valid.
    """
    tree.mkdir(parents=True, exist_ok=True)
    _ignore_in_git(tree.parent)
    wanted: dict[str, str] = {}
    for path in corpus_paths(snapshot):
        text = snapshot.read(path)
        if text is not None and text.strip() and len(text) <= MAX_BYTES:
            wanted[path] = text
    root = tree.resolve()
    for path, text in wanted.items():
        target = tree / path
        if not target.resolve().is_relative_to(root):
            continue  # a path that leads out of the tree is never written
        data = text.encode("utf-8")
        try:
            if target.read_bytes() == data:
                continue
        except OSError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(temp_name())
        tmp.write_bytes(data)
        tmp.replace(target)
    for dirpath, _, filenames in os.walk(tree, topdown=False):
        sweep_temp(Path(dirpath))  # a live writer's temporary file is not ours to remove
        for name in filenames:
            full = Path(dirpath) / name
            if not is_temp_name(name) and full.relative_to(tree).as_posix() not in wanted:
                full.unlink()
        if Path(dirpath) != tree and not any(Path(dirpath).iterdir()):
            Path(dirpath).rmdir()
    return len(wanted)


def _ignore_in_git(folder: Path) -> None:
    """A ``.gitignore`` of ``*`` keeps git (and so the gate itself) from seeing the tree."""
    marker = folder / ".gitignore"
    if not marker.exists():
        marker.write_text("*\n", encoding="utf-8")


def gate_index(
    repo: Path,
    snapshot: Snapshot,
    index_dir: Path | None,
    embedder: str,
    progress: Callable[[int, int], None] | None = None,
    precision: str = "auto",
) -> Index | None:
    """``--index`` as given, or the repository after the change, indexed incrementally;
    None when the repository has nothing to index. The embedder computes in ``precision``
    (config ``embedder_precision``)."""
    if index_dir is not None:
        return Index.open(index_dir, precision=precision)
    tree = repo / TREE
    if not materialize(snapshot, tree):
        return None
    folder = repo / INDEX
    emb = get_embedder(embedder, precision=precision)
    build_index([tree], folder, emb, progress=progress)
    return Index.open(folder, embedder=emb)
