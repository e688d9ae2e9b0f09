"""The check-CLI corpus: claims the test corpus supports, contradicts or does not mention,
and a working directory holding that corpus indexed with the fake embedder."""

from __future__ import annotations

from pathlib import Path

from fakes import HashEmbedder, write_corpus

import retrieval

SUPPORTED = "The gateway listens on port 8443."
CONTRADICTED = "The gateway listens on port 9443."
UNRELATED = "Bananas ripen faster next to apples."


def indexed_workdir(root: Path) -> Path:
    """``root`` holding a corpus and its index at the default place (``.verify/index``)."""
    write_corpus(root / "corpus")
    retrieval.build_index([root / "corpus"], root / ".verify" / "index", HashEmbedder())
    return root
