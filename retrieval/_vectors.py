"""FAISS over the segment vectors, its type chosen by how many there are.

Vectors are L2-normalised, so inner product is cosine. ``SizeLadder`` picks the type:

    vectors          type  FAISS                                        a query
    < 50,000         flat  IndexFlatIP: exact                           reads every vector
    50,000-99,999    hnsw  IndexHNSWFlat, M=32, efConstruction=80       efSearch=96
    >= 100,000       ivf   IndexIVFScalarQuantizer, 8-bit codes,        probes 64 lists
                           nlist = 2 * sqrt(n) to the nearest power
                           of two (512 at 100k, 2,048 at 1M), k-means
                           on 64 vectors a list

Measured with ``benchmarks/retrieval_bench.py --types`` on 2 CPU cores shared with other
work (load average 3-6, so wall times are pessimistic), on clustered synthetic vectors
calibrated against real MiniLM ones (benchmarks/_synthetic.py) and on SciFact's 45k MiniLM
sentence vectors queried by its claims; recall@10 is against exact search, a query asks
for the 320 rows hybrid search asks for:

- exact: p50 11 ms at 50k vectors, 20 ms at 100k, 59 ms at 200k, about 300 ms at 1M.
- HNSW: recall@10 1.000 at 50k and 100k, 0.997 at 200k (SciFact: 0.994), under 2 ms a
  query; but it builds slowly on two cores, and more slowly as it grows: 35 s at 50k,
  80 s at 100k, 268 s at 200k -- and every build of the index rebuilds it.
- IVF, 64 probes: recall@10 with 8-bit codes 0.982 at 100k, 0.990 at 1M (SciFact at 45k,
  512 lists: 0.973); with float vectors (IndexIVFFlat) 0.988 and 0.997 (SciFact 0.979),
  but a query at 1M cost 14-16 ms of CPU against 3.5-4 ms for the codes, a quarter the
  size. It builds in seconds up to 250k and in about 50 s at 1M. A fixed share of the
  lists is not enough: probing 1/32 of them gave 0.89 at 50k and 0.92 at 100k.

A saved index is read memory-mapped where FAISS can: IVF lists (``IO_FLAG_MMAP``), so a
search process holds only the lists it has probed, and HNSW's vectors (``IO_FLAG_MMAP_IFC``,
FAISS 1.10 and later); an HNSW graph is read into memory. The type and its search
parameters are kept in the index's meta (``vector_index``, ``vector_params``); an index
written before they were kept opens with the defaults here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "HNSW_MIN_VECTORS",
    "IVF_MIN_VECTORS",
    "Kind",
    "SizeLadder",
    "VectorIndex",
    "choose",
    "ivf_lists",
    "ivf_probes",
]

Kind = Literal["flat", "hnsw", "ivf"]
Matrix = npt.NDArray[np.float32]

HNSW_MIN_VECTORS = 50_000
IVF_MIN_VECTORS = 100_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
#: k-means trains on this many vectors a list (FAISS asks for at least 39), for this many
#: rounds: more bought no recall on the measured sets and costs build time in proportion.
IVF_TRAIN_PER_LIST = 64
IVF_TRAIN_ITERATIONS = 10
#: Lists a query probes (all of them when there are fewer).
IVF_PROBES = 64
#: Rows handed to FAISS at a time while building: bounds the copies made of a memory map.
ADD_BATCH = 65_536


@dataclass(frozen=True)
class SizeLadder:
    """Which index type a number of vectors gets; tests inject small steps."""

    hnsw_min: int = HNSW_MIN_VECTORS
    ivf_min: int = IVF_MIN_VECTORS

    def kind(self, n: int) -> Kind:
        if n >= self.ivf_min:
            return "ivf"
        return "hnsw" if n >= self.hnsw_min else "flat"


def ivf_lists(n: int) -> int:
    """Inverted lists for ``n`` vectors: the power of two nearest ``2 * sqrt(n)``, and never
    so many that a list would train on fewer than one vector."""
    lists = int(2 ** round(math.log2(max(1.0, 2 * math.sqrt(n)))))
    return max(1, min(lists, n))


def ivf_probes(lists: int) -> int:
    return min(lists, IVF_PROBES)


class VectorIndex:
    """One FAISS index over the rows of the segment matrix, and how it searches."""

    def __init__(self, index: Any, kind: Kind, params: dict[str, int] | None = None) -> None:
        self._index = index
        self.kind: Kind = kind
        self.params: dict[str, int] = params or {}

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    # -- building -------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        vectors: Matrix,
        *,
        hnsw: bool | None = None,
        kind: Kind | None = None,
        ladder: SizeLadder | None = None,
    ) -> VectorIndex:
        """An index over ``vectors`` (an array or a read-only memory map, added in batches).

        The type is ``kind`` if given, else ``hnsw`` (True: hnsw, False: flat) if given, else
        the ``ladder``'s (default ``SizeLadder()``) for the number of rows.
        """
        n = len(vectors)
        kind = kind or choose(n, hnsw=hnsw, ladder=ladder)
        if kind == "ivf":
            out = _build_ivf(vectors)
        elif kind == "hnsw":
            out = _build_hnsw(vectors.shape[1])
        else:
            out = cls(_flat(vectors.shape[1]), "flat")
        for start in range(0, n, ADD_BATCH):
            out._index.add(np.ascontiguousarray(vectors[start : start + ADD_BATCH]))
        return out

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, params: dict[str, int] | None = None) -> VectorIndex:
        """Read a saved index, memory-mapped where FAISS can; ``params`` set how it searches
        (an index saved before they were recorded gets the defaults of its type)."""
        import faiss

        with path.open("rb") as fh:  # every IVF type's tag starts "Iv" or "Iw"
            tag = fh.read(2)
        if tag in (b"Iv", b"Iw"):
            index: Any = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
            nprobe = (params or {}).get("nprobe") or ivf_probes(index.nlist)
            index.nprobe = int(nprobe)
            return cls(index, "ivf", {"nlist": int(index.nlist), "nprobe": int(nprobe)})
        index = faiss.read_index(str(path), getattr(faiss, "IO_FLAG_MMAP_IFC", 0))
        if hasattr(index, "hnsw"):
            ef = int((params or {}).get("efSearch") or HNSW_EF_SEARCH)
            index.hnsw.efSearch = ef
            return cls(index, "hnsw", {"M": _hnsw_m(index), "efSearch": ef})
        return cls(index, "flat")

    def params_json(self) -> str:
        return json.dumps(self.params, sort_keys=True)

    # -- searching ------------------------------------------------------------------------
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


def choose(n: int, *, hnsw: bool | None = None, ladder: SizeLadder | None = None) -> Kind:
    """The type for ``n`` vectors: ``hnsw`` True or False forces HNSW or exact search, else
    the ``ladder`` (default ``SizeLadder()``) decides."""
    if hnsw is not None:
        return "hnsw" if hnsw else "flat"
    return (ladder or SizeLadder()).kind(n)


def _flat(dim: int) -> Any:
    import faiss

    return faiss.IndexFlatIP(dim)


def _build_hnsw(dim: int) -> VectorIndex:
    import faiss

    index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = HNSW_EF_SEARCH
    return VectorIndex(index, "hnsw", {"M": HNSW_M, "efSearch": HNSW_EF_SEARCH})


def _build_ivf(vectors: Matrix) -> VectorIndex:
    """An IVF index over ``vectors`` holding 8-bit codes, its lists trained by k-means (and
    the codes' ranges) on an even sample."""
    import faiss

    n, dim = vectors.shape
    lists = ivf_lists(n)
    index = faiss.IndexIVFScalarQuantizer(
        _flat(dim), dim, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.cp.niter = IVF_TRAIN_ITERATIONS
    index.cp.min_points_per_centroid = 1  # a small corpus trains quietly on what it has
    index.cp.max_points_per_centroid = IVF_TRAIN_PER_LIST
    index.cp.seed = 1234
    take = min(n, lists * IVF_TRAIN_PER_LIST)
    sample = np.sort(np.random.default_rng(1234).choice(n, take, replace=False))
    index.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    index.nprobe = ivf_probes(lists)
    return VectorIndex(index, "ivf", {"nlist": lists, "nprobe": int(index.nprobe)})


def _hnsw_m(index: Any) -> int:
    """M of a loaded HNSW graph: level 0 holds 2*M links a node."""
    import faiss

    return int(faiss.vector_to_array(index.hnsw.cum_nneighbor_per_level)[1]) // 2
