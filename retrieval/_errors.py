"""Errors raised by ``retrieval``. The whole tree of verify's errors is drawn in verify/errors.py.

RetrievalError
 ├── IndexMissing   no index where one was expected   (exit 2: build it)
 ├── IndexCorrupt   an index that cannot be read      (exit 2: rebuild it)
 ├── IndexLocked    another writer holds the index    (exit 2: wait or retry)
 ├── CorpusError    nothing indexable in the paths    (exit 2: fix the paths)
 ├── EmbedderNotFound  no embedder by that name       (exit 2: name a known one)
 └── EmbedderError  the embedding model failed        (exit 3: fail closed)
"""

from __future__ import annotations

__all__ = [
    "CorpusError",
    "EmbedderError",
    "EmbedderNotFound",
    "IndexCorrupt",
    "IndexLocked",
    "IndexMissing",
    "RetrievalError",
]


class RetrievalError(Exception):
    """Base of every error ``retrieval`` raises on purpose."""

    #: True when the cause is the caller's input (bad path, missing index): exit 2, not 3.
    user_error: bool = True


class IndexMissing(RetrievalError):
    pass


class IndexCorrupt(RetrievalError):
    pass


class IndexLocked(RetrievalError):
    pass


class CorpusError(RetrievalError):
    pass


class EmbedderError(RetrievalError):
    user_error = False


class EmbedderNotFound(RetrievalError):
    pass
