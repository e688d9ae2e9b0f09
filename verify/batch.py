"""``verify check --batch``: many texts checked in one process, one JSON object per line.

An input line is ``{"id": str, "text": str}`` plus, optionally, ``"context": [str, ...]``
(the text is checked against those passages only: the RAG case; without it, against the
index) and ``"question": str`` (the text is read as the answer to it, so that "Yes." or
"In 1997." are checkable). ``read_line`` turns a line into a ``BatchItem`` or a ``BadLine``;
``BatchChecker.check`` checks one item with models loaded and the index opened once per
process. Each line is one check: ``claim_timeout`` and ``run_timeout`` apply per line.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checks.evidence import EvidenceSource, IndexEvidence
from checks.judge import Judge
from reports import Outcome
from retrieval import Embedder, get_embedder

from .checker import Checker, context_evidence, make_cascade, open_index
from .config import Config
from .errors import ExitCode, exit_code_for
from .policy import BlockPolicy, exit_code

__all__ = [
    "BadLine",
    "BatchChecker",
    "BatchItem",
    "check_row",
    "decode_line",
    "error_line",
    "exit_code_of",
    "read_line",
    "read_record",
]

#: The most bytes one line's ``text`` may hold, as for ``verify check``.
MAX_TEXT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class BatchItem:
    id: str
    text: str
    context: tuple[str, ...] | None = None  # None: check against the index
    question: str | None = None


@dataclass(frozen=True)
class BadLine:
    """A line that could not be read as an item: its number, its id if one was read."""

    number: int
    message: str
    id: str | None = None


def read_line(raw: bytes, number: int) -> BatchItem | BadLine:
    """Line ``number`` (1-based) of the input as an item, or why it is not one."""
    record = decode_line(raw, number)
    return record if isinstance(record, BadLine) else read_record(record, number)


def decode_line(raw: bytes, number: int) -> object:
    """Line ``number`` decoded from JSON, or a ``BadLine`` saying why it is not JSON."""
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return BadLine(number, f"line {number}: not valid UTF-8 (byte {exc.start})")
    except ValueError as exc:  # JSONDecodeError is a ValueError
        return BadLine(number, f"line {number}: not JSON ({exc})")
    except RecursionError:
        return BadLine(number, f"line {number}: not JSON (nested too deeply)")


def read_record(record: object, number: int) -> BatchItem | BadLine:
    """A decoded line (line ``number``) as an item, or why it is not one."""
    if not isinstance(record, dict):
        return BadLine(number, f'line {number}: not a JSON object with "id" and "text"')
    ident = record.get("id")
    if not isinstance(ident, str):
        return BadLine(number, f'line {number}: "id" must be a string')
    problem = _problem(record)
    if problem:
        return BadLine(number, f"line {number} (id {ident!r}): {problem}", ident)
    context = record.get("context")
    return BatchItem(
        ident,
        record["text"],
        None if context is None else tuple(context),
        record.get("question"),
    )


def _problem(record: dict[str, Any]) -> str:
    text, context, question = record.get("text"), record.get("context"), record.get("question")
    if not isinstance(text, str):
        return '"text" must be a string'
    if not text.strip():
        return '"text" is empty: nothing to check'
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        return f'"text" is over the {MAX_TEXT_BYTES}-byte cap; split it'
    if context is not None and not (
        isinstance(context, list) and all(isinstance(c, str) for c in context)
    ):
        return '"context" must be a list of strings'
    if question is not None and not isinstance(question, str):
        return '"question" must be a string'
    return ""


def error_line(bad: BadLine) -> dict[str, Any]:
    """The output line of a line that was not checked: it blocks, and says why."""
    empty = Outcome((), "block").to_json()  # the check JSON's keys, with no claims
    return {"id": bad.id, "line": bad.number, "error": bad.message, **empty}


class BatchChecker:
    """Checks items one by one with one embedder, one judge and the index opened once."""

    def __init__(
        self,
        config: Config,
        *,
        index_dir: Path,
        embedder: str,
        judge: Judge | None = None,
        policy: BlockPolicy | None = None,
    ) -> None:
        self.config = config
        self.index_dir = index_dir
        self.precision = str(config["embedder_precision"])
        # an unknown name fails now (exit 2)
        self.embedder: Embedder = get_embedder(embedder, precision=self.precision)
        self.judge = judge
        self.policy = policy or BlockPolicy.from_config(config)
        self._index: IndexEvidence | None = None
        self._index_failed: Exception | None = None

    def check(self, item: BatchItem) -> Outcome:
        """The outcome of one item; raises what ``verify check`` would for its text."""
        evidence: EvidenceSource
        if item.context is not None:
            evidence = context_evidence(item.context, self.embedder)
        else:
            evidence = self._index_evidence()
        cascade = make_cascade(evidence, self.config, judge=self.judge, started=time.monotonic())
        return Checker(cascade, self.policy).check_text(item.text, item.question)

    def open_index(self) -> None:
        """Open the index now rather than at the first item that needs it (a worker that
        knows it will need it fails at its start, before any item is taken)."""
        self._index_evidence()

    def _embedder_of(self, name: str) -> Embedder:
        """The model an index was built with, where it is not ``embedder``'s."""
        return get_embedder(name, precision=self.precision)

    def _index_evidence(self) -> IndexEvidence:
        """The index, opened at the first item that needs it; a failure to open it is
        raised again for every such item, not retried."""
        if self._index_failed is not None:
            raise self._index_failed
        if self._index is None:
            try:
                index = open_index(self.index_dir, self.embedder, self._embedder_of)
            except Exception as exc:
                self._index_failed = exc
                raise
            self._index = IndexEvidence(index)
        return self._index

    def close(self) -> None:
        if self._index is not None:
            self._index.index.close()


def check_row(
    checker: BatchChecker, item: BatchItem, number: int, where: str = ""
) -> tuple[dict[str, Any], ExitCode]:
    """One item's output line and exit code: the check JSON plus ``"id"``, or, where the
    check raised, an error line (blocking, with the reason after ``where``, by default
    ``line <number>``) and the code the exception means. The one per-item step of
    ``verify check --batch`` and of every ``verify batch`` worker."""
    try:
        outcome = checker.check(item)
    except Exception as exc:  # this item could not be checked; the next may be
        why = " ".join(str(exc).split()) or type(exc).__name__
        bad = BadLine(number, f"{where or f'line {number}'}: {why}", item.id)
        return error_line(bad), exit_code_for(exc)
    return {"id": item.id, **outcome.to_json()}, exit_code(outcome.verdicts, outcome.decision)


def exit_code_of(codes: set[ExitCode]) -> ExitCode:
    """The batch's exit code from its lines' codes: a bad line (2) first, then a verdict
    that could not be computed (3), then a block (1), else pass (0)."""
    for code in (ExitCode.USAGE, ExitCode.INTERNAL, ExitCode.BLOCKED):
        if code in codes:
            return code
    return ExitCode.PASS
