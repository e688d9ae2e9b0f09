"""The first pass of a build: documents into SQLite, streamed, their vectors left to embed.

Documents arrive one at a time from the loader. One whose content hash is unchanged is
marked seen (its superseded flag read anew); a changed one loses its old rows; a new or
changed one is chunked and segmented and its rows are written a few thousand chunks at a
time. Its segments get ``row`` NULL: the second pass (``_matrix``) embeds exactly those.
Sources the walk did not see are removed at the end. Memory holds one batch of rows, never
the corpus.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ._chunking import chunk_document
from ._loader import Document, Skipped
from ._segments import segment_chunk

__all__ = ["Ingested", "ingest"]

#: Chunks buffered before their rows are written.
FLUSH_CHUNKS = 5_000


@dataclass
class Ingested:
    """What the pass saw: counts by fate, and the files it skipped."""

    documents: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def unchanged(self) -> int:
        return self.documents - self.added - self.updated


def ingest(
    conn: sqlite3.Connection,
    items: Iterable[Document | Skipped],
    warn: Callable[[str], None] | None = None,
) -> Ingested:
    """Bring the tables of ``conn`` (a copy of the previous generation, or empty) in line
    with ``items``; the caller commits."""
    out = Ingested()
    conn.execute("CREATE TEMP TABLE seen (source TEXT PRIMARY KEY)")
    rows = _Rows(conn)
    for item in items:
        if isinstance(item, Skipped):
            out.skipped.append(item)
            if warn:
                warn(f"skipped {item.source}: {item.reason}")
            continue
        out.documents += 1
        conn.execute("INSERT OR IGNORE INTO temp.seen VALUES (?)", (item.source,))
        known = conn.execute(
            "SELECT sha256, superseded FROM files WHERE source = ?", (item.source,)
        ).fetchone()
        if known and known[0] == item.sha256:
            if known[1] != int(item.superseded):
                _restate(conn, item)
            continue
        if known:
            out.updated += 1
            delete_source(conn, item.source)
        else:
            out.added += 1
        rows.add(item)
    rows.flush()
    gone = [s for (s,) in conn.execute("SELECT source FROM files WHERE source NOT IN temp.seen")]
    for source in gone:
        delete_source(conn, source)
    out.removed = len(gone)
    conn.execute("DROP TABLE temp.seen")
    return out


def _restate(conn: sqlite3.Connection, doc: Document) -> None:
    """An unchanged document's rows, with what the loader now reads in its text: whether it
    is superseded (a build by an older ``verify`` may have read that otherwise)."""
    for table in ("files", "chunks"):
        conn.execute(
            f"UPDATE {table} SET superseded = ? WHERE source = ?",
            (int(doc.superseded), doc.source),
        )


def delete_source(conn: sqlite3.Connection, source: str) -> None:
    ids = [r[0] for r in conn.execute("SELECT id FROM chunks WHERE source = ?", (source,))]
    conn.executemany("DELETE FROM segments WHERE chunk = ?", [(i,) for i in ids])
    conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in ids])
    conn.execute("DELETE FROM chunks WHERE source = ?", (source,))
    conn.execute("DELETE FROM files WHERE source = ?", (source,))


class _Rows:
    """Rows of new documents, buffered and written ``FLUSH_CHUNKS`` chunks at a time.

    Chunk rows are numbered here (from one past the largest so far), so a chunk's FTS and
    segment rows can be written beside it in the same batch.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._next = int(conn.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0])
        self._files: list[tuple[str, str, str, str, int]] = []
        self._chunks: list[tuple[int, str, str, int, int, str, str, str, int]] = []
        self._fts: list[tuple[int, str, str]] = []
        self._segments: list[tuple[int, int, str]] = []

    def add(self, doc: Document) -> None:
        old = int(doc.superseded)
        self._files.append((doc.source, doc.sha256, doc.kind, doc.title, old))
        for chunk in chunk_document(doc):
            self._next += 1
            self._chunks.append(
                (
                    self._next,
                    chunk.chunk_id,
                    chunk.source,
                    chunk.start_line,
                    chunk.end_line,
                    chunk.text,
                    chunk.heading,
                    doc.kind,
                    old,
                )
            )
            self._fts.append((self._next, chunk.text, chunk.heading))
            self._segments += [
                (self._next, seg.line, seg.text) for seg in segment_chunk(chunk, doc.kind)
            ]
        if len(self._chunks) >= FLUSH_CHUNKS:
            self.flush()

    def flush(self) -> None:
        q = self._conn.executemany
        q("INSERT INTO files VALUES (?, ?, ?, ?, ?)", self._files)
        q(
            "INSERT INTO chunks (id, chunk_id, source, start_line, end_line, text, heading,"
            " kind, superseded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self._chunks,
        )
        q("INSERT INTO chunks_fts (rowid, text, heading) VALUES (?, ?, ?)", self._fts)
        q("INSERT INTO segments (chunk, line, text, row) VALUES (?, ?, ?, NULL)", self._segments)
        for buffer in (self._files, self._chunks, self._fts, self._segments):
            buffer.clear()
