"""The demo corpus index the RAG pipeline retrieves from."""

from __future__ import annotations

import pytest

from retrieval import Index
from verify.testing import Verifier


@pytest.fixture(scope="session")
def docs(verifier: Verifier) -> Index:
    """The index the checks use (``--verify-index DIR``), opened once: retrieval and
    verification share it and its embedder."""
    return verifier.index()
