"""``verify demo``: the main job on the bundled defaults (what ``make demo`` runs)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..agent import run_demo
from ..errors import ExitCode
from ._options import config, progress_bar
from .run import step_line

__all__ = ["command"]


@click.command("demo")
@click.option(
    "--out",
    "report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("reports/out/demo.html"),
    show_default=True,
    help="Where to write the HTML report.",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".verify/demo"),
    show_default=True,
    help="Index, ledger and agent workspace of the demo.",
)
@click.option(
    "--model",
    default=None,
    metavar="GGUF",
    help="Agent model [default: bundled SmolLM2-135M-Instruct].",
)
@click.option(
    "--tasks",
    "tasks_limit",
    type=click.IntRange(1, 5),
    default=5,
    show_default=True,
    help="How many bundled tasks to run.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the combined result as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.pass_context
def command(
    ctx: click.Context,
    report: Path,
    workdir: Path,
    model: str | None,
    tasks_limit: int,
    as_json: bool,
    quiet: bool,
) -> None:
    """Index the bundled demo corpus, run the bundled agent on its tasks, block what is false.

    Prints a line per agent step and writes an HTML report with every claim, its verdict and
    evidence, every blocked action and why, and tokens per verified action. Exits 0 when the
    demo ran (blocked actions are the point of it), 3 if a check could not run.
    """

    def say(msg: str) -> None:
        if not quiet:
            click.echo(msg, err=as_json)

    with progress_bar("embedding demo corpus", quiet) as progress:
        result = run_demo(
            config(ctx),
            workdir=workdir,
            report=report,
            model=model,
            say=say,
            on_step=lambda s: say(step_line(s, "  ")),
            tasks_limit=tasks_limit,
            progress=progress,
        )
    o = result.outcome
    summary = o.summary()
    if as_json:
        click.echo(json.dumps({**o.to_json(), "report": str(result.report)}, indent=2))
    else:
        blocked = sum(1 for r in result.runs for s in r.steps if s.check.decision == "block")
        click.echo(
            f"\n{len(o.verdicts)} claims: {summary['supported']} supported, "
            f"{summary['contradicted']} contradicted, {summary['unverifiable']} unverifiable, "
            f"{summary['error']} error; {blocked} actions blocked, "
            f"{o.extra['verified_actions']} verified actions executed; "
            f"{o.usage.prompt_tokens + o.usage.completion_tokens} tokens "
            f"({o.extra['tokens_per_verified_action']} per verified action)"
        )
        click.echo(f"report: {result.report}")
    if any(r.errored for r in result.runs):
        ctx.exit(int(ExitCode.INTERNAL))
