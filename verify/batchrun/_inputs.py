"""What ``verify batch`` reads: items to check, keyed by id, from three kinds of file.

- ``items`` (default): ``verify check --batch`` lines, ``{"id", "text"}`` plus optional
  ``"context"`` and ``"question"`` (``verify.batch.read_line``); the id is the line's own.
- ``transcript``: a recorded agent run (``verify run --replay``), one turn per line; each
  ``answer`` turn is an item checked against the index, with id ``<file>:<line>``; other
  turns (searches, file writes, commands) are not texts to check and are passed over.
- ``openai-jsonl``: a chat-completion log (``verify usage import --from openai-jsonl``); the
  text of each line's first choice is an item with id ``<file>:<line>``, read as the answer
  to the request's last user message where that is a string. Lines without text (tool calls
  only) are passed over.

``<file>`` is the input path as given on the command line. A line that cannot be read as an
item is an ``Entry`` with an ``error`` (its id the line's own if one was read, else
``<file>:<line>``): it becomes an error line of the output, never a crash. Ids must be
unique across all inputs (they key the output and ``--resume``): ``scan`` refuses a
repeated one before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..batch import BadLine, BatchItem, decode_line, read_line, read_record
from ..errors import InputError

__all__ = ["FORMATS", "Entry", "Scan", "entries", "scan"]

FORMATS = ("items", "transcript", "openai-jsonl")


@dataclass(frozen=True)
class Entry:
    """Line ``number`` of ``source``: an item to check, or why it is not one."""

    key: str
    source: str
    number: int
    item: BatchItem | None
    error: str = ""

    @property
    def where(self) -> str:
        return f"{self.source}:{self.number}"


def entries(path: Path, fmt: str) -> Iterator[Entry]:
    """The entries of the file at ``path`` in format ``fmt``, in order."""
    source = str(path)
    reader = _READERS[fmt]
    try:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, 1):
                if raw.strip():
                    entry = reader(raw, number, source)
                    if entry is not None:
                        yield entry
    except OSError as exc:
        raise InputError(f"cannot read {source!r}: {exc.strerror or exc}") from exc


@dataclass
class Scan:
    """What a first pass over the inputs found: every key, and whether the index is needed."""

    keys: set[str] = field(default_factory=set)
    bad: list[Entry] = field(default_factory=list)
    needs_index: bool = False

    @property
    def total(self) -> int:
        return len(self.keys)


def scan(paths: Sequence[Path], fmt: str) -> Scan:
    """Read every input once: their keys (unique, else ``InputError``), the bad lines, and
    whether an item has no context (so the index is needed)."""
    found = Scan()
    first: dict[str, str] = {}
    for path in paths:
        for entry in entries(path, fmt):
            if entry.key in first:
                raise InputError(
                    f"{entry.where}: id {entry.key!r} is also on {first[entry.key]}; ids key the "
                    "output and --resume, so each must be unique across the inputs"
                )
            first[entry.key] = entry.where
            found.keys.add(entry.key)
            if entry.item is None:
                found.bad.append(entry)
            elif entry.item.context is None:
                found.needs_index = True
    return found


def _items(raw: bytes, number: int, source: str) -> Entry:
    item = read_line(raw, number)
    if isinstance(item, BadLine):
        return Entry(
            item.id or f"{source}:{number}", source, number, None, f"{source}: {item.message}"
        )
    return Entry(item.id, source, number, item)


def _transcript(raw: bytes, number: int, source: str) -> Entry | None:
    record = decode_line(raw, number)
    if isinstance(record, dict) and record.get("action") != "answer":
        return None  # a search, a file write, a command: nothing to check
    if isinstance(record, dict):
        record = {"text": record.get("text")}
    return _as_item(record, number, source)


def _openai(raw: bytes, number: int, source: str) -> Entry | None:
    record = decode_line(raw, number)
    if isinstance(record, dict):
        text, question = _completion(record)
        if text is None:
            return None  # tool calls only, or no choices: nothing to check
        record = {"text": text} if question is None else {"text": text, "question": question}
    return _as_item(record, number, source)


def _as_item(record: object, number: int, source: str) -> Entry:
    """A decoded record without an id of its own, keyed ``<source>:<number>``."""
    key = f"{source}:{number}"
    if isinstance(record, BadLine):
        return Entry(key, source, number, None, f"{source}: {record.message}")
    if not isinstance(record, dict):
        return Entry(key, source, number, None, f"{source}: line {number}: not a JSON object")
    item = read_record({**record, "id": key}, number)
    if isinstance(item, BadLine):
        return Entry(key, source, number, None, f"{source}: {item.message}")
    return Entry(key, source, number, item)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _completion(record: dict[str, Any]) -> tuple[str | None, str | None]:
    """The text of a chat-completion line's first choice (None if it has none) and the
    request's last user message, where each is a string."""
    response = _dict(record.get("response", record))
    response = _dict(response.get("body", response))
    choices = response.get("choices")
    if not isinstance(choices, list) or not choices:
        return None, None
    choice = _dict(choices[0])
    content = _dict(choice.get("message")).get("content", choice.get("text"))
    if isinstance(content, list):  # content parts
        content = " ".join(str(_dict(p).get("text", "")) for p in content)
    if not isinstance(content, str) or not content.strip():
        return None, None
    messages = _dict(record.get("request")).get("messages")
    messages = messages if isinstance(messages, list) else []
    asked = [_dict(m).get("content") for m in messages if _dict(m).get("role") == "user"]
    question = asked[-1] if asked and isinstance(asked[-1], str) else None
    return content, question


_READERS = {"items": _items, "transcript": _transcript, "openai-jsonl": _openai}
