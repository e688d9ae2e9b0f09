"""FAISS over the segment vectors: exact inner product when small, HNSW above a threshold.

Vectors are L2-normalised, so inner product is cosine. Exact search costs O(n) per query;
at ``HNSW_MIN_VECTORS`` rows (about 10k chunks of prose) an HNSW graph takes over, with
``HNSW_M`` links per node and ``HNSW_EF_SEARCH`` candidates per query (recall@10 against exact
search is measured by benchmarks/retrieval_bench.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["HNSW_MIN_VECTORS", "VectorIndex"]

HNSW_MIN_VECTORS = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96


class VectorIndex:
    def __init__(self, index: Any, kind: str) -> None:
        self._index = index
        self.kind = kind

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @classmethod
    def build(cls, vectors: npt.NDArray[np.float32], *, hnsw: bool | None = None) -> VectorIndex:
        import faiss

        dim = vectors.shape[1]
        use_hnsw = len(vectors) >= HNSW_MIN_VECTORS if hnsw is None else hnsw
        index: Any
        if use_hnsw:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, "hnsw" if use_hnsw else "flat")

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        import faiss

        index = faiss.read_index(str(path))
        if hasattr(index, "hnsw"):
            index.hnsw.efSearch = HNSW_EF_SEARCH
            return cls(index, "hnsw")
        return cls(index, "flat")

    def search(
        self, queries: npt.NDArray[np.float32], k: int
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Top ``k`` rows per query: (scores, rows); rows are -1 where fewer exist."""
        k = max(1, min(k, self.size)) if self.size else 1
        if not self.size:
            n = len(queries)
            return np.zeros((n, 0), np.float32), np.zeros((n, 0), np.int64)
        import faiss

        # One query at a time is what search and check do; OpenMP's thread start-up costs far
        # more than it saves there (measured: hybrid p50 534 ms -> 57 ms on 100k chunks).
        threads = faiss.omp_get_max_threads()
        if len(queries) <= 4:
            faiss.omp_set_num_threads(1)
        try:
            scores, rows = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        finally:
            faiss.omp_set_num_threads(threads)
        return scores, rows
