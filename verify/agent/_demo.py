"""``verify demo``: the main job on the bundled defaults, start to finish.

Indexes ``corpora/demo`` (an invented internal-docs set), answers a search, runs the bundled
SmolLM2 agent on the bundled tasks and a recorded transcript, blocks what is false, and
writes an HTML report a reviewer can read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reports import Outcome, render, write_atomic
from retrieval import Index, build_index, get_embedder

from ..config import Config
from ..errors import InputError
from ._backends import Backend, ReplayBackend, get_backend
from ._outcome import runs_outcome
from ._runner import CallLog, RunResult, Step
from ._setup import make_runner

__all__ = ["DemoResult", "demo_paths", "run_demo"]

Say = Callable[[str], None]


def demo_paths() -> tuple[Path, Path, Path]:
    """(corpus folder, tasks file, replay transcript) shipped with the project."""
    root = Path(__file__).resolve().parents[2] / "corpora"
    corpus, tasks, replay = root / "demo", root / "demo_tasks.jsonl", root / "demo_replay.jsonl"
    for p in (corpus, tasks, replay):
        if not p.exists():
            raise InputError(
                f"demo data missing at {p}; run `verify demo` from a checkout of "
                "verify (the corpora/ folder ships with the source)"
            )
    return corpus, tasks, replay


@dataclass
class DemoResult:
    outcome: Outcome
    runs: list[RunResult]
    report: Path


def run_demo(
    config: Config,
    *,
    workdir: Path,
    report: Path,
    model: str | None,
    say: Say,
    on_step: Callable[[Step], None],
    tasks_limit: int = 5,
    progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    from ..ledger import Ledger

    corpus, tasks_file, replay = demo_paths()
    embedder = get_embedder(config["embedder"], precision=config["embedder_precision"])
    built = build_index([corpus], workdir / "index", embedder, progress=progress)
    say(
        f"indexed {built.documents} documents of {corpus.name}/ ({built.chunks} chunks, "
        f"{built.embedded} newly embedded)"
    )
    index = Index.open(workdir / "index", embedder=embedder)
    hit = index.search("what port does the upload gateway listen on", 1)[0]
    say(
        f"search 'what port does the upload gateway listen on' -> {hit.chunk.source}:"
        f"{hit.chunk.start_line}-{hit.chunk.end_line}"
    )
    tasks = [
        json.loads(line)
        for line in tasks_file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ][:tasks_limit]
    runs: list[RunResult] = []
    with Ledger.open(workdir / "ledger.db") as ledger:
        agent = get_backend(model)
        for task in tasks:
            say(f"task {task['id']}: {task['task']}")
            runs.append(
                _run(
                    agent,
                    index,
                    config,
                    workdir,
                    ledger,
                    task["task"],
                    on_step,
                    max_steps=2,
                    samples=0,  # extra samples triple the model calls; `verify run` samples
                )
            )
        say(f"replay {replay.name}: a recorded agent transcript")
        runs.append(
            _run(
                ReplayBackend(replay),
                index,
                config,
                workdir,
                ledger,
                "recorded transcript",
                on_step,
                max_steps=None,
                samples=0,
            )
        )
    outcome = runs_outcome(runs)
    report.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(report, render(outcome, "html", title="verify demo"))
    return DemoResult(outcome, runs, report)


def _run(
    backend: Backend,
    index: Index,
    config: Config,
    workdir: Path,
    ledger: CallLog,
    task: str,
    on_step: Callable[[Step], None],
    *,
    max_steps: int | None,
    samples: int,
) -> RunResult:
    runner = make_runner(
        backend,
        index,
        config,
        workspace=workdir / "workspace",
        ledger=ledger,
        agent=None,
        user=None,
        max_steps=max_steps,
        samples=samples,
        on_step=on_step,
    )
    return runner.run(task)
