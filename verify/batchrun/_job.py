"""One ``verify batch`` run: read the inputs, skip what is done, check the rest, write by id.

1. ``scan`` reads every input once: keys (unique), bad lines, whether the index is needed.
   Anything wrong with the inputs as a whole stops the run here, before a byte is written.
2. The journal (the JSONL output) is opened, new or resumed: its ids are done.
3. Bad lines not yet written get their error lines; the items not yet done are read again,
   lazily, in batches, and handed to the engine, whose lines the journal appends as they
   come back. The progress bar counts them.
4. With ``--format parquet`` the whole journal becomes the Parquet file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..batch import BadLine, error_line
from ..errors import ExitCode, InputError, InternalError
from ._inputs import Entry, entries, scan
from ._journal import Journal
from ._progress import Progress
from ._worker import Payload, WorkerSpec, payload

__all__ = ["ENGINES", "OUT_FORMATS", "Job", "Report", "journal_path", "run"]

ENGINES = ("local", "ray")
OUT_FORMATS = ("jsonl", "parquet")


@dataclass(frozen=True)
class Job:
    inputs: tuple[Path, ...]
    out: Path
    input_format: str = "items"
    out_format: str = "jsonl"
    engine: str = "local"
    workers: int | None = None  # local: 1; ray: one per CPU of the cluster
    address: str | None = None
    resume: bool = False
    batch_size: int = 16
    quiet: bool = False


@dataclass(frozen=True)
class Report:
    """What a run did; ``exit_code`` covers every line of the output, resumed ones too."""

    out: Path
    total: int
    new: int
    resumed: int
    seconds: float
    decisions: dict[str, int]
    errors: int
    first_error: str
    exit_code: ExitCode

    def summary(self) -> str:
        rate = self.new / self.seconds if self.seconds > 0 else 0.0
        counts = ", ".join(f"{n} {d}" for d, n in sorted(self.decisions.items()))
        return (
            f"verify: {self.total} results in {self.out} ({self.new} new, {self.resumed} "
            f"resumed; {counts}) in {self.seconds:.1f} s, {rate:.1f} items/s"
        )


def journal_path(job: Job) -> Path:
    """Where the JSON lines go: ``--out`` itself, or ``<OUT>.jsonl`` beside a Parquet file."""
    return job.out if job.out_format == "jsonl" else job.out.with_name(job.out.name + ".jsonl")


def run(job: Job, spec: WorkerSpec) -> Report:
    found = scan(job.inputs, job.input_format)
    if found.needs_index and not Path(spec.index_dir).is_dir():
        raise InputError(
            f"no index at {spec.index_dir!r}, and items without a context are checked against "
            "it: build it with `verify index PATH... --index DIR`, or give each item a context"
        )
    if job.out_format == "parquet" and job.out.exists() and not job.resume:
        raise InputError(
            f"{str(job.out)!r} already exists: pass --resume to continue the run that wrote "
            "it, or remove it to start over"
        )
    spec = replace(spec, needs_index=found.needs_index)
    started = time.monotonic()
    journal = Journal.open(journal_path(job), resume=job.resume)
    try:
        resumed = len(journal.done & found.keys)
        with Progress(found.total, resumed, quiet=job.quiet) as progress:

            def sink(rows: list[dict[str, Any]]) -> None:
                progress.advance(journal.write(rows))

            sink([_bad_row(e) for e in found.bad if e.key not in journal.done])
            todo = len(found.keys - journal.done)
            if todo:  # no worker is started for nothing
                batches = -(-todo // job.batch_size)
                workers = None if job.workers is None else min(job.workers, batches)
                _engine(replace(job, workers=workers), spec, _pending(job, journal.done), sink)
        missing = found.keys - journal.done
        if missing:
            raise InternalError(
                f"{len(missing)} item(s) got no result line (one: {min(missing)!r}); "
                "run again with --resume to check them"
            )
    finally:
        journal.close()
    if job.out_format == "parquet":
        from ._parquet import write_parquet

        write_parquet(journal.path, job.out)
    return Report(
        job.out,
        len(journal.done),
        len(journal.done) - journal.resumed,
        journal.resumed,
        time.monotonic() - started,
        dict(journal.decisions),
        journal.errors,
        journal.first_error,
        journal.exit_code(),
    )


def _engine(
    job: Job,
    spec: WorkerSpec,
    batches: Iterator[list[Payload]],
    sink: Callable[[list[dict[str, Any]]], None],
) -> None:
    if job.engine == "ray":
        from ._ray import run_ray

        run_ray(
            spec,
            batches,
            sink,
            workers=job.workers,
            address=job.address,
            batch_size=job.batch_size,
        )
    else:
        from ._local import run_local

        run_local(spec, batches, sink, workers=job.workers or 1)


def _pending(job: Job, done: Set[str]) -> Iterator[list[Payload]]:
    """The items not yet done, read again lazily, ``job.batch_size`` at a time. ``done``
    is live, but a key is read only once, so only lines written before it count."""
    batch: list[Payload] = []
    for path in job.inputs:
        for entry in entries(path, job.input_format):
            if entry.item is not None and entry.key not in done:
                batch.append(payload(entry))
                if len(batch) >= job.batch_size:
                    yield batch
                    batch = []
    if batch:
        yield batch


def _bad_row(entry: Entry) -> dict[str, Any]:
    """The error line of an input line that is not an item (exit 2 at the end)."""
    row = error_line(BadLine(entry.number, entry.error, entry.key))
    return {**row, "source": entry.source, "exit_code": int(ExitCode.USAGE)}
