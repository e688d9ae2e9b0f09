"""Which number format each bundled-embedder instance was made to compute in."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import MiniLMEmbedder

__all__ = ["record_precisions"]


def record_precisions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A list that receives the ``precision`` of every ``MiniLMEmbedder`` made from now on
    (each made as before), in the order they are made."""
    made: list[str] = []
    real = MiniLMEmbedder.__init__

    def spy(
        self: MiniLMEmbedder, path: str | Path | None = None, *, precision: str = "auto"
    ) -> None:
        made.append(precision)
        real(self, path, precision=precision)

    monkeypatch.setattr(MiniLMEmbedder, "__init__", spy)
    return made
