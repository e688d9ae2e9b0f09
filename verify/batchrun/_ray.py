"""``--engine ray``: the same per-item work as Ray Data batch inference, across a cluster.

The driver puts the items to check into Ray's object store as small Arrow tables (one
column: the JSON of each payload), then ``map_batches`` runs them through ``RayChecker``, a
callable class: Ray Data starts ``concurrency`` actors, each builds one ``Worker`` (models
loaded once per actor; the index opened read-only at the path in the spec) and checks batch
after batch. The driver iterates the output as blocks finish and writes each line by id.
An actor that dies is restarted by Ray and its task retried (Ray Data's defaults: no limit,
so an item that kills its process every time holds the run up; the local engine gives such an
item an error line instead); a line that comes back twice is written once.

Ray is an optional extra (``pip install 'verify[ray]'``); it is imported only here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import ExitCode, InputError, InternalError, exit_code_for
from ._local import Sink
from ._worker import Payload, Worker, WorkerSpec

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["RayChecker", "run_ray"]

#: Batches per block put into the object store: a block is one actor task, the unit Ray
#: retries and the driver receives; small, so that lines arrive steadily and the last
#: blocks spread over the actors.
BLOCK_BATCHES = 2
#: Tasks queued on an actor beyond the one it runs (Ray's default, 4, can leave one actor
#: with the tail of the run while the others wait).
IN_FLIGHT = 2


class RayChecker:
    """A Ray Data callable class: one ``Worker`` per actor, one Arrow batch per call."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.worker = Worker(spec)

    def __call__(self, batch: pa.Table) -> pa.Table:
        import pyarrow as pa

        payloads = [json.loads(text) for text in batch.column("payload").to_pylist()]
        rows = self.worker.check(payloads)
        return pa.table({"row": [json.dumps(row) for row in rows]})


def run_ray(
    spec: WorkerSpec,
    batches: Iterator[list[Payload]],
    sink: Sink,
    *,
    workers: int | None,
    address: str | None,
    batch_size: int,
) -> None:
    """Check every batch on a Ray cluster (``address``; None: the one ``RAY_ADDRESS`` names,
    else a new local one), with ``workers`` actors (None: one per CPU of the cluster)."""
    try:
        import pyarrow as pa
        import ray
        import ray.data
    except ImportError as exc:
        raise InputError(
            f"--engine ray needs Ray Data ({exc}); install it: pip install 'verify[ray]'"
        ) from exc
    owned = not ray.is_initialized()
    if owned:
        _connect(ray, address)
    try:
        _probe(ray, spec)
        _quiet_ray_data(ray)
        refs: list[Any] = []
        for chunk in _chunks(batches, batch_size * BLOCK_BATCHES):
            table = pa.table({"payload": [json.dumps(p) for p in chunk]})
            refs.append(ray.put(table))
        if not refs:
            return
        cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
        concurrency = min(workers or max(1, int(cpus)), len(refs))
        results = ray.data.from_arrow_refs(refs).map_batches(
            RayChecker,
            fn_constructor_kwargs={"spec": spec},
            batch_size=batch_size,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(
                size=concurrency, max_tasks_in_flight_per_actor=IN_FLIGHT
            ),
            num_cpus=spec.threads,
        )
        try:
            block: Any
            for block in results.iter_batches(batch_size=None, batch_format="pyarrow"):
                sink([json.loads(text) for text in block.column("row").to_pylist()])
        except ray.exceptions.RayError as exc:
            why = " ".join(str(exc).split())[:500]
            raise InternalError(
                f"the Ray job failed ({type(exc).__name__}: {why}); the lines written so far "
                "are kept: --resume goes on from them"
            ) from exc
    finally:
        if owned:
            ray.shutdown()


def _quiet_ray_data(ray: Any) -> None:
    """No progress bars or execution logs of Ray Data's own: ours are on stderr already."""
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    # it says once that the bars are off, as a warning: we turned them off
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)


def _connect(ray: Any, address: str | None) -> None:
    try:
        if address is None:
            ray.init(include_dashboard=False, logging_level=logging.WARNING)
        else:
            ray.init(address=address, logging_level=logging.WARNING)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        where = f" at {address!r}" if address else ""
        cause = f" ({str(exc.__cause__).split('. ')[0]})" if exc.__cause__ else ""
        raise InputError(f"cannot reach a Ray cluster{where}: {exc}{cause}") from exc


def _probe(ray: Any, spec: WorkerSpec) -> None:
    """Build one worker on the cluster before the run, so that what would stop every actor
    (a plugin that does not import there, an index missing at the spec's path) is one clear
    line and its exit code, not a hung actor pool."""
    failed: tuple[int, str] | None = ray.get(ray.remote(num_cpus=0)(_try_worker).remote(spec))
    if failed is not None:
        code, why = failed
        raise (InputError if code == ExitCode.USAGE else InternalError)(f"on the cluster: {why}")


def _try_worker(spec: WorkerSpec) -> tuple[int, str] | None:
    try:
        Worker(spec).close()
    except Exception as exc:
        return int(exit_code_for(exc)), " ".join(str(exc).split()) or type(exc).__name__
    return None


def _chunks(batches: Iterator[list[Payload]], size: int) -> Iterator[list[Payload]]:
    chunk: list[Payload] = []
    for batch in batches:
        chunk.extend(batch)
        while len(chunk) >= size:
            yield chunk[:size]
            chunk = chunk[size:]
    if chunk:
        yield chunk
