"""Open an index and search it: dense (FAISS over segments), lexical (FTS5 BM25), or both.

Hybrid search fuses the two rankings by weighted reciprocal rank fusion,
``sum(w / (RRF_K + rank))``, and scales the fused score to [0, 1] by its maximum.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from . import _lexical
from ._embedder import Embedder, get_embedder
from ._errors import IndexCorrupt
from ._lexical import phrase, plan, query_terms
from ._store import connect, current_generation
from ._types import Chunk, Hit, Segment
from ._vectors import VectorIndex

__all__ = ["Index", "Mode"]

Mode = Literal["hybrid", "dense", "lexical"]
RRF_K = 60
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 0.5
#: A chunk of a superseded document keeps this share of its fused score.
SUPERSEDED_PENALTY = 0.8


class Index:
    """A read-only view of one generation of an index (immutable once published)."""

    def __init__(
        self,
        folder: Path,
        gen: Path,
        conn: sqlite3.Connection,
        vectors: npt.NDArray[np.float32],
        ann: VectorIndex,
        embedder: Embedder,
        meta: dict[str, str],
    ) -> None:
        self.folder = folder
        self.generation = gen
        self._conn = conn
        self.vectors = vectors
        self._ann = ann
        self.embedder = embedder
        self.meta = meta
        self._rows: int | None = None
        self._df: dict[str, int] = {}  # term -> rows holding it (a generation never changes)
        self._pool: ThreadPoolExecutor | None = None

    @classmethod
    def open(
        cls, folder: str | Path, *, embedder: Embedder | None = None, precision: str = "auto"
    ) -> Index:
        """Open the live generation at ``folder``; IndexMissing or IndexCorrupt if unusable.
        Queries are embedded with ``embedder`` [default: the model the index names, computing
        in ``precision``, one of ``PRECISIONS``]."""
        folder = Path(folder).absolute()
        gen = current_generation(folder)
        conn = connect(gen / "chunks.sqlite", readonly=True)
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            n = conn.execute("SELECT count(*) FROM segments").fetchone()[0]
            vectors = np.load(gen / "vectors.npy", mmap_mode="r")
        except (sqlite3.DatabaseError, OSError, ValueError) as exc:
            raise IndexCorrupt(
                f"index {str(folder)!r} is corrupt ({exc}); rebuild it with "
                f"`verify index PATH... --index {folder} --rebuild`"
            ) from exc
        if vectors.ndim != 2 or len(vectors) != n:
            raise IndexCorrupt(
                f"index {str(folder)!r}: {n} segments but vectors of shape "
                f"{vectors.shape}; rebuild it with `verify index ... --rebuild`"
            )
        if (gen / "vectors.faiss").is_file():
            try:
                ann = VectorIndex.load(gen / "vectors.faiss", _params(meta))
            except RuntimeError as exc:  # what faiss raises for a file it cannot parse
                raise IndexCorrupt(
                    f"index {str(folder)!r}: unreadable vectors.faiss "
                    f"({' '.join(str(exc).split())[:200]}); rebuild it with "
                    f"`verify index PATH... --index {folder} --rebuild`"
                ) from exc
        else:
            ann = VectorIndex.build(vectors, kind="flat")
        if ann.size != n:
            raise IndexCorrupt(
                f"index {str(folder)!r}: vector index out of step with its "
                "segments; rebuild it with `verify index ... --rebuild`"
            )
        embedder = embedder or get_embedder(meta.get("embedder"), precision=precision)
        return cls(folder, gen, conn, vectors, ann, embedder, meta)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        self._conn.close()

    def _worker(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="verify-vectors")
        return self._pool

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- facts --------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        return Path(self.meta.get("root", "."))

    @property
    def paths(self) -> list[Path]:
        return [Path(p) for p in json.loads(self.meta.get("paths", "[]"))]

    def stats(self) -> dict[str, Any]:
        q = self._conn.execute
        return {
            "index": str(self.folder),
            "root": str(self.root),
            "documents": q("SELECT count(*) FROM files").fetchone()[0],
            "chunks": q("SELECT count(*) FROM chunks").fetchone()[0],
            "segments": len(self.vectors),
            "vector_index": self._ann.kind,
            "vector_params": self._ann.params,
            "embedder": self.meta.get("embedder"),
            "embedder_precision": self.meta.get("embedder_precision"),
            "built_at": self.meta.get("built_at"),
            "skipped": [
                {"path": s, "reason": r} for s, r in q("SELECT source, reason FROM skipped")
            ],
        }

    # -- search -------------------------------------------------------------------------
    def search(self, query: str, k: int = 5, *, mode: Mode = "hybrid") -> list[Hit]:
        """The ``k`` best chunks for ``query``."""
        qvec = self.embedder.embed([query])[0] if mode != "lexical" else None
        return self.search_vector(query, qvec, k, mode=mode)

    def search_vector(
        self, query: str, qvec: npt.NDArray[np.float32] | None, k: int, *, mode: Mode = "hybrid"
    ) -> list[Hit]:
        """As ``search`` with the query already embedded (callers batch their embeddings)."""
        qvecs = None if qvec is None else np.asarray(qvec, dtype=np.float32)[None, :]
        return self.search_vectors([query], qvecs, k, mode=mode)[0]

    def search_vectors(
        self,
        queries: Sequence[str],
        qvecs: npt.NDArray[np.float32] | None,
        k: int,
        *,
        mode: Mode = "hybrid",
    ) -> list[list[Hit]]:
        """``search_vector`` for many queries (one row of ``qvecs`` each) with one vector
        search for all of them: what a batch of claims costs is mostly that search."""
        depth = max(50, 8 * k)
        ann: Future[tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]] | None = None
        if mode != "lexical" and qvecs is not None:
            # FAISS and SQLite both let go of the GIL: the vector search runs on a thread
            # of its own while FTS5 ranks (at 1M chunks each takes tens of ms)
            ann = self._worker().submit(self._ann.search, qvecs, depth * 4)
        lexical_all = [self._lexical(q, depth) if mode != "dense" else {} for q in queries]
        dense_all = self._dense(*ann.result(), depth) if ann else [{} for _ in queries]
        # ties go by chunk_id, not by row number: an index updated file by file then ranks
        # exactly as one built afresh from the same files
        names, old = self._chunk_names([c for found in (*dense_all, *lexical_all) for c in found])
        fused_all = [
            self._fuse(dense, lexical, names, old, k, mode)
            for dense, lexical in zip(dense_all, lexical_all, strict=True)
        ]
        chunks = self.chunks_by_rowid(list({c for fused in fused_all for c in fused}))
        best = (DENSE_WEIGHT * (mode != "lexical") + LEXICAL_WEIGHT * (mode != "dense")) / (
            RRF_K + 1
        )
        return [
            [
                Hit(
                    chunks[cid],
                    float(min(1.0, max(0.0, score if mode == "dense" else score / best))),
                    dense=dense.get(cid, 0.0),
                    lexical=lexical.get(cid, 0.0),
                )
                for cid, score in fused.items()
            ]
            for fused, dense, lexical in zip(fused_all, dense_all, lexical_all, strict=True)
        ]

    @staticmethod
    def _fuse(
        dense: dict[int, float],
        lexical: dict[int, float],
        names: dict[int, str],
        old: set[int],
        k: int,
        mode: Mode,
    ) -> dict[int, float]:
        """The ``k`` best chunk rows by reciprocal-rank fusion, best first, with their scores."""
        fused: dict[int, float] = {}
        for weight, ranking in (
            (DENSE_WEIGHT, sorted(dense, key=lambda c: (-dense[c], names[c]))),
            (LEXICAL_WEIGHT, sorted(lexical, key=lambda c: (-lexical[c], names[c]))),
        ):
            for rank, cid in enumerate(ranking):
                fused[cid] = fused.get(cid, 0.0) + weight / (RRF_K + rank + 1)
        if mode == "dense":
            fused = dict(dense)
        for cid in old & fused.keys():
            fused[cid] *= SUPERSEDED_PENALTY
        top = sorted(fused, key=lambda c: (-fused[c], names[c]))[:k]
        return {cid: fused[cid] for cid in top}

    def _dense(
        self, scores: npt.NDArray[np.float32], rows: npt.NDArray[np.int64], depth: int
    ) -> list[dict[int, float]]:
        """Per query: the ``depth`` best chunks by their best segment, with that cosine,
        from the vector search's best ``4 * depth`` segments (``scores``, ``rows``)."""
        owner = self._chunk_of_rows(sorted({int(r) for r in rows.ravel() if r >= 0}))
        found: list[dict[int, float]] = []
        for q_scores, q_rows in zip(scores, rows, strict=True):
            out: dict[int, float] = {}
            for score, row in zip(q_scores, q_rows, strict=False):
                cid = owner.get(int(row))
                if cid is not None and cid not in out and len(out) < depth:
                    out[cid] = float(score)
            found.append(out)
        return found

    def _lexical(self, query: str, depth: int) -> dict[int, float]:
        """The ``depth`` best chunks by BM25 under the query's plan (``_lexical.plan``).

        An expression of only common terms that admits more than ``COMMON_SCORED_ROWS``
        rows is scored over the first that many in rowid order (FTS5 reads the doclists
        only that far), not over every row holding the terms.
        """
        rows: list[tuple[int, float]] = []
        terms = query_terms(query)
        found = plan(terms, self._chunk_rows(), self._frequency)
        for match in found.matches:
            last = self._last_scored_row(match) if found.common_only else None
            window = "" if last is None else f" AND rowid <= {last:d}"
            rows = self._conn.execute(
                "SELECT rowid, bm25(chunks_fts, 1.0, 0.5) FROM chunks_fts WHERE chunks_fts"
                f" MATCH ?{window} ORDER BY bm25(chunks_fts, 1.0, 0.5) LIMIT ?",
                (match, depth),
            ).fetchall()
            if len(rows) >= depth:
                break
        return {int(r): -float(s) for r, s in rows}

    def _last_scored_row(self, match: str) -> int | None:
        """The rowid of the ``COMMON_SCORED_ROWS``-th row ``match`` admits, in rowid order,
        or None when it admits no more than that (FTS5 walks its doclists only that far)."""
        budget = _lexical.COMMON_SCORED_ROWS
        if self._chunk_rows() <= budget:
            return None
        sql = (
            "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rowid LIMIT 1 OFFSET ?"
        )
        found = self._conn.execute(sql, (match, budget - 1)).fetchone()
        return None if found is None else int(found[0])

    def _chunk_rows(self) -> int:
        if self._rows is None:  # an upper bound (deleted rows leave gaps), read in O(log n)
            self._rows = int(self._conn.execute("SELECT max(rowid) FROM chunks").fetchone()[0] or 0)
        return self._rows

    def _frequency(self, term: str) -> int:
        """Rows holding ``term``, tokenised as FTS5 tokenises (a doclist walk, no BM25),
        counted up to one past the largest cutoff a plan compares them with: a term in
        90,000 of 1M chunks costs what one in 5,001 does."""
        if term not in self._df:
            enough = max(_lexical.COMMON_MIN_DF, _lexical.COMMON_MAX_DF) + 1
            sql = "SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)"
            self._df[term] = int(self._conn.execute(sql, (phrase(term), enough)).fetchone()[0])
        return self._df[term]

    # -- lookups ------------------------------------------------------------------------
    def _rows_in(self, sql: str, keys: Sequence[object]) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` (whose ``{marks}`` is an ``IN`` list) for every distinct key,
        asked 500 keys at a time so no query exceeds SQLite's limit on parameters."""
        unique = list(dict.fromkeys(keys))
        rows: list[tuple[Any, ...]] = []
        for i in range(0, len(unique), 500):
            part = unique[i : i + 500]
            rows += self._conn.execute(sql.format(marks=",".join("?" * len(part))), part)
        return rows

    def _chunk_of_rows(self, rows: Sequence[int]) -> dict[int, int]:
        sql = "SELECT row, chunk FROM segments WHERE row IN ({marks})"
        return dict(self._rows_in(sql, rows))

    def chunks_by_rowid(self, ids: Sequence[int]) -> dict[int, Chunk]:
        sql = (
            "SELECT id, chunk_id, source, start_line, end_line, text, heading, superseded "
            "FROM chunks WHERE id IN ({marks})"
        )
        return {
            r[0]: Chunk(r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]))
            for r in self._rows_in(sql, ids)
        }

    def _chunk_names(self, ids: Sequence[int]) -> tuple[dict[int, str], set[int]]:
        """The ``chunk_id`` of each chunk row, and the rows of superseded documents."""
        sql = "SELECT id, chunk_id, superseded FROM chunks WHERE id IN ({marks})"
        found = self._rows_in(sql, ids)
        return {row: name for row, name, _ in found}, {row for row, _, old in found if old}

    def segments_of(self, chunk_ids: Sequence[str]) -> list[Segment]:
        """Every segment of the given chunks (by ``chunk_id``), in document order."""
        sql = (
            "SELECT s.id, s.row, c.chunk_id, c.source, s.line, s.text FROM segments s "
            "JOIN chunks c ON c.id = s.chunk WHERE c.chunk_id IN ({marks})"
        )
        found = sorted(self._rows_in(sql, chunk_ids))
        return [Segment(r[2], r[3], r[4], r[5], r[1]) for r in found]


def _params(meta: dict[str, str]) -> dict[str, int]:
    """The search parameters the build recorded ({} for an index built before they were)."""
    try:
        params = json.loads(meta.get("vector_params") or "{}")
    except ValueError:
        return {}
    if not isinstance(params, dict):
        return {}
    return {str(k): int(v) for k, v in params.items() if isinstance(v, int)}
