"""Wiring a runner from options, shared by ``verify run`` and ``verify demo``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from checks.evidence import IndexEvidence
from retrieval import Index

from ..checker import Checker
from ..config import Config
from ._backends import Backend
from ._precheck import ActionChecker
from ._runner import AgentRunner, CallLog, Step
from ._workspace import Workspace

__all__ = ["make_runner"]


def make_runner(
    backend: Backend,
    index: Index,
    config: Config,
    *,
    workspace: Path,
    ledger: CallLog | None,
    agent: str | None,
    user: str | None,
    samples: int | None = None,
    max_steps: int | None = None,
    judge: str | None = None,
    on_step: Callable[[Step], None] | None = None,
) -> AgentRunner:
    # the run's deadline counts from now, not from when the command (a demo of many runs) began
    checker = Checker.build(IndexEvidence(index), config, judge=judge, started=time.monotonic())
    precheck = ActionChecker(
        checker,
        Workspace(workspace),
        allow_commands=list(config["allow_commands"]),
        embedder=index.embedder,
    )
    return AgentRunner(
        backend,
        precheck,
        Workspace(workspace),
        index=index,
        ledger=ledger,
        agent=agent or backend.name,
        user=user or config.user,
        samples=config["samples"] if samples is None else samples,
        max_steps=config["max_steps"] if max_steps is None else max_steps,
        run_timeout=float(config["run_timeout"]),
        on_step=on_step,
    )
