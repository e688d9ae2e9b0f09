"""The second pass of a build: the segment matrix, written to disk in id order as it is made.

``vectors.npy`` is opened as a memory map of its final shape and filled a window of
segments at a time: a segment kept from the previous generation copies its row from that
generation's matrix (itself a memory map); one that ``_ingest`` left with ``row`` NULL is
embedded, a window's texts in one ``Embedder.embed`` call. Memory holds one window of texts
and vectors, never the corpus. Every segment's ``row`` then becomes its place in the matrix.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ._embedder import Embedder, Progress
from ._errors import IndexCorrupt
from ._segments import embedding_text

__all__ = ["write_matrix"]

#: Segments read, copied or embedded at a time.
WINDOW = 4_096


def write_matrix(
    conn: sqlite3.Connection,
    path: Path,
    old: npt.NDArray[np.float32] | None,
    embedder: Embedder,
    progress: Progress | None = None,
) -> tuple[int, int, float]:
    """Write the matrix of every segment of ``conn`` to ``path`` and renumber their rows;
    returns (segments, segments embedded, seconds spent embedding)."""
    n = conn.execute("SELECT count(*) FROM segments").fetchone()[0]
    fresh_total = conn.execute("SELECT count(*) FROM segments WHERE row IS NULL").fetchone()[0]
    if not n:
        np.save(path, np.zeros((0, embedder.dim), dtype=np.float32))
        return 0, 0, 0.0
    out: Any = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, embedder.dim))
    ids = np.empty(n, dtype=np.int64)
    done = embedded = 0
    seconds = 0.0

    def step(k: int, _total: int) -> None:
        if progress:
            progress(embedded + k, fresh_total)

    cursor = conn.execute(
        "SELECT s.id, s.row, s.text, c.heading FROM segments s JOIN chunks c ON c.id = s.chunk"
        " ORDER BY s.id"
    )
    while window := cursor.fetchmany(WINDOW):
        end = done + len(window)
        ids[done:end] = [r[0] for r in window]
        rows = np.array([-1 if r[1] is None else r[1] for r in window], dtype=np.int64)
        fresh = rows < 0
        if not fresh.all():
            if old is None or rows[~fresh].max() >= len(old):
                raise IndexCorrupt("segment vectors missing from the previous index; rebuild it")
            out[done:end][~fresh] = old[rows[~fresh]]
        if fresh.any():
            texts = [embedding_text(t, heading) for _, row, t, heading in window if row is None]
            t0 = time.perf_counter()
            out[done:end][fresh] = embedder.embed(texts, progress=step)
            seconds += time.perf_counter() - t0
            embedded += len(texts)
        done = end
    out.flush()
    del out
    conn.executemany(
        "UPDATE segments SET row = ? WHERE id = ?", ((i, int(sid)) for i, sid in enumerate(ids))
    )
    return n, embedded, seconds
