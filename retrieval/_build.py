"""Build or update an index: re-embed only what changed, publish a new generation atomically."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._chunking import chunk_document
from ._embedder import Embedder, Progress
from ._errors import CorpusError, IndexCorrupt, IndexMissing
from ._loader import MAX_FILE_BYTES, Document, Skipped, corpus_root, iter_documents
from ._lock import writer_lock
from ._segments import embedding_text, segment_chunk
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
from ._vectors import VectorIndex

__all__ = ["BuildReport", "build_index"]

Warn = Callable[[str], None]


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
) -> BuildReport:
    """Index ``paths`` into ``folder``; the index then mirrors exactly these paths."""
    t0 = time.perf_counter()
    root = corpus_root(paths)
    folder = folder.absolute()
    with writer_lock(folder, lock_timeout):
        clear_unfinished(folder)  # what killed writers left: no other writer is at work now
        old = None if rebuild else _previous(folder, embedder)
        report = BuildReport(index=str(folder), root=str(root))
        docs: dict[str, Document] = {}
        for item in iter_documents(paths, root, max_bytes=max_bytes):
            if isinstance(item, Skipped):
                report.skipped.append(item)
                if warn:
                    warn(f"skipped {item.source}: {item.reason}")
            else:
                docs[item.source] = item
        if not docs:
            raise CorpusError(
                f"nothing to index under {', '.join(map(str, paths))}: "
                f"{len(report.skipped)} file(s) skipped, none readable"
            )
        gen = new_generation(folder)
        try:
            _write_generation(gen, old, docs, root, paths, embedder, report, progress, hnsw)
            live = publish(folder, gen)
        except BaseException:
            clear_unfinished(folder)
            raise
        keep = {live.name} | ({old[0].name} if old else set())
        remove_stale(folder, keep=keep)
    report.seconds = time.perf_counter() - t0
    return report


def _previous(folder: Path, embedder: Embedder) -> tuple[Path, sqlite3.Connection] | None:
    """The live generation to update from, or None to start afresh."""
    try:
        gen = current_generation(folder)
        conn = connect(gen / "chunks.sqlite", readonly=True)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except (IndexMissing, IndexCorrupt):
        return None  # a corrupt index is rebuilt from scratch rather than patched
    if meta.get("schema") != SCHEMA_VERSION or meta.get("embedder") != embedder.name:
        conn.close()
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
    docs: dict[str, Document],
    root: Path,
    paths: Sequence[Path],
    embedder: Embedder,
    report: BuildReport,
    progress: Progress | None,
    hnsw: bool | None,
) -> None:
    db = gen / "chunks.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous=OFF")  # unpublished: publish() fsyncs every file
    old_vectors = None
    if old:
        old[1].backup(conn)
        old[1].close()
        old_vectors = np.load(old[0] / "vectors.npy", mmap_mode="r")
    conn.executescript(SCHEMA)
    known = dict(conn.execute("SELECT source, sha256 FROM files").fetchall())
    changed = [s for s, d in docs.items() if known.get(s) != d.sha256]
    removed = [s for s in known if s not in docs]
    report.documents = len(docs)
    report.added = sum(1 for s in changed if s not in known)
    report.updated = len(changed) - report.added
    report.removed = len(removed)
    report.unchanged = len(docs) - len(changed)
    for source in [*removed, *changed]:
        _delete_source(conn, source)
    texts = _insert_documents(conn, [docs[s] for s in changed])
    t_embed = time.perf_counter()
    new_vectors = embedder.embed(texts, progress=progress)
    report.embed_seconds = time.perf_counter() - t_embed
    report.embedded = len(texts)
    matrix = _renumber(conn, old_vectors, new_vectors, embedder.dim)
    np.save(gen / "vectors.npy", matrix)
    vectors = VectorIndex.build(matrix, hnsw=hnsw)
    if vectors.kind == "hnsw":
        vectors.save(gen / "vectors.faiss")
    report.vector_index = vectors.kind
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
        "vector_index": vectors.kind,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
    report.chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    report.segments = len(matrix)
    conn.commit()
    if report.removed or report.updated:
        conn.execute("VACUUM")
    conn.close()


def _delete_source(conn: sqlite3.Connection, source: str) -> None:
    ids = [r[0] for r in conn.execute("SELECT id FROM chunks WHERE source = ?", (source,))]
    conn.executemany("DELETE FROM segments WHERE chunk = ?", [(i,) for i in ids])
    conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in ids])
    conn.execute("DELETE FROM chunks WHERE source = ?", (source,))
    conn.execute("DELETE FROM files WHERE source = ?", (source,))


def _insert_documents(conn: sqlite3.Connection, docs: list[Document]) -> list[str]:
    """Insert chunks and segments of ``docs``; returns the texts to embed, in segment order."""
    texts: list[str] = []
    for doc in docs:
        conn.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?, ?)",
            (doc.source, doc.sha256, doc.kind, doc.title, int(doc.superseded)),
        )
        for chunk in chunk_document(doc):
            cur = conn.execute(
                "INSERT INTO chunks (chunk_id, source, start_line, end_line, text, heading, kind,"
                " superseded) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    chunk.chunk_id,
                    chunk.source,
                    chunk.start_line,
                    chunk.end_line,
                    chunk.text,
                    chunk.heading,
                    doc.kind,
                    int(doc.superseded),
                ),
            )
            rowid = cur.lastrowid
            conn.execute(
                "INSERT INTO chunks_fts (rowid, text, heading) VALUES (?, ?, ?)",
                (rowid, chunk.text, chunk.heading),
            )
            for seg in segment_chunk(chunk, doc.kind):
                conn.execute(
                    "INSERT INTO segments (chunk, line, text, row) VALUES (?, ?, ?, ?)",
                    (rowid, seg.line, seg.text, -1 - len(texts)),
                )
                texts.append(embedding_text(seg.text, chunk.heading))
    return texts


def _renumber(
    conn: sqlite3.Connection,
    old: np.ndarray[Any, np.dtype[np.float32]] | None,
    new: np.ndarray[Any, np.dtype[np.float32]],
    dim: int,
) -> np.ndarray[Any, np.dtype[np.float32]]:
    """One matrix for all segments, in id order; rows < 0 point into ``new`` (-1 - i)."""
    rows = conn.execute("SELECT id, row FROM segments ORDER BY id").fetchall()
    matrix = np.empty((len(rows), dim), dtype=np.float32)
    if rows:
        where = np.array([r for _, r in rows], dtype=np.int64)
        fresh = where < 0
        matrix[fresh] = new[-1 - where[fresh]]
        if (~fresh).any():
            if old is None or where[~fresh].max() >= len(old):
                raise IndexCorrupt("segment vectors missing from the previous index; rebuild it")
            matrix[~fresh] = old[where[~fresh]]
    conn.executemany(
        "UPDATE segments SET row = ? WHERE id = ?", [(i, sid) for i, (sid, _) in enumerate(rows)]
    )
    return matrix
