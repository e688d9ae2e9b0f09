"""The work of one ``verify batch`` worker: a local process or a Ray actor, the same code.

A ``Worker`` is built once per process from a ``WorkerSpec`` (plain data, pickled to the
process or actor): it loads the plugins, limits the math libraries to its share of threads,
builds one ``BatchChecker`` (models load once, at the first item that needs them) and opens
the index if any item needs it. ``Worker.check`` turns payloads (``payload(entry)``) into
output lines with ``verify.batch.check_row``, the step ``verify check --batch`` takes per line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..batch import BatchChecker, BatchItem, check_row
from ..checker import judge_from
from ..config import Config
from ..policy import BlockPolicy
from . import _plugins
from ._inputs import Entry

__all__ = ["Payload", "Worker", "WorkerSpec", "limit_threads", "payload"]

#: One item as it travels to a worker: id, text, context, question, source, line.
Payload = dict[str, Any]

#: Environment variables that bound the threads of numerical libraries, read at their import.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs to check items as the driver would, on any machine."""

    config: Config
    policy: BlockPolicy
    index_dir: str  # absolute: every worker, on every node, opens this path read-only
    embedder: str
    judge: str | None = None
    plugins: tuple[str, ...] = ()
    needs_index: bool = False
    threads: int = 1  # per worker: N workers on N cores, not N x N threads


def payload(entry: Entry) -> Payload:
    """What a worker needs of an entry holding an item."""
    assert entry.item is not None, "a bad line is written by the driver, not checked"
    item = entry.item
    return {
        "id": item.id,
        "text": item.text,
        "context": None if item.context is None else list(item.context),
        "question": item.question,
        "source": entry.source,
        "line": entry.number,
    }


def limit_threads(threads: int) -> None:
    """Bound this process's math libraries to ``threads`` threads (torch reads
    ``OMP_NUM_THREADS`` when it is imported; if it already is, it is told directly)."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


class Worker:
    """One process's checker; ``check`` is the per-item work of every engine."""

    def __init__(self, spec: WorkerSpec) -> None:
        limit_threads(spec.threads)
        _plugins.load(spec.plugins)
        self.checker = BatchChecker(
            spec.config,
            index_dir=Path(spec.index_dir),
            embedder=spec.embedder,
            judge=judge_from(spec.judge),
            policy=spec.policy,
        )
        if spec.needs_index:
            self.checker.open_index()

    def check(self, payloads: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """One output line per payload, in order; an item that fails to be checked gets
        an error line with its ``source``, ``line`` and ``exit_code``, never an exception."""
        rows = []
        for p in payloads:
            context = p["context"]
            item = BatchItem(
                p["id"], p["text"], None if context is None else tuple(context), p["question"]
            )
            row, code = check_row(self.checker, item, p["line"], f"{p['source']}:{p['line']}")
            if "error" in row:
                row.update(source=p["source"], exit_code=int(code))
            rows.append(row)
        return rows

    def close(self) -> None:
        self.checker.close()
