"""Evidence from the index: hybrid search per claim, then every sentence of the top chunks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from retrieval import Index, Segment

from ..types import Claim
from ._base import Candidate, EvidenceSource

__all__ = ["IndexEvidence"]


class IndexEvidence(EvidenceSource):
    def __init__(self, index: Index, *, chunks: int = 6, per_claim: int = 24) -> None:
        self.index = index
        self.chunks = chunks
        self.per_claim = per_claim

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.index.embedder.embed(list(texts))

    def candidates(
        self, claims: Sequence[Claim], vectors: npt.NDArray[np.float32]
    ) -> list[list[Candidate]]:
        out: list[list[Candidate]] = []
        found = self.index.search_vectors([c.check_text for c in claims], vectors, self.chunks)
        # every segment of every chunk found, in one lookup, grouped by chunk (document order)
        by_chunk: dict[str, list[Segment]] = {}
        wanted = list(dict.fromkeys(h.chunk.chunk_id for hits in found for h in hits))
        for s in self.index.segments_of(wanted):
            by_chunk.setdefault(s.chunk_id, []).append(s)
        place = {id(s): i for segs in by_chunk.values() for i, s in enumerate(segs)}
        for hits, qvec in zip(found, vectors, strict=True):
            rank_of = {h.chunk.chunk_id: r for r, h in enumerate(hits)}
            old = {h.chunk.chunk_id for h in hits if h.chunk.superseded}
            heading = {h.chunk.chunk_id: h.chunk.heading for h in hits}
            segments = [s for cid in by_chunk if cid in rank_of for s in by_chunk[cid]]
            if not segments:
                out.append([])
                continue
            rows = np.array([s.row for s in segments], dtype=np.int64)
            cos = np.asarray(self.index.vectors[rows]) @ qvec
            cands = [
                Candidate(
                    s.text,
                    s.source,
                    s.line,
                    s.chunk_id,
                    float(c),
                    rank_of[s.chunk_id],
                    s.chunk_id in old,
                    heading[s.chunk_id],
                    *_neighbours(by_chunk[s.chunk_id], place[id(s)]),
                )
                for s, c in zip(segments, cos, strict=True)
            ]
            cands.sort(key=lambda c: -c.cosine)
            out.append(cands[: self.per_claim])
        return out


def _neighbours(segments: list[Segment], i: int) -> tuple[str, str]:
    """The texts of the segments before and after the ``i``-th of a chunk ("" at an end)."""
    before = segments[i - 1].text if i else ""
    after = segments[i + 1].text if i + 1 < len(segments) else ""
    return before, after
