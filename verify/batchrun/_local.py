"""``--engine local``: N worker processes on this machine, each loading the models once.

Workers are started with ``spawn`` (a fresh interpreter: no inherited threads or locks, and
torch limited to one thread before it loads). The driver hands each worker one batch at a
time over its own pipe and waits on every pipe and every process at once. A worker that dies
(killed, out of memory, a crash in native code) is replaced and its batch goes to the front
of the queue: no item is lost, and since a batch's lines come back in one message, none is
written twice. A batch that kills its worker twice is split into single items; an item that
kills its worker three times gets an error line instead of a fourth try.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

from ..batch import BadLine, error_line
from ..errors import ExitCode, InputError, InternalError, exit_code_for
from ._worker import Payload, Worker, WorkerSpec

__all__ = ["Sink", "run_local"]

#: Receives the output lines of a batch as they come back.
Sink = Callable[[list[dict[str, Any]]], None]

DEATHS_BEFORE_SPLIT = 2
DEATHS_PER_ITEM = 3
START_FAILURES = 3  # workers in a row that die before they are ready: stop
STOP_GRACE = 10.0  # seconds a worker gets to finish after the last batch


def run_local(
    spec: WorkerSpec, batches: Iterator[list[Payload]], sink: Sink, *, workers: int
) -> None:
    """Check every batch on ``workers`` processes, handing each batch's lines to ``sink``."""
    pool = _Pool(get_context("spawn"), spec, sink)
    clean = False
    try:
        pool.run(batches, workers)
        clean = True
    finally:
        pool.stop(grace=STOP_GRACE if clean else 0.0)


@dataclass
class _Work:
    payloads: list[Payload]
    deaths: int = 0  # workers that died holding it


class _Slot:
    """One worker process, its pipe, and the batch it holds."""

    def __init__(self, ctx: SpawnContext, spec: WorkerSpec) -> None:
        self.conn, child = ctx.Pipe()
        self.process: SpawnProcess = ctx.Process(
            target=_serve, args=(child, spec), name="verify-batch-worker"
        )
        self.process.start()
        child.close()
        self.ready = False
        self.work: _Work | None = None


class _Pool:
    def __init__(self, ctx: SpawnContext, spec: WorkerSpec, sink: Sink) -> None:
        self.ctx, self.spec, self.sink = ctx, spec, sink
        self.slots: list[_Slot] = []
        self.retry: deque[_Work] = deque()
        self.start_failures = 0

    def run(self, batches: Iterator[list[Payload]], workers: int) -> None:
        self.slots = [_Slot(self.ctx, self.spec) for _ in range(workers)]
        source = iter(batches)
        exhausted = False
        while True:
            for slot in self.slots:
                if slot.ready and slot.work is None:
                    work = self.retry.popleft() if self.retry else None
                    if work is None and not exhausted:
                        batch = next(source, None)
                        exhausted = batch is None
                        work = None if batch is None else _Work(batch)
                    if work is not None:
                        self._send(slot, work)
            busy = [s for s in self.slots if s.work is not None]
            if exhausted and not self.retry and not busy:
                return
            ready = wait([s.conn for s in self.slots] + [s.process.sentinel for s in self.slots])
            for slot in list(self.slots):
                if slot.conn in ready or slot.process.sentinel in ready:
                    self._service(slot)

    def _send(self, slot: _Slot, work: _Work) -> None:
        slot.work = work
        try:
            slot.conn.send(work.payloads)
        except OSError:  # the worker is gone: its sentinel says so next, and the batch is retried
            slot.process.kill()

    def _service(self, slot: _Slot) -> None:
        """Read what ``slot`` sent; replace it if it died."""
        alive = True
        while alive:
            try:
                if not slot.conn.poll():
                    break
                message = slot.conn.recv()
            except Exception:  # EOF, or a message cut short by the worker's death
                alive = False
            else:
                self._handle(slot, message)
        if not alive or not slot.process.is_alive():
            self._replace(slot)

    def _handle(self, slot: _Slot, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "ready":
            slot.ready, self.start_failures = True, 0
        elif kind == "failed":  # the worker could not be built: nothing would go better
            _, code, why = message
            raise (InputError if code == ExitCode.USAGE else InternalError)(why)
        elif kind == "rows":
            slot.work = None
            self.sink(message[1])

    def _replace(self, slot: _Slot) -> None:
        slot.conn.close()
        slot.process.join(timeout=5)
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join()
        how = _death(slot.process.exitcode)
        if not slot.ready:
            self.start_failures += 1
            if self.start_failures >= START_FAILURES:
                raise InternalError(
                    f"verify batch: {START_FAILURES} worker processes in a row died before "
                    f"they were ready (the last {how}); run with --workers 1 and "
                    "VERIFY_DEBUG=1 to see why"
                )
        if slot.work is not None:
            self._requeue(slot.work, how)
        self.slots[self.slots.index(slot)] = _Slot(self.ctx, self.spec)

    def _requeue(self, work: _Work, how: str) -> None:
        work.deaths += 1
        if len(work.payloads) == 1 and work.deaths >= DEATHS_PER_ITEM:
            self.sink([_died(work.payloads[0], work.deaths, how)])
        elif len(work.payloads) > 1 and work.deaths >= DEATHS_BEFORE_SPLIT:
            self.retry.extendleft(_Work([p], work.deaths - 1) for p in reversed(work.payloads))
        else:
            self.retry.appendleft(work)

    def stop(self, grace: float) -> None:
        """Ask every worker to finish and wait up to ``grace`` seconds, then kill the rest."""
        for slot in self.slots:
            with contextlib.suppress(OSError):
                slot.conn.send(None)
        for slot in self.slots:
            slot.process.join(timeout=grace)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.conn.close()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"killed by {signal.Signals(-exitcode).name}"
    return f"exit code {exitcode}"


def _died(p: Payload, deaths: int, how: str) -> dict[str, Any]:
    """The error line of an item whose worker died each time it was checked."""
    where = f"{p['source']}:{p['line']}"
    why = f"{where}: the worker checking it died {deaths} times (the last {how}); not retried"
    row = error_line(BadLine(p["line"], why, p["id"]))
    return {**row, "source": p["source"], "exit_code": int(ExitCode.INTERNAL)}


def _serve(conn: Connection, spec: WorkerSpec) -> None:
    """A worker process: build the checker, say ready, then check batches until told to
    stop or the driver is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    try:
        worker = Worker(spec)
    except Exception as exc:
        why = " ".join(str(exc).split()) or type(exc).__name__
        conn.send(("failed", int(exit_code_for(exc)), why))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            payloads = conn.recv()
        except (EOFError, OSError):  # the driver is gone
            break
        if payloads is None:
            break
        rows = worker.check(payloads)
        try:
            conn.send(("rows", rows))
        except OSError:
            break
    worker.close()
