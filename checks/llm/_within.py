"""One generator call that ends by its deadline, whether or not the generator can stop itself.

An ``interruptible`` generator is handed the time left and stops itself. Any other runs the
call in a forked worker process: the parent waits until the deadline, then kills the worker
(``SIGKILL``) and raises ``CheckTimeout``. What the worker returns or raises comes back through
a pipe; a worker that dies without answering is a ``CheckError``. Where ``fork`` does not exist
the call runs in-process and only its result is checked against the deadline.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any, Protocol, cast

from .._errors import CheckError, CheckTimeout
from ._base import Generation, Generator, Message

__all__ = ["generate_within"]


class _Interruptible(Protocol):
    """What a generator with ``interruptible = True`` promises."""

    def generate(
        self, messages: Sequence[Message], *, timeout: float | None, **options: Any
    ) -> Generation: ...


def generate_within(
    generator: Generator,
    messages: Sequence[Message],
    *,
    timeout: float | None,
    grammar: str | None = None,
    max_tokens: int = 256,
    temperature: float = 0.0,
    seed: int = 0,
) -> Generation:
    """``generator.generate(...)``, over after ``timeout`` seconds at most (None: no limit)."""
    options: dict[str, Any] = {
        "grammar": grammar,
        "max_tokens": max_tokens,
        "temperature": temperature,
        "seed": seed,
    }
    if generator.interruptible:
        return cast(_Interruptible, generator).generate(messages, timeout=timeout, **options)
    if timeout is None:
        return generator.generate(messages, **options)
    if timeout <= 0:
        raise CheckTimeout(f"no time was left to ask model {generator.name!r}")
    generator.load()  # in this process, so the model is loaded once, not once per call
    if "fork" not in multiprocessing.get_all_start_methods():  # checked after the fact only
        t0 = time.monotonic()
        gen = generator.generate(messages, **options)
        if (spent := time.monotonic() - t0) > timeout:
            raise CheckTimeout(
                f"model {generator.name!r} answered after {spent:.3g}s, past its {timeout:.3g}s"
            )
        return gen
    return _in_worker(generator, list(messages), options, timeout)


def _in_worker(
    generator: Generator, messages: list[Message], options: dict[str, Any], timeout: float
) -> Generation:
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    worker = ctx.Process(
        target=_work, args=(send, generator, messages, options), name=f"verify-{generator.name}"
    )
    worker.start()
    send.close()
    try:
        if not receive.poll(timeout):
            worker.kill()
            raise CheckTimeout(
                f"model {generator.name!r} had not answered within {timeout:.3g}s; "
                "its worker process was killed"
            )
        try:
            status, value = receive.recv()
        except (EOFError, OSError):
            worker.join(1.0)
            raise CheckError(
                f"model {generator.name!r} died in its worker process "
                f"(exit code {worker.exitcode}) before answering"
            ) from None
        except Exception as exc:  # an answer or error that does not unpickle
            raise CheckError(
                f"model {generator.name!r} answered from its worker process in a form that "
                f"could not be read back: {type(exc).__name__}: {exc}"
            ) from None
    finally:
        receive.close()
        if worker.is_alive():
            worker.kill()
        worker.join()
    if status == "error":
        raise value
    return value  # type: ignore[no-any-return]


def _work(
    send: Connection, generator: Generator, messages: list[Message], options: dict[str, Any]
) -> None:
    """The worker: one call, its result or its exception sent back."""
    try:
        answer: tuple[str, object] = ("ok", generator.generate(messages, **options))
    except BaseException as exc:  # everything goes back to the parent, which decides
        answer = ("error", exc)
    try:
        send.send(answer)
    except Exception:  # an answer pickle cannot carry (a local class, an open handle)
        what = f"{type(answer[1]).__name__}: {answer[1]}"[:300]
        send.send(("error", CheckError(f"model {generator.name!r} failed: {what}")))
    finally:
        send.close()
