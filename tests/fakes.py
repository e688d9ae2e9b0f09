"""Test doubles that go through the same interfaces as the real thing.

``HashEmbedder`` is a deterministic bag-of-words embedder: each lowercased word token is hashed
into one of 384 dimensions, and the vector is L2-normalised. Texts that share words are close,
texts that share none are orthogonal, and nothing is loaded from disk. It records what it was
asked to embed, so tests can count re-embedding, and it can be told to fail or to be slow.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

import retrieval

if TYPE_CHECKING:  # the subprocess tests import this module without pytest
    import pytest

__all__ = [
    "CORPUS_FILES",
    "CORPUS_RECORDS",
    "FAKE_EMBEDDER",
    "SMALL_MAX_BYTES",
    "Built",
    "EmbedderCrashed",
    "HashEmbedder",
    "deny_reading",
    "register",
    "write_bad_files",
    "write_corpus",
]

FAKE_EMBEDDER = "fake-hash"
_WORD = re.compile(r"\w+")


class EmbedderCrashed(RuntimeError):
    """Raised by a ``HashEmbedder`` told to fail, standing in for a model crash."""


class HashEmbedder(retrieval.Embedder):
    name = FAKE_EMBEDDER
    dim = 384

    def __init__(self, *, fail_after: int | None = None, delay: float = 0.0) -> None:
        self.fail_after = fail_after  # raise once this many texts have been embedded
        self.delay = delay  # seconds to sleep per batch
        self.calls = 0  # embed_batch calls
        self.texts: list[str] = []  # every text embedded, in order

    def embed_batch(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls += 1
        if self.fail_after is not None and len(self.texts) + len(texts) > self.fail_after:
            raise EmbedderCrashed(f"fake embedder told to fail after {self.fail_after} texts")
        if self.delay:
            time.sleep(self.delay)
        self.texts.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        unit: npt.NDArray[np.float32] = (out / norms).astype(np.float32)
        return unit


def register() -> None:
    """Make ``--embedder fake-hash`` and indexes built with it usable, by the public path."""
    retrieval.register_embedder(FAKE_EMBEDDER, HashEmbedder)


# -- a small corpus about a fictional service, with distinct words per file ------------

CORPUS_FILES: dict[str, str] = {
    "docs/gateway.md": """\
# Upload Gateway

The upload gateway accepts chunked uploads from customers.

## Ports

The gateway listens on port 8443 for HTTPS traffic.
Health checks are served on port 9100.

## Restarting

To restart the gateway, drain the node first, then run the restart script.
""",
    "docs/retention.md": """\
# Data Retention

Raw uploads are kept for fourteen days after transcoding finishes.

Audit logs are kept for four hundred days.
""",
    "config/service.yaml": """\
gateway:
  listen_port: 8443
  max_body_mb: 512
transcoder:
  workers: 6
  queue: ffmpeg-jobs
""",
    "src/quota.py": '''\
"""Quota accounting for tenants."""

LIMIT = 100


def remaining_quota(used: int) -> int:
    """How many uploads a tenant has left today."""
    return LIMIT - used


class QuotaLedger:
    def charge(self, tenant: str) -> None:
        pass
''',
    "notes.txt": """\
Oncall rotation changes every Monday at noon.

Escalate pager incidents to the duty manager after thirty minutes.
""",
}

CORPUS_RECORDS = [
    {"id": "faq-1", "title": "Billing", "text": "Invoices are emailed on the first business day."},
    {"id": "faq-2", "title": "Regions", "text": "Storage is replicated across three regions."},
]


def write_corpus(root: Path) -> Path:
    """Write the standard test corpus under ``root``; returns ``root``."""
    for rel, text in CORPUS_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    lines = [json.dumps(r) for r in CORPUS_RECORDS]
    (root / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@dataclass
class Built:
    """An index built by the ``built_index`` fixture, and how."""

    folder: Path
    report: retrieval.BuildReport
    embedder: HashEmbedder


# -- bad input: every kind of file the loader must skip, with the reason it must give ------


def write_bad_files(root: Path, outside: Path) -> dict[str, str]:
    """Add unindexable files under ``root``; returns {source: words its skip reason holds}.

    ``outside`` is a folder beside (not under) ``root`` for a link to lead into. The file
    ``locked.md`` is readable on disk: make it unreadable with ``deny_reading``.
    """
    root.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    (root / "nul.txt").write_bytes(b"text then a NUL\x00 byte")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (root / "latin1.md").write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    (root / "empty.md").write_bytes(b"")
    (root / "blank.txt").write_text("  \n\t\n\n", encoding="utf-8")
    (root / "huge.txt").write_text("big words " * 400, encoding="utf-8")  # 4000 bytes
    (root / "locked.md").write_text("# Locked\n\nNobody may read this.\n", encoding="utf-8")
    (outside / "secret.md").write_text("# Secret\n\nOutside the corpus.\n", encoding="utf-8")
    (root / "escape.md").symlink_to(outside / "secret.md")
    (root / "dangling.md").symlink_to(root / "no-such-file.md")
    (root / "linked-dir").symlink_to(outside, target_is_directory=True)
    os.mkfifo(root / "pipe.txt")
    return {
        "nul.txt": "binary",
        "logo.png": "binary",
        "latin1.md": "invalid UTF-8",
        "empty.md": "empty",
        "blank.txt": "empty",
        "huge.txt": "huge",
        "locked.md": "unreadable",
        "escape.md": "outside the corpus root",
        "dangling.md": "broken link",
        "linked-dir": "link to a folder",
        "pipe.txt": "not a regular file",
    }


#: A cap that ``huge.txt`` of ``write_bad_files`` exceeds and every good file fits.
SMALL_MAX_BYTES = 2000


def deny_reading(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make files called ``name`` fail to read with EACCES, as chmod 000 would for non-root.

    Tests run as root, for whom chmod 000 changes nothing; so the read itself is made to fail.
    """
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == name:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
