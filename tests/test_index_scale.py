"""Indexes at scale, tested small: the FAISS type chosen by size, each type saved, opened and
searched, parameters kept in the meta, older indexes, and a streamed build that writes the
same index in any window size. Speed is measured by benchmarks/retrieval_bench.py, not here."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import faiss
import numpy as np
import pytest
from fakes import Built, HashEmbedder, write_corpus
from support.index_data import QUERIES, index_contents, rankings

import retrieval._ingest
import retrieval._matrix
from retrieval import (
    HNSW_MIN_VECTORS,
    IVF_MIN_VECTORS,
    Index,
    IndexCorrupt,
    SizeLadder,
    VectorIndex,
    _lexical,
    build_index,
)
from retrieval._vectors import HNSW_EF_SEARCH, HNSW_M, ivf_lists, ivf_probes

#: Steps small enough for the test corpus (a few dozen segments) to reach each type.
LADDERS = {
    "flat": SizeLadder(hnsw_min=10_000, ivf_min=20_000),
    "hnsw": SizeLadder(hnsw_min=5, ivf_min=20_000),
    "ivf": SizeLadder(hnsw_min=5, ivf_min=10),
}
KINDS = sorted(LADDERS)


def _set_meta(folder: Path, **values: str | None) -> None:
    """Rewrite keys of the live generation's meta (None: delete), as an older build left it."""
    gen = folder / (folder / "CURRENT").read_text(encoding="utf-8").strip()
    with closing(sqlite3.connect(gen / "chunks.sqlite")) as conn, conn:
        for key, value in values.items():
            if value is None:
                conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


# -- which type, by size ------------------------------------------------------------------


def test_the_default_ladder_steps_at_the_measured_sizes() -> None:
    ladder = SizeLadder()
    assert ladder.kind(0) == ladder.kind(HNSW_MIN_VECTORS - 1) == "flat"
    assert ladder.kind(HNSW_MIN_VECTORS) == ladder.kind(IVF_MIN_VECTORS - 1) == "hnsw"
    assert ladder.kind(IVF_MIN_VECTORS) == ladder.kind(10**9) == "ivf"


@pytest.mark.parametrize(("n", "kind"), [(0, "flat"), (9, "flat"), (10, "hnsw"), (19, "hnsw")])
def test_an_injected_ladder_decides_below_its_steps(n: int, kind: str) -> None:
    assert SizeLadder(hnsw_min=10, ivf_min=20).kind(n) == kind


@pytest.mark.parametrize(
    ("n", "lists"), [(1, 1), (3, 3), (100, 16), (250_000, 1024), (1_000_000, 2048)]
)
def test_ivf_lists_grow_as_the_square_root_and_never_exceed_the_vectors(n: int, lists: int) -> None:
    assert ivf_lists(n) == lists


# -- each type built, saved, opened, searched ---------------------------------------------


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test corpus indexed once with each type."""
    root = tmp_path_factory.mktemp("types")
    corpus = write_corpus(root / "corpus")
    out = {}
    for kind, ladder in LADDERS.items():
        report = build_index([corpus], root / kind, HashEmbedder(), ladder=ladder)
        assert report.vector_index == kind
        out[kind] = root / kind
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_each_type_opens_reports_itself_and_its_parameters(
    indexes: dict[str, Path], kind: str
) -> None:
    with Index.open(indexes[kind]) as index:
        stats = index.stats()
        assert stats["vector_index"] == index.meta["vector_index"] == kind
        assert (index.generation / "vectors.faiss").is_file() == (kind != "flat")
    lists = ivf_lists(stats["segments"])
    assert (
        stats["vector_params"]
        == {
            "flat": {},
            "hnsw": {"M": HNSW_M, "efSearch": HNSW_EF_SEARCH},
            "ivf": {"nlist": lists, "nprobe": ivf_probes(lists)},
        }[kind]
    )


@pytest.mark.parametrize("kind", KINDS)
def test_each_type_finds_every_stored_vector_as_its_own_best_match(
    indexes: dict[str, Path], kind: str
) -> None:
    with Index.open(indexes[kind]) as index:
        vectors = np.asarray(index.vectors)
        scores, rows = index._ann.search(vectors, 1)
    # IVF holds 8-bit codes: its inner products are off by up to a few thousandths
    assert np.allclose(scores[:, 0], 1.0, atol=5e-3 if kind == "ivf" else 1e-4)
    # a row may tie with an identical vector (the same text embedded twice), never lose
    assert np.allclose(np.einsum("ij,ij->i", vectors, vectors[rows[:, 0]]), 1.0, atol=1e-4)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("query", "source"), QUERIES.items())
def test_each_type_answers_the_hybrid_queries(
    indexes: dict[str, Path], kind: str, query: str, source: str
) -> None:
    with Index.open(indexes[kind]) as index:
        assert index.search(query, 3)[0].chunk.source == source


def test_an_ivf_index_is_read_memory_mapped(indexes: dict[str, Path]) -> None:
    with Index.open(indexes["ivf"]) as index:
        lists = faiss.downcast_InvertedLists(faiss.extract_index_ivf(index._ann._index).invlists)
    assert type(lists).__name__ == "OnDiskInvertedLists"


@pytest.mark.parametrize(("kind", "key", "value"), [("ivf", "nprobe", 3), ("hnsw", "efSearch", 17)])
def test_search_parameters_come_from_the_meta(
    indexes: dict[str, Path], tmp_path: Path, kind: str, key: str, value: int
) -> None:
    copy = _copy_index(indexes[kind], tmp_path / "index")
    _set_meta(copy, vector_params=f'{{"{key}": {value}}}')
    with Index.open(copy) as index:
        faiss_index = index._ann._index
        live = faiss_index.nprobe if kind == "ivf" else faiss_index.hnsw.efSearch
        assert index._ann.params[key] == live == value


@pytest.mark.parametrize("kind", KINDS)
def test_an_index_built_before_parameters_were_recorded_opens_with_the_defaults(
    indexes: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    """What an older build left: no ``vector_params``."""
    copy = _copy_index(indexes[kind], tmp_path / "index")
    _set_meta(copy, vector_params=None)
    with Index.open(copy) as old, Index.open(indexes[kind]) as new:
        assert old.stats()["vector_index"] == new.stats()["vector_index"]
        assert old.stats()["vector_params"] == new.stats()["vector_params"]
        for query in QUERIES:
            assert [h.chunk.chunk_id for h in old.search(query, 5)] == [
                h.chunk.chunk_id for h in new.search(query, 5)
            ]


def test_a_damaged_ivf_file_is_reported_corrupt(indexes: dict[str, Path], tmp_path: Path) -> None:
    copy = _copy_index(indexes["ivf"], tmp_path / "index")
    with Index.open(copy) as index:
        path = index.generation / "vectors.faiss"
    path.write_bytes(path.read_bytes()[:64])
    with pytest.raises(IndexCorrupt, match=r"vectors\.faiss"):
        Index.open(copy)


def _copy_index(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


# -- a streamed build ---------------------------------------------------------------------


def test_windows_and_batches_of_any_size_write_the_same_index(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_index([corpus], tmp_path / "whole", HashEmbedder())
    monkeypatch.setattr(retrieval._matrix, "WINDOW", 7)
    monkeypatch.setattr(retrieval._ingest, "FLUSH_CHUNKS", 3)
    small = HashEmbedder()
    report = build_index([corpus], tmp_path / "streamed", small)
    assert report.embedded == report.segments == len(small.texts)
    assert index_contents(tmp_path / "streamed") == index_contents(tmp_path / "whole")
    assert rankings(tmp_path / "streamed") == rankings(tmp_path / "whole")


def test_a_streamed_update_keeps_old_rows_beside_new_ones(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrieval._matrix, "WINDOW", 5)
    monkeypatch.setattr(retrieval._ingest, "FLUSH_CHUNKS", 2)
    folder = tmp_path / "index"
    build_index([corpus], folder, HashEmbedder())
    (corpus / "docs" / "retention.md").write_text("# Retention\n\nKept for 9 days.\n")
    (corpus / "notes.txt").unlink()
    (corpus / "new.md").write_text("# New\n\nA new page about the pager rota.\n")
    again = HashEmbedder()
    report = build_index([corpus], folder, again)
    assert (report.added, report.updated, report.removed) == (1, 1, 1)
    assert report.embedded == len(again.texts) < report.segments
    build_index([corpus], tmp_path / "fresh", HashEmbedder())
    assert index_contents(folder) == index_contents(tmp_path / "fresh")


def test_the_embedder_sees_one_window_at_a_time(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []

    class Counting(HashEmbedder):
        def embed(self, texts, **kw):  # type: ignore[no-untyped-def]
            seen.append(len(texts))
            return super().embed(texts, **kw)

    monkeypatch.setattr(retrieval._matrix, "WINDOW", 6)
    report = build_index([corpus], tmp_path / "index", Counting())
    assert max(seen) <= 6 and sum(seen) == report.embedded


def test_a_matrix_may_be_a_memory_map(tmp_path: Path) -> None:
    rows = np.random.default_rng(0).standard_normal((300, 8)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    np.save(tmp_path / "m.npy", rows)
    mapped = np.load(tmp_path / "m.npy", mmap_mode="r")
    for kind in ("flat", "hnsw", "ivf"):
        index = VectorIndex.build(mapped, kind=kind)  # type: ignore[arg-type]
        assert index.size == 300 and index.kind == kind


# -- lexical search on large corpora --------------------------------------------------------


def _holding(index: Index, term: str) -> list[int]:
    sql = "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rowid"
    return [r for (r,) in index._conn.execute(sql, (term,))]


def test_a_query_of_common_terms_scores_only_the_first_rows_holding_them(
    built_index: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_lexical, "COMMON_MIN_DF", 0)  # every term common
    monkeypatch.setattr(_lexical, "COMMON_MAX_DF", 0)
    with Index.open(built_index.folder, embedder=built_index.embedder) as index:
        holding = _holding(index, "gateway")
        assert len(holding) >= 3
        whole = index._lexical("gateway", 80)
        monkeypatch.setattr(_lexical, "COMMON_SCORED_ROWS", 2)
        first = index._lexical("gateway", 80)
    assert sorted(whole) == holding
    assert sorted(first) == holding[:2]
    assert all(first[r] == pytest.approx(whole[r]) for r in first), "BM25 of the whole table"


def test_a_terms_frequency_is_counted_only_as_far_as_the_cutoff(
    built_index: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_lexical, "COMMON_MIN_DF", 1)
    monkeypatch.setattr(_lexical, "COMMON_MAX_DF", 1)
    with Index.open(built_index.folder, embedder=built_index.embedder) as index:
        assert len(_holding(index, "gateway")) > 2
        assert index._frequency("gateway") == 2  # enough to say it is above the cutoff of 1
        assert index._frequency("nosuchword") == 0


def test_a_hybrid_search_runs_its_vector_search_beside_the_lexical_one(
    built_index: Built,
) -> None:
    with Index.open(built_index.folder, embedder=built_index.embedder) as index:
        hits = index.search("which port does the gateway listen on", 3)
        worker = index._pool
        assert worker is not None  # the vector search ran on the index's worker
    assert hits[0].chunk.source == "docs/gateway.md"
    with pytest.raises(RuntimeError):  # closing the index stopped its worker
        worker.submit(print)
