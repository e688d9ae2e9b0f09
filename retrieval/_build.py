"""Build or update an index: re-embed only what changed, publish a new generation atomically.

A build streams: documents go into SQLite as the walk yields them (``_ingest``), the vectors
of new segments are embedded a window at a time straight into the memory-mapped matrix
(``_matrix``), and FAISS reads that matrix in batches (``_vectors``). What it holds in
memory at once is a batch of rows, a window of texts and vectors, and the FAISS index.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._embedder import Embedder, Progress
from ._errors import CorpusError, IndexCorrupt, IndexMissing
from ._ingest import ingest
from ._loader import MAX_FILE_BYTES, Document, Skipped, corpus_root, iter_documents
from ._lock import writer_lock
from ._matrix import write_matrix
from ._store import (
    SCHEMA,
    SCHEMA_VERSION,
    clear_unfinished,
    connect,
    current_generation,
    new_generation,
    publish,
    remove_stale,
)
from ._vectors import Kind, SizeLadder, VectorIndex, choose

__all__ = ["BuildReport", "build_index"]

Warn = Callable[[str], None]
#: SQLite's page cache while building: the indexes on chunk ids and sources take random
#: inserts, which thrash the default 2 MiB once a corpus passes some 100k chunks.
BUILD_CACHE_KIB = 256 * 1024


@dataclass
class BuildReport:
    index: str
    root: str
    documents: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    segments: int = 0
    embedded: int = 0
    vector_index: str = "flat"
    #: the number format of the vectors; "" where the model does not say
    embedder_precision: str = ""
    seconds: float = 0.0
    embed_seconds: float = 0.0
    skipped: list[Skipped] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "skipped"}
        out["seconds"] = round(self.seconds, 3)
        out["embed_seconds"] = round(self.embed_seconds, 3)
        out["skipped"] = [s.to_json() for s in self.skipped]
        return out


def build_index(
    paths: Sequence[Path],
    folder: Path,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    max_bytes: int = MAX_FILE_BYTES,
    lock_timeout: float = 30.0,
    warn: Warn | None = None,
    progress: Progress | None = None,
    hnsw: bool | None = None,
    ladder: SizeLadder | None = None,
) -> BuildReport:
    """Index ``paths`` into ``folder``; the index then mirrors exactly these paths.

    The FAISS index type follows the number of segments (``ladder``, default
    ``SizeLadder()``); ``hnsw`` True or False forces HNSW or exact search.
    """
    t0 = time.perf_counter()
    root = corpus_root(paths)
    folder = folder.absolute()
    with writer_lock(folder, lock_timeout):
        clear_unfinished(folder)  # what killed writers left: no other writer is at work now
        old = None if rebuild else _previous(folder, embedder, warn)
        report = BuildReport(index=str(folder), root=str(root))
        gen = new_generation(folder)
        try:
            items = iter_documents(paths, root, max_bytes=max_bytes)
            _write_generation(gen, old, items, root, paths, embedder, report, warn, progress)
            report.vector_index = _vector_index(gen, hnsw, ladder)
            live = publish(folder, gen)
        except BaseException:
            clear_unfinished(folder)
            raise
        keep = {live.name} | ({old[0].name} if old else set())
        remove_stale(folder, keep=keep)
    report.seconds = time.perf_counter() - t0
    return report


def _previous(
    folder: Path, embedder: Embedder, warn: Warn | None = None
) -> tuple[Path, sqlite3.Connection] | None:
    """The live generation to update from, or None to start afresh (``warn`` is told why,
    when it is another model or number format)."""
    try:
        gen = current_generation(folder)
        conn = connect(gen / "chunks.sqlite", readonly=True)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except (IndexMissing, IndexCorrupt):
        return None  # a corrupt index is rebuilt from scratch rather than patched
    embedder.ready()  # what it computes in is known once it is loaded
    built = meta.get("embedder_precision") or "fp32"  # an index from before the key: fp32
    was = (meta.get("embedder"), built)
    now = (embedder.name, embedder.computes or built)  # a model that does not say: as built
    if meta.get("schema") != SCHEMA_VERSION or was != now:  # vectors of one computation only
        conn.close()
        if warn and meta.get("schema") == SCHEMA_VERSION:
            warn(
                f"index {str(folder)!r} was embedded by {was[0]} in {was[1]}, "
                f"now {now[0]} in {now[1]}: re-embedding it all"
            )
        return None
    n = -1
    try:  # vectors that are missing, truncated or out of step: start afresh too
        n = conn.execute("SELECT count(*) FROM segments").fetchone()[0]
        shape = np.load(gen / "vectors.npy", mmap_mode="r").shape
    except (sqlite3.DatabaseError, OSError, ValueError):
        shape = ()
    if shape != (n, embedder.dim):
        conn.close()
        return None
    return gen, conn


def _write_generation(
    gen: Path,
    old: tuple[Path, sqlite3.Connection] | None,
    items: Iterable[Document | Skipped],
    root: Path,
    paths: Sequence[Path],
    embedder: Embedder,
    report: BuildReport,
    warn: Warn | None,
    progress: Progress | None,
) -> None:
    """The tables and the matrix of the new generation (its FAISS index comes after)."""
    conn = sqlite3.connect(gen / "chunks.sqlite")
    conn.execute("PRAGMA synchronous=OFF")  # unpublished: publish() fsyncs every file
    conn.execute(f"PRAGMA cache_size = -{BUILD_CACHE_KIB}")
    old_vectors = None
    if old:
        old[1].backup(conn)
        old[1].close()
        old_vectors = np.load(old[0] / "vectors.npy", mmap_mode="r")
    conn.executescript(SCHEMA)
    seen = ingest(conn, items, warn)
    report.skipped = seen.skipped
    if not seen.documents:
        conn.close()
        raise CorpusError(
            f"nothing to index under {', '.join(map(str, paths))}: "
            f"{len(report.skipped)} file(s) skipped, none readable"
        )
    report.documents, report.added, report.updated = seen.documents, seen.added, seen.updated
    report.removed, report.unchanged = seen.removed, seen.unchanged
    report.segments, report.embedded, report.embed_seconds = write_matrix(
        conn, gen / "vectors.npy", old_vectors, embedder, progress
    )
    conn.execute("DELETE FROM skipped")
    conn.executemany(
        "INSERT INTO skipped VALUES (?, ?)", [(s.source, s.reason) for s in report.skipped]
    )
    meta = {
        "schema": SCHEMA_VERSION,
        "embedder": embedder.name,
        "dim": str(embedder.dim),
        "root": str(root),
        "paths": json.dumps([str(p.absolute()) for p in paths]),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if embedder.computes:
        meta["embedder_precision"] = embedder.computes
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
    kept = conn.execute("SELECT value FROM meta WHERE key = 'embedder_precision'").fetchone()
    report.embedder_precision = kept[0] if kept else ""  # this build's, or the vectors kept
    report.chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    conn.commit()
    if report.removed or report.updated:
        conn.execute("VACUUM")
    conn.close()


def _vector_index(gen: Path, hnsw: bool | None, ladder: SizeLadder | None) -> Kind:
    """Build the FAISS index over the generation's matrix, save it, and record its type and
    search parameters in the meta. Exact search saves nothing: it is built from vectors.npy
    when the index is opened."""
    matrix = np.load(gen / "vectors.npy", mmap_mode="r")
    kind = choose(len(matrix), hnsw=hnsw, ladder=ladder)
    params = "{}"
    if kind != "flat":
        vectors = VectorIndex.build(matrix, kind=kind)
        vectors.save(gen / "vectors.faiss")
        params = vectors.params_json()
    with closing(sqlite3.connect(gen / "chunks.sqlite")) as conn, conn:
        conn.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [("vector_index", kind), ("vector_params", params)],
        )
    return kind
