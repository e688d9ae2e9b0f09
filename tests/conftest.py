"""Shared fixtures: the fake embedder (registered by the public path), a small corpus, an index."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import Built, HashEmbedder, register, write_corpus

import retrieval

# The helpers in tests/support assert as the tests do: registered before anything imports them,
# so that pytest rewrites their asserts and a failure shows its values.
pytest.register_assert_rewrite("support")

# Registered when the test session starts, by the same public path a plugin would use, so that
# `verify ... --embedder fake-hash` works in any test and an index built with the fake opens by
# the name stored in its meta.
register()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder of Markdown, YAML, Python and text files plus a corpus.jsonl."""
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def built_index(corpus: Path, tmp_path: Path) -> Built:
    """``corpus`` indexed with the fake embedder into ``tmp_path/index``."""
    embedder = HashEmbedder()
    folder = tmp_path / "index"
    report = retrieval.build_index([corpus], folder, embedder)
    return Built(folder, report, embedder)
