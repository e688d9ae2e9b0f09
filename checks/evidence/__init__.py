"""Where a claim's evidence comes from: the index (hybrid search) or given passages."""

from ._base import Candidate, EvidenceSource
from ._context import ContextEvidence
from ._index import IndexEvidence

__all__ = ["Candidate", "ContextEvidence", "EvidenceSource", "IndexEvidence"]
