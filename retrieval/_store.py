"""The on-disk layout of an index: immutable generations behind an atomic ``CURRENT`` pointer.

    INDEX/CURRENT              name of the live generation (replaced atomically)
    INDEX/g-<id>/chunks.sqlite chunk text and metadata, FTS5 table, segments, files, meta
    INDEX/g-<id>/vectors.npy   one L2-normalised float32 row per segment
    INDEX/g-<id>/vectors.faiss FAISS index over those rows, HNSW or IVF by their number
                               (none for exact search: see ``_vectors``)

    INDEX/g-<id>.tmp/          a generation being written (renamed to g-<id> when whole)
    INDEX/CURRENT.tmp          the next CURRENT, being written
    INDEX/.lock                the writer lock (``_lock``)

A writer builds a whole new generation beside the live one and then swaps ``CURRENT``; a
crash or kill at any point leaves the previous generation live and intact. What a killed
writer leaves (the two ``.tmp`` names above) is cleared by the next writer as soon as it
holds the lock (``clear_unfinished``): while it holds the lock no other writer can be at work,
so the lock, not the age of the files, says they are dead.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from pathlib import Path

from ._errors import IndexCorrupt, IndexMissing

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "clear_unfinished",
    "connect",
    "current_generation",
    "fsync_dir",
    "new_generation",
    "publish",
    "remove_stale",
]

SCHEMA_VERSION = "4"  # bump when chunking or segmenting changes: forces a rebuild
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL,
    superseded INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, source TEXT NOT NULL,
    start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, text TEXT NOT NULL,
    heading TEXT NOT NULL, kind TEXT NOT NULL, superseded INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE INDEX IF NOT EXISTS chunks_chunk_id ON chunks(chunk_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, heading, tokenize = 'porter unicode61');
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY, chunk INTEGER NOT NULL, line INTEGER NOT NULL,
    text TEXT NOT NULL, row INTEGER);
CREATE INDEX IF NOT EXISTS segments_chunk ON segments(chunk);
CREATE INDEX IF NOT EXISTS segments_row ON segments(row);
CREATE TABLE IF NOT EXISTS skipped (source TEXT NOT NULL, reason TEXT NOT NULL);
"""


def _rebuild_hint(folder: Path) -> str:
    return f"rebuild it with `verify index PATH... --index {folder} --rebuild`"


def current_generation(folder: Path) -> Path:
    """The live generation of the index at ``folder``; IndexMissing/IndexCorrupt otherwise."""
    pointer = folder / "CURRENT"
    if not pointer.is_file():
        raise IndexMissing(
            f"no index at {str(folder)!r}; build one with `verify index PATH... --index {folder}`"
        )
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(
            f"index {str(folder)!r}: unreadable CURRENT ({exc}); " + _rebuild_hint(folder)
        ) from exc
    gen = folder / name
    if not name.startswith("g-") or "/" in name or not (gen / "chunks.sqlite").is_file():
        raise IndexCorrupt(
            f"index {str(folder)!r} points at a missing generation {name!r}; "
            + _rebuild_hint(folder)
        )
    return gen


def connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    try:
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        else:
            conn = sqlite3.connect(path)
            conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("SELECT count(*) FROM meta").fetchone()
    except sqlite3.DatabaseError as exc:
        raise IndexCorrupt(
            f"index database {str(path)!r} is corrupt ({exc}); " + _rebuild_hint(path.parent.parent)
        ) from exc
    return conn


def new_generation(folder: Path) -> Path:
    gen = folder / f"g-{uuid.uuid4().hex[:12]}.tmp"
    gen.mkdir(parents=True)
    return gen


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(folder: Path, tmp_gen: Path) -> Path:
    """Make ``tmp_gen`` live: rename it to its final name, then swap CURRENT atomically."""
    for f in tmp_gen.iterdir():
        with f.open("rb") as fh:
            os.fsync(fh.fileno())
    final = tmp_gen.with_name(tmp_gen.name.removesuffix(".tmp"))
    tmp_gen.rename(final)
    fsync_dir(folder)
    pointer_tmp = folder / "CURRENT.tmp"
    with pointer_tmp.open("w", encoding="utf-8") as fh:
        fh.write(final.name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    pointer_tmp.replace(folder / "CURRENT")
    fsync_dir(folder)
    return final


def clear_unfinished(folder: Path) -> None:
    """Remove what killed writers left: unfinished generations and a half-written pointer.

    Call only while holding the writer lock (no live writer can own them then).
    """
    remove_stale(folder, keep={g.name for g in folder.glob("g-*") if g.suffix != ".tmp"})
    with contextlib.suppress(OSError):
        (folder / "CURRENT.tmp").unlink()


def remove_stale(folder: Path, keep: set[str]) -> None:
    """Remove unfinished and old generations, keeping the names in ``keep``."""
    for gen in folder.glob("g-*"):
        if gen.name in keep or not gen.is_dir() or gen.is_symlink():
            continue
        for f in gen.iterdir():
            with contextlib.suppress(OSError):
                f.unlink()
        with contextlib.suppress(OSError):
            gen.rmdir()
