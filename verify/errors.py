"""Every error verify raises on purpose, and the exit code each one means.

    Exception
     ├── retrieval.RetrievalError            (retrieval/_errors.py)
     │    ├── IndexMissing, IndexCorrupt,     exit 2: build or rebuild the index
     │    │   IndexLocked, CorpusError,       exit 2: wait, or fix the paths
     │    │   EmbedderNotFound                exit 2: name a known embedder
     │    └── EmbedderError                   exit 3: the embedding model failed
     ├── checks.CheckError                    exit 3: a check could not compute a verdict
     └── VerifyError                          (this module)
          ├── InputError                      exit 2: bad flag, unreadable or malformed input
          └── InternalError                   exit 3: a model, timeout or crash: fail closed

A command never exits 0 after an error: a verdict that could not be computed is ``error``
and blocks. Messages name the object that failed and the fix.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode", "InputError", "InternalError", "VerifyError", "exit_code_for"]


class ExitCode(IntEnum):
    PASS = 0
    BLOCKED = 1
    USAGE = 2
    INTERNAL = 3


class VerifyError(Exception):
    exit_code: ExitCode = ExitCode.INTERNAL


class InputError(VerifyError):
    exit_code = ExitCode.USAGE


class InternalError(VerifyError):
    exit_code = ExitCode.INTERNAL


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code an exception means; anything unexpected is an internal error (3)."""
    from retrieval import RetrievalError

    if isinstance(exc, VerifyError):
        return exc.exit_code
    if isinstance(exc, RetrievalError):
        return ExitCode.USAGE if exc.user_error else ExitCode.INTERNAL
    return ExitCode.INTERNAL
