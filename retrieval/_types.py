"""Value types of retrieval: a chunk of the corpus, a sentence-level segment, a search hit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

__all__ = ["Chunk", "Hit", "Segment", "chunk_id_for"]


def chunk_id_for(source: str, start_line: int, end_line: int, text: str) -> str:
    """Stable id: the same text at the same place of the same file gets the same id."""
    digest = hashlib.sha1(f"{source}\0{start_line}\0{end_line}\0{text}".encode()).hexdigest()
    return digest[:16]


@dataclass(frozen=True)
class Chunk:
    """A piece of one source file; lines are 1-based and inclusive."""

    chunk_id: str
    source: str
    start_line: int
    end_line: int
    text: str
    heading: str = ""  # title and heading path, given to the embedder as context
    superseded: bool = False  # its document says it is no longer current

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "text": self.text,
            "chunk_id": self.chunk_id,
        }


@dataclass(frozen=True)
class Segment:
    """A sentence (prose) or a short run of lines (code, config) inside a chunk."""

    chunk_id: str
    source: str
    line: int
    text: str
    row: int = -1  # row of its vector in the index's matrix


@dataclass(frozen=True)
class Hit:
    """One search result; ``score`` is the fused score scaled to [0, 1]."""

    chunk: Chunk
    score: float
    dense: float = 0.0  # best cosine of the query to one of the chunk's segments
    lexical: float = 0.0  # BM25 of the chunk (higher is better), 0 when absent

    def to_json(self) -> dict[str, Any]:
        return {**self.chunk.to_json(), "score": round(self.score, 4)}
