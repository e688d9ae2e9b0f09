"""Evidence from passages given with the text (``--context FILE``): the RAG case."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from retrieval import Embedder, split_prose

from ..types import Claim
from ._base import Candidate, EvidenceSource

__all__ = ["ContextEvidence"]


class ContextEvidence(EvidenceSource):
    """Every sentence of the given passages is a candidate for every claim."""

    def __init__(
        self, passages: Sequence[tuple[str, str]], embedder: Embedder, *, per_claim: int = 24
    ) -> None:
        self.embedder = embedder
        self.per_claim = per_claim
        self._sentences: list[tuple[str, int, str]] = []  # (source, line, text)
        for source, text in passages:
            for n, line in enumerate(text.split("\n"), 1):
                for s, e in split_prose(line):
                    self._sentences.append((source, n, line[s:e].strip()))
        self._vectors: npt.NDArray[np.float32] | None = None

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.embedder.embed(list(texts))

    def candidates(
        self, claims: Sequence[Claim], vectors: npt.NDArray[np.float32]
    ) -> list[list[Candidate]]:
        if not self._sentences:
            return [[] for _ in claims]
        if self._vectors is None:
            self._vectors = self.embedder.embed([t for _, _, t in self._sentences])
        sims = vectors @ self._vectors.T
        out = []
        for row in sims:
            order = np.argsort(-row)[: self.per_claim]
            out.append(
                [
                    Candidate(
                        self._sentences[i][2],
                        self._sentences[i][0],
                        self._sentences[i][1],
                        f"{self._sentences[i][0]}:{self._sentences[i][1]}",
                        float(row[i]),
                        0,
                        before=self._neighbour(i, -1),
                        after=self._neighbour(i, 1),
                    )
                    for i in order
                ]
            )
        return out

    def _neighbour(self, i: int, step: int) -> str:
        """The sentence ``step`` places from sentence ``i`` in the same passage, or ""."""
        j = i + step
        if 0 <= j < len(self._sentences) and self._sentences[j][0] == self._sentences[i][0]:
            return self._sentences[j][2]
        return ""
