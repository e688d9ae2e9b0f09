"""Candidate evidence for claims: one abstract method, ``candidates``, batched over claims."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..types import Claim, Evidence

__all__ = ["Candidate", "EvidenceSource"]


@dataclass(frozen=True)
class Candidate:
    """One evidence sentence (or line run) with how close it is to the claim."""

    text: str
    source: str
    line: int
    chunk_id: str
    cosine: float  # claim vs this sentence (embedder cosine, in [-1, 1])
    rank: int  # 0 = the best retrieved chunk
    superseded: bool = False  # its document says it is no longer current
    heading: str = ""  # its document's title and heading path ("Postmortem: ... > Timeline")
    before: str = ""  # the sentence before it in the same passage, "" at a passage's start
    after: str = ""  # the sentence after it in the same passage, "" at a passage's end

    def evidence(self) -> Evidence:
        return Evidence(self.source, self.line, self.line, self.text, self.chunk_id)


class EvidenceSource(ABC):
    """Where evidence comes from: the index, or passages the model was shown (--context)."""

    @abstractmethod
    def candidates(
        self, claims: Sequence[Claim], vectors: npt.NDArray[np.float32]
    ) -> list[list[Candidate]]:
        """For each claim (with its embedding row), its candidates, best cosine first."""

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed claims with the same model the evidence was embedded with."""
