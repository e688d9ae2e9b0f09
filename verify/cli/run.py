"""``verify run TASK``: an agent on a local model that must pass verification before it acts."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reports import render
from retrieval import Index

from ..agent import ReplayBackend, Step, get_backend, make_runner
from ..errors import ExitCode
from ._options import (
    config,
    disable_rule_option,
    emit,
    entailment_option,
    index_option,
    output_options,
    rendered,
    resolve_format,
    resolve_index_dir,
    say_errors,
)

__all__ = ["command", "step_line"]


def step_line(step: Step, prefix: str = "") -> str:
    what = step.action.describe() if step.action else "malformed output"
    counts: dict[str, int] = {}
    for v in step.check.verdicts:
        counts[v.label] = counts.get(v.label, 0) + 1
    detail = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no claims"
    blocks = [f.rule for f in step.check.findings if f.severity == "block"]
    if blocks:
        detail += "; " + ", ".join(blocks)
    state = "executed" if step.executed else "not executed"
    return f"{prefix}step {step.number} {what}: {step.check.decision} ({detail}), {state}"


@click.command("run")
@click.argument("task")
@index_option
@entailment_option
@disable_rule_option
@click.option(
    "--model",
    default=None,
    metavar="GGUF",
    help="llama.cpp model for the agent [default: bundled SmolLM2-135M-Instruct].",
)
@click.option(
    "--replay",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Check a recorded transcript (JSONL, one action per line) instead of running a model.",
)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".verify/workspace"),
    show_default=True,
    help="The only folder write_file may write in.",
)
@click.option("--agent", default=None, help="Agent name in the ledger [default: model name].")
@click.option("--user", default=None, help="User in the ledger [default: $USER or config].")
@click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Ledger database [default: .verify/ledger.db].",
)
@click.option(
    "--samples",
    type=click.IntRange(0, 8),
    default=None,
    help="Extra completions per answer for self-consistency [default: 2].",
)
@click.option(
    "--max-steps",
    type=click.IntRange(1, 50),
    default=None,
    help="Most actions the agent may propose [default: 6].",
)
@click.option("--judge", default=None, metavar="GGUF", help="LLM judge for uncertain claims.")
@output_options()
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@click.pass_context
def command(
    ctx: click.Context,
    task: str,
    index_dir: Path | None,
    model: str | None,
    replay: Path | None,
    workspace: Path,
    agent: str | None,
    user: str | None,
    ledger_path: Path | None,
    samples: int | None,
    max_steps: int | None,
    judge: str | None,
    fmt: str | None,
    as_json: bool,
    out: Path | None,
    quiet: bool,
) -> None:
    """Run an agent on TASK; each action runs only after its claims pass verification.

    Exit 0 when every action passed, 1 when one was blocked, 2 for bad input, 3 when a
    check could not run (the action is then blocked: fail closed).

    \b
    Examples:
      verify run "What is the maximum upload size?"
      verify run "check transcript" --replay corpora/demo_replay.jsonl --json
    """
    from ..ledger import Ledger

    if model and replay:
        raise click.UsageError("give --model or --replay, not both")
    conf = config(ctx)
    fmt = resolve_format(fmt, as_json)
    backend = ReplayBackend(replay) if replay else get_backend(model)
    index = Index.open(resolve_index_dir(ctx, index_dir), precision=conf["embedder_precision"])
    with Ledger.open(ledger_path or Path(conf["ledger"])) as ledger:
        runner = make_runner(
            backend,
            index,
            conf,
            workspace=workspace,
            ledger=ledger,
            agent=agent,
            user=user,
            samples=samples,
            max_steps=max_steps,
            judge=judge,
            on_step=None if quiet else lambda s: click.echo(step_line(s), err=True),
        )
        result = runner.run(task)
    outcome = result.outcome()
    color = out is None and sys.stdout.isatty()
    emit(rendered(fmt, lambda: render(outcome, fmt, color=color, title="verify run")), out)
    if result.errored:
        say_errors(outcome.verdicts, "check")
        ctx.exit(int(ExitCode.INTERNAL))
    ctx.exit(int(ExitCode.BLOCKED if result.decision == "block" else ExitCode.PASS))
