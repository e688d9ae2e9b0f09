"""The loader: which files become documents, and why each of the others is skipped."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
from fakes import (
    CORPUS_FILES,
    SMALL_MAX_BYTES,
    HashEmbedder,
    deny_reading,
    write_bad_files,
)

import retrieval
from retrieval import CorpusError, Document, Index, Skipped, build_index, iter_documents
from retrieval._loader import corpus_root

GOOD = {*CORPUS_FILES, "corpus.jsonl#faq-1", "corpus.jsonl#faq-2"}


class Blocked(Exception):
    """Not an OSError, so that no ``except OSError`` in the loader can swallow it."""


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail, instead of hanging for ever, if the code under test blocks (say, on a FIFO)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise Blocked("blocked for 10 s: the loader must not wait on special files")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, 10)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def _load(paths: list[Path], root: Path, **kw: int) -> tuple[dict[str, Document], dict[str, str]]:
    docs: dict[str, Document] = {}
    skipped: dict[str, str] = {}
    for item in iter_documents(paths, root, **kw):
        if isinstance(item, Skipped):
            assert item.source not in skipped, f"{item.source} skipped twice"
            skipped[item.source] = item.reason
        else:
            assert item.source not in docs, f"{item.source} loaded twice"
            docs[item.source] = item
    return docs, skipped


def test_corpus_files_load_with_sources_relative_to_the_root(corpus: Path) -> None:
    docs, skipped = _load([corpus], corpus)
    assert skipped == {}
    assert set(docs) == GOOD
    kinds = {s: d.kind for s, d in docs.items()}
    assert kinds["docs/gateway.md"] == "markdown"
    assert kinds["config/service.yaml"] == "config"
    assert kinds["src/quota.py"] == "python"
    assert kinds["notes.txt"] == "text"
    assert kinds["corpus.jsonl#faq-1"] == "record"
    assert docs["docs/gateway.md"].title == "Upload Gateway"
    assert docs["corpus.jsonl#faq-2"].title == "Regions"
    assert docs["docs/gateway.md"].text == CORPUS_FILES["docs/gateway.md"]


@pytest.mark.usefixtures("alarm")
def test_every_bad_file_is_skipped_with_its_reason(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = write_bad_files(corpus, tmp_path / "outside")
    deny_reading(monkeypatch, "locked.md")
    docs, skipped = _load([corpus], corpus, max_bytes=SMALL_MAX_BYTES)
    assert set(docs) == GOOD, "the good files are still read"
    assert set(skipped) == set(expected)
    for source, words in expected.items():
        assert words.lower() in skipped[source].lower(), (source, skipped[source])
        assert "\n" not in skipped[source]
    assert "Permission denied" in skipped["locked.md"]
    assert "4000 bytes" in skipped["huge.txt"] and str(SMALL_MAX_BYTES) in skipped["huge.txt"]
    assert skipped["latin1.md"] == "invalid UTF-8 at byte 3"


@pytest.mark.usefixtures("alarm")
def test_build_lists_skipped_files_and_indexes_the_rest(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = write_bad_files(corpus, tmp_path / "outside")
    deny_reading(monkeypatch, "locked.md")
    warnings: list[str] = []
    report = build_index(
        [corpus],
        tmp_path / "index",
        HashEmbedder(),
        max_bytes=SMALL_MAX_BYTES,
        warn=warnings.append,
    )
    assert report.documents == len(GOOD)
    reasons = {s.source: s.reason for s in report.skipped}
    assert set(reasons) == set(expected)
    assert all(expected[s].lower() in r.lower() for s, r in reasons.items()), reasons
    assert len(warnings) == len(expected), "one warning line per skipped file"
    assert all("\n" not in w for w in warnings)
    with Index.open(tmp_path / "index") as index:
        stats = index.stats()
        assert stats["documents"] == len(GOOD)
        assert {s["path"] for s in stats["skipped"]} == set(expected)
        sources = {h.chunk.source for h in index.search("secret outside corpus nobody", 50)}
    assert not sources & {"escape.md", "locked.md", "linked-dir"}


def test_binary_detection_looks_at_content_not_only_the_suffix(tmp_path: Path) -> None:
    (tmp_path / "readme").write_bytes(b"looks like text\x00\x01\x02")
    (tmp_path / "image.PNG").write_text("not really an image", encoding="utf-8")
    (tmp_path / "unknown.xyz").write_text("plain words in an unknown suffix", encoding="utf-8")
    docs, skipped = _load([tmp_path], tmp_path)
    assert skipped == {"readme": "binary file", "image.PNG": "binary file"}
    assert docs["unknown.xyz"].kind == "text"


def test_a_utf8_bom_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "bom.md").write_bytes("\ufeff# Title\n\nBody.\n".encode())
    docs, _ = _load([tmp_path], tmp_path)
    assert docs["bom.md"].text.startswith("# Title")
    assert docs["bom.md"].title == "Title"


def test_a_file_at_exactly_the_cap_is_read(tmp_path: Path) -> None:
    (tmp_path / "edge.txt").write_text("x" * 99 + "\n", encoding="utf-8")
    docs, skipped = _load([tmp_path], tmp_path, max_bytes=100)
    assert "edge.txt" in docs and not skipped
    docs, skipped = _load([tmp_path], tmp_path, max_bytes=99)
    assert "huge" in skipped["edge.txt"]


def test_malformed_jsonl_lines_are_skipped_with_their_line_number(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "title": "A", "text": "First good record."}),
        "{not json",
        json.dumps([1, 2, 3]),
        json.dumps({"id": "n", "text": 5}),
        json.dumps({"id": "e", "text": "   "}),
        "",
        json.dumps({"title": "no id", "text": "A record without an id."}),
        json.dumps({"id": "b", "text": "Last good record."}),
    ]
    (tmp_path / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, skipped = _load([tmp_path], tmp_path)
    assert skipped == {
        "corpus.jsonl:2": "malformed JSON line",
        "corpus.jsonl:3": "record without a string 'text'",
        "corpus.jsonl:4": "record without a string 'text'",
        "corpus.jsonl:5": "empty record",
    }
    assert set(docs) == {"corpus.jsonl#a", "corpus.jsonl#7", "corpus.jsonl#b"}
    assert docs["corpus.jsonl#b"].line_offset == 7  # 0-based line of the record
    assert docs["corpus.jsonl#a"].title == "A"


def test_duplicate_record_ids_are_skipped_not_silently_merged(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "x", "text": "The first one says red."}),
        json.dumps({"id": "x", "text": "The second one says blue."}),
    ]
    (tmp_path / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, skipped = _load([tmp_path], tmp_path)
    assert list(docs) == ["corpus.jsonl#x"]
    assert docs["corpus.jsonl#x"].text == "The first one says red."
    assert list(skipped) == ["corpus.jsonl:2"]
    assert "duplicate" in skipped["corpus.jsonl:2"]


def test_hidden_files_and_tool_folders_are_not_walked(corpus: Path) -> None:
    (corpus / ".hidden.md").write_text("# Hidden\n\nnot indexed\n", encoding="utf-8")
    for folder in (".git", "node_modules", "__pycache__", ".verify"):
        (corpus / folder).mkdir()
        (corpus / folder / "inside.md").write_text("# In\n\ntool files\n", encoding="utf-8")
    docs, skipped = _load([corpus], corpus)
    assert set(docs) == GOOD and not skipped


def test_links_inside_the_root_are_followed_once(corpus: Path) -> None:
    (corpus / "alias.md").symlink_to(corpus / "docs" / "gateway.md")
    docs, skipped = _load([corpus], corpus)
    assert not skipped
    gateway = [d for d in docs.values() if d.text == CORPUS_FILES["docs/gateway.md"]]
    assert len(gateway) == 1, "the same file is read once, whichever name is met first"


def test_overlapping_paths_do_not_duplicate_documents(corpus: Path) -> None:
    root = corpus_root([corpus, corpus / "docs", corpus / "notes.txt"])
    assert root == corpus.resolve()
    docs, _ = _load([corpus, corpus / "docs", corpus / "notes.txt"], root)
    assert set(docs) == GOOD


def test_a_single_file_is_relative_to_its_folder(corpus: Path) -> None:
    path = corpus / "docs" / "gateway.md"
    root = corpus_root([path])
    assert root == (corpus / "docs").resolve()
    docs, _ = _load([path], root)
    assert list(docs) == ["gateway.md"]


def test_a_corpus_reached_through_a_linked_folder_keeps_relative_sources(
    corpus: Path, tmp_path: Path
) -> None:
    link = tmp_path / "via-link"
    link.symlink_to(corpus, target_is_directory=True)
    root = corpus_root([link])
    docs, skipped = _load([link], root)
    assert not skipped
    assert set(docs) == GOOD, "sources stay relative to the corpus root"


def test_a_missing_corpus_path_is_a_corpus_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="does not exist"):
        corpus_root([tmp_path / "nope"])


def test_nothing_readable_is_a_corpus_error(tmp_path: Path) -> None:
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    with pytest.raises(CorpusError, match="nothing to index"):
        build_index([tmp_path], tmp_path / "index", HashEmbedder())
    assert not (tmp_path / "index" / "CURRENT").exists()


@pytest.mark.parametrize(
    ("head", "superseded"),
    [
        ("# Policy (v3) — SUPERSEDED\n\nOld values.", True),
        ("# Policy\n\n> This version is no longer in force.", True),
        ("# Policy\n\n| **Supersedes** | Version 3 |", False),
        ("# Policy\n\n" + "Current text.\n" * 10 + "Obsolete fields are listed below.", False),
        # said of the document itself: a banner, a status, "this version", a title's tag
        ("# Policy\n\n> **SUPERSEDED.** Replaced by version 4.", True),
        ("# Policy\n\n| **Status** | Superseded by version 4 |", True),
        ("# Policy\n\nStatus: deprecated", True),
        ("# Policy\n\nThis page is obsolete; see the new runbook.", True),
        ("# Policy (SUPERSEDED)\n\nOld values.", True),
        ("# [Deprecated] Upload runbook\n\nOld steps.", True),
        # ... not of something else it names
        ("# Policy\n\nIt replaces version 3 (see `v3.md`), which is superseded.", False),
        ("# API\n\n- **API v1:** deprecated; it is switched off on 2025-06-30.", False),
        ("# API\n\nVersion 2 of the API is deprecated.", False),
        ("# Flags\n\nThis page lists the flags that are deprecated.", False),
        ("# Leaving the deprecated v1 API\n\nSteps.", False),
        ("# API\n\n## Deprecated endpoints\n\n- /v1/upload", False),
        ("# ADR-0012\n\nADR-0005 is superseded by this record.", False),
    ],
)
def test_superseded_documents_are_marked(tmp_path: Path, head: str, superseded: bool) -> None:
    (tmp_path / "policy.md").write_text(head + "\n", encoding="utf-8")
    docs, _ = _load([tmp_path], tmp_path)
    assert docs["policy.md"].superseded is superseded


def test_the_default_cap_is_exported() -> None:
    assert retrieval.MAX_FILE_BYTES == 5 * 1024 * 1024
