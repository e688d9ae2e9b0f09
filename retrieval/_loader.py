"""Walk corpus paths into text documents, skipping what cannot be indexed with a reason."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ._errors import CorpusError

__all__ = [
    "MAX_FILE_BYTES",
    "SKIP_DIRS",
    "Document",
    "Skipped",
    "corpus_root",
    "iter_documents",
    "kind_of",
]

#: Files larger than this are skipped ("huge"); override with ``max_bytes``. A corpus.jsonl
#: holds many documents, one a line: it may be ``JSONL_FACTOR`` times larger.
MAX_FILE_BYTES = 5 * 1024 * 1024
JSONL_FACTOR = 100

SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".verify",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".tox",
    "dist",
    "build",
}
_KINDS = {
    "markdown": {".md", ".markdown", ".mdx"},
    "rst": {".rst"},
    "text": {".txt", ".text", ""},
    "config": {".yaml", ".yml", ".toml", ".json", ".ini", ".cfg", ".conf", ".env", ".properties"},
    "python": {".py", ".pyi"},
    "code": {
        ".js",
        ".ts",
        ".tsx",
        ".jsx",
        ".go",
        ".rs",
        ".java",
        ".kt",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".hpp",
        ".cs",
        ".rb",
        ".php",
        ".sh",
        ".bash",
        ".sql",
        ".swift",
        ".scala",
        ".lua",
        ".r",
        ".pl",
        ".proto",
        ".graphql",
        ".tf",
        ".hcl",
        ".mk",
        ".cmake",
    },
    "jsonl": {".jsonl"},
}
_BINARY_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".pdf",
    ".zip",
    ".gz",
    ".tar",
    ".whl",
    ".so",
    ".o",
    ".a",
    ".dll",
    ".exe",
    ".bin",
    ".gguf",
    ".onnx",
    ".pt",
    ".npy",
    ".faiss",
    ".sqlite",
    ".db",
    ".ico",
    ".woff",
    ".woff2",
    ".pyc",
}
#: A document whose first lines say it is no longer current loses to one that is.
_SUPERSEDED = re.compile(
    r"\b(superseded|obsolete|deprecated|no longer (?:in force|current|valid|maintained))\b",
    re.IGNORECASE,
)
#: ... where a line says it of the document itself (``_superseded``): as a banner that opens
#: the line ("> **SUPERSEDED.** ...", "Deprecated: use v2"), as its status ("Status:
#: superseded", "| **Status** | Superseded by v4 |"), of "this version" (page, document, ...)
#: in the same clause, or as a tag of its title ("# Policy v2 (SUPERSEDED)"). Not where it is
#: said of something else: "It replaces version 3, which is superseded", "API v1: deprecated",
#: "This page lists flags that are deprecated", "# Leaving the deprecated v1 API".
_MARKUP = r"[\s>*_`|]*"
_SELF_SUPERSEDED = re.compile(
    rf"^{_MARKUP}(?:status{_MARKUP}[:|]{_MARKUP})?$|"
    r"\bthis (?:version|document|doc|page|policy|runbook|guide|file|record|adr|"
    r"spec(?:ification)?|procedure|process|reference)\b"
    r"(?:(?!\b(?:which|that|who)\b)[^.;:,])*$",
    re.IGNORECASE,
)
_TITLE = re.compile(r"^\s*#(?!#)")
_TAG_END = re.compile(r"\W*(?:$|[)\]:.,|*_]|[-—–]\s)")
_NAMED = {"Makefile": "code", "Dockerfile": "code", "README": "text", "LICENSE": "text"}


@dataclass(frozen=True)
class Document:
    """A readable file (or one record of a corpus.jsonl) and its text."""

    source: str  # path relative to the corpus root; ``file.jsonl#id`` for records
    kind: str
    text: str
    sha256: str
    title: str = ""
    line_offset: int = 0  # records: the 0-based line of the record in its .jsonl
    superseded: bool = False  # the document says, near its top, that it is no longer current


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.source, "reason": self.reason}


def kind_of(path: Path) -> str | None:
    if path.name in _NAMED:
        return _NAMED[path.name]
    suffix = path.suffix.lower()
    for kind, suffixes in _KINDS.items():
        if suffix in suffixes:
            return kind
    return None


def corpus_root(paths: Sequence[Path]) -> Path:
    """The folder sources are relative to: the common parent of the given paths."""
    resolved = []
    for p in paths:
        if not p.exists():
            raise CorpusError(f"corpus path {str(p)!r} does not exist; give a file or a folder")
        r = p.resolve()
        resolved.append(r if r.is_dir() else r.parent)
    return Path(os.path.commonpath([str(r) for r in resolved]))


def iter_documents(
    paths: Sequence[Path], root: Path, *, max_bytes: int = MAX_FILE_BYTES
) -> Iterator[Document | Skipped]:
    """Yield every document under ``paths``, or a ``Skipped`` saying why a file was left out."""
    seen: set[Path] = set()
    for path in paths:
        for file in _walk(path, root):
            if isinstance(file, Skipped):
                yield file
                continue
            real = file.resolve()
            if real in seen:
                continue
            seen.add(real)
            yield from _read(file, root, max_bytes)


def _rel(path: Path, root: Path) -> str:
    # the root is resolved; the path may run through a linked folder (keep its own name)
    for candidate in (path.absolute(), path.parent.resolve() / path.name):
        try:
            return candidate.relative_to(root).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def _walk(path: Path, root: Path) -> Iterator[Path | Skipped]:
    if path.is_file() or (path.is_symlink() and not path.is_dir()):
        yield path
        return
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        base = Path(dirpath)
        for d in dirnames:  # links to folders are not walked into, but said
            if (base / d).is_symlink():
                yield Skipped(_rel(base / d, root), "link to a folder (not followed)")
        dirnames[:] = [d for d in dirnames if not (base / d).is_symlink()]
        for name in sorted(filenames):
            if not name.startswith("."):
                yield base / name


def _read(path: Path, root: Path, max_bytes: int) -> Iterator[Document | Skipped]:
    source = _rel(path, root)
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            yield Skipped(source, "broken link")
            return
        if not target.is_relative_to(root):
            yield Skipped(source, "link leads outside the corpus root")
            return
    if not path.is_file():  # a FIFO would block the read for ever; sockets, devices
        yield Skipped(source, "not a regular file")
        return
    kind = kind_of(path)
    if path.suffix.lower() in _BINARY_SUFFIXES:
        yield Skipped(source, "binary file")
        return
    try:
        size = path.stat().st_size
        cap = max_bytes * JSONL_FACTOR if kind == "jsonl" else max_bytes
        if size > cap:
            yield Skipped(source, f"huge file ({size} bytes > cap of {cap})")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield Skipped(source, f"unreadable ({exc.strerror or exc.__class__.__name__})")
        return
    if b"\0" in data[:8192]:
        yield Skipped(source, "binary file")
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield Skipped(source, f"invalid UTF-8 at byte {exc.start}")
        return
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        yield Skipped(source, "empty file")
        return
    if kind is None:
        kind = "text"  # unknown suffix but valid UTF-8 text: index it as plain text
    digest = hashlib.sha256(data).hexdigest()
    if kind == "jsonl":
        yield from _records(source, text)
        return
    head = "\n".join(text.splitlines()[:8])
    yield Document(
        source,
        kind,
        text,
        digest,
        title=_title(source, kind, text),
        superseded=_superseded(head),
    )


def _superseded(head: str) -> bool:
    """Whether a document's first lines say that it is no longer current: of itself
    (``_SELF_SUPERSEDED``), or as a tag of its title."""
    for line in head.splitlines():
        for marker in _SUPERSEDED.finditer(line):
            before, after = line[: marker.start()], line[marker.end() :]
            if _SELF_SUPERSEDED.search(before):
                return True
            if _TITLE.match(before) and _TAG_END.match(after):
                return True
    return False


def _records(source: str, text: str) -> Iterator[Document | Skipped]:
    """Records of a corpus.jsonl: one document per line with ``id``, ``title``, ``text``."""
    first_line: dict[str, int] = {}  # record id -> the line it was first seen on
    for n, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except (ValueError, RecursionError):  # syntax, too deep, a number with too many digits
            yield Skipped(f"{source}:{n + 1}", "malformed JSON line")
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            yield Skipped(f"{source}:{n + 1}", "record without a string 'text'")
            continue
        body = rec["text"].strip()
        if not body:
            yield Skipped(f"{source}:{n + 1}", "empty record")
            continue
        rid = str(rec.get("id", n + 1))
        if not _unicode(body, rid, str(rec.get("title") or "")):
            yield Skipped(f"{source}:{n + 1}", "a lone surrogate escape (not valid Unicode)")
            continue
        if rid in first_line:
            yield Skipped(
                f"{source}:{n + 1}",
                f"duplicate record id {rid!r} (first on line {first_line[rid]})",
            )
            continue
        first_line[rid] = n + 1
        title = str(rec.get("title") or "").strip()
        # the line number is part of the record: a record that moves must be re-chunked,
        # or its chunks would keep pointing at its old line
        digest = hashlib.sha256(f"{n + 1}\0{line}".encode()).hexdigest()
        yield Document(f"{source}#{rid}", "record", body, digest, title=title, line_offset=n)


def _unicode(*texts: str) -> bool:
    """Whether every text is encodable, i.e. holds no lone surrogate (JSON may escape one)."""
    try:
        for text in texts:
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _title(source: str, kind: str, text: str) -> str:
    if kind == "markdown":
        for line in text.splitlines()[:20]:
            if line.startswith("# "):
                return line[2:].strip()
    return Path(source).stem.replace("-", " ").replace("_", " ")
