"""The test corpus's questions with the file that answers each, and two views of an index to
compare indexes by: every query's full ranking, and the live generation's contents."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np

from retrieval import Index, Mode

MODES: list[Mode] = ["hybrid", "dense", "lexical"]

QUERIES = {
    "which port does the gateway listen on for https": "docs/gateway.md",
    "how long are raw uploads kept after transcoding": "docs/retention.md",
    "transcoder workers ffmpeg-jobs queue": "config/service.yaml",
    "remaining quota of a tenant": "src/quota.py",
    "oncall rotation monday noon": "notes.txt",
    "invoices emailed business day": "corpus.jsonl#faq-1",
}


def rankings(folder: Path, k: int = 1000) -> dict[str, list[tuple[str, float]]]:
    """Every query's full ranking as (chunk_id, score), for comparing two indexes."""
    out = {}
    with Index.open(folder) as index:
        for q in QUERIES:
            for mode in MODES:
                hits = index.search(q, k, mode=mode)
                out[f"{mode}:{q}"] = sorted((h.chunk.chunk_id, round(h.score, 5)) for h in hits)
    return out


def index_contents(folder: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[str]]:
    """(chunks, segments with their vectors, files) of the live generation, order-free."""
    with (
        Index.open(folder) as index,
        closing(
            sqlite3.connect(f"file:{index.generation / 'chunks.sqlite'}?mode=ro", uri=True)
        ) as conn,
    ):
        chunks = sorted(
            conn.execute("SELECT chunk_id, source, start_line, end_line, text, heading FROM chunks")
        )
        segments = sorted(
            (cid, line, text, tuple(np.round(index.vectors[row], 5)))
            for cid, line, text, row in conn.execute(
                "SELECT c.chunk_id, s.line, s.text, s.row FROM segments s "
                "JOIN chunks c ON c.id = s.chunk"
            )
        )
        files = sorted(r[0] for r in conn.execute("SELECT source || ' ' || sha256 FROM files"))
        fts = conn.execute("SELECT count(*) FROM chunks_fts").fetchone()[0]
        assert fts == len(chunks), "the FTS table holds exactly the chunks"
        assert len(index.vectors) == len(segments)
    return chunks, segments, files
