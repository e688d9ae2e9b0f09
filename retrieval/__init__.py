"""Corpus loading, chunking, embedding and hybrid search (FAISS + SQLite FTS5).

    from retrieval import Index, build_index, get_embedder
    build_index([Path("docs")], Path(".verify/index"), get_embedder())
    for hit in Index.open(".verify/index").search("what port does the gateway use", k=5):
        print(hit.chunk.source, hit.chunk.start_line, hit.score)

The bottom layer: it imports nothing else of verify's.
"""

from ._bert import Bert, read_bert
from ._build import BuildReport, build_index
from ._chunking import MAX_CHUNK_CHARS, chunk_document
from ._embedder import (
    DEFAULT_EMBEDDER,
    Embedder,
    MiniLMEmbedder,
    get_embedder,
    register_embedder,
)
from ._errors import (
    CorpusError,
    EmbedderError,
    EmbedderNotFound,
    IndexCorrupt,
    IndexLocked,
    IndexMissing,
    RetrievalError,
)
from ._hub import OFFLINE, offline, quiet_transformers
from ._index import Index, Mode
from ._loader import MAX_FILE_BYTES, SKIP_DIRS, Document, Skipped, iter_documents
from ._precision import PRECISIONS, compute_in, native_bf16, resolve_precision
from ._segments import split_prose
from ._types import Chunk, Hit, Segment
from ._vectors import HNSW_MIN_VECTORS, IVF_MIN_VECTORS, SizeLadder, VectorIndex

__all__ = [
    "DEFAULT_EMBEDDER",
    "HNSW_MIN_VECTORS",
    "IVF_MIN_VECTORS",
    "MAX_CHUNK_CHARS",
    "MAX_FILE_BYTES",
    "OFFLINE",
    "PRECISIONS",
    "SKIP_DIRS",
    "Bert",
    "BuildReport",
    "Chunk",
    "CorpusError",
    "Document",
    "Embedder",
    "EmbedderError",
    "EmbedderNotFound",
    "Hit",
    "Index",
    "IndexCorrupt",
    "IndexLocked",
    "IndexMissing",
    "MiniLMEmbedder",
    "Mode",
    "RetrievalError",
    "Segment",
    "SizeLadder",
    "Skipped",
    "VectorIndex",
    "build_index",
    "chunk_document",
    "compute_in",
    "get_embedder",
    "iter_documents",
    "native_bf16",
    "offline",
    "quiet_transformers",
    "read_bert",
    "register_embedder",
    "resolve_precision",
    "split_prose",
]
