"""``verify batch``: check large inputs on N processes or a Ray cluster, results by id."""

from __future__ import annotations

from pathlib import Path

import click

from retrieval import get_embedder

from ..batchrun import (
    ENGINES,
    INPUT_FORMATS,
    OUT_FORMATS,
    PLUGINS_ENV,
    Job,
    WorkerSpec,
    load_plugins,
    plugin_specs,
    run,
)
from ..checker import entailment_model, judge_from
from ..policy import BlockPolicy
from ._options import (
    checker_options,
    config,
    disable_rule_option,
    entailment_option,
    index_option,
    resolve_index_dir,
)

__all__ = ["command"]


def _load_plugins(ctx: click.Context, param: click.Parameter, given: tuple[str, ...]) -> None:
    """Load ``VERIFY_PLUGINS`` and ``--plugin`` first, so that ``--embedder`` and
    ``--entailment`` may name what they register."""
    ctx.meta["verify.plugins"] = plugin_specs(given)
    load_plugins(ctx.meta["verify.plugins"])


@click.command("batch")
@click.argument(
    "inputs",
    nargs=-1,
    required=True,
    metavar="INPUT...",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results, one JSON line per id, appended as they finish (with --format parquet: "
    "the Parquet file, the lines going to OUT.jsonl).",
)
@click.option(
    "--format",
    "out_format",
    type=click.Choice(OUT_FORMATS),
    default=None,
    help="Output format [default: parquet if OUT ends in .parquet, else jsonl].",
)
@click.option(
    "--from",
    "input_format",
    type=click.Choice(INPUT_FORMATS),
    default="items",
    show_default=True,
    help='What the inputs are: `items` ({"id", "text"} lines, optionally "context" and '
    '"question"), `transcript` (verify run --replay files: each answer is an item, id '
    "FILE:LINE) or `openai-jsonl` (chat-completion logs: each reply is an item, id FILE:LINE).",
)
@index_option
@entailment_option
@disable_rule_option
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (local) or actors (ray), each loading the models once "
    "[default: 1 local; one per CPU of the Ray cluster].",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="local",
    show_default=True,
    help="local: processes on this machine; ray: Ray Data actors on a Ray cluster "
    "(pip install 'verify[ray]').",
)
@click.option(
    "--address",
    default=None,
    metavar="A",
    help="Ray cluster to join (--engine ray): auto, HOST:PORT or ray://HOST:PORT "
    "[default: RAY_ADDRESS, else a new local cluster].",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the run that wrote OUT: ids already there are not checked again.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    default=16,
    show_default=True,
    help="Items handed to a worker at a time.",
)
@click.option(
    "--plugin",
    "plugins",
    multiple=True,
    metavar="MODULE[:FUNCTION]",
    is_eager=True,
    expose_value=False,
    callback=_load_plugins,
    help=f"Load this plugin in the driver and in every worker (repeatable; also "
    f"{PLUGINS_ENV}=a,b:f): a module of @hookimpl hooks, or a function to call.",
)
@checker_options
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary line.")
@click.pass_context
def command(
    ctx: click.Context,
    inputs: tuple[Path, ...],
    out: Path,
    out_format: str | None,
    input_format: str,
    index_dir: Path | None,
    workers: int | None,
    engine: str,
    address: str | None,
    resume: bool,
    batch_size: int,
    judge: str | None,
    block: str | None,
    max_blocking: int | None,
    embedder: str | None,
    quiet: bool,
) -> None:
    """Check every item of INPUT... on N worker processes or a Ray cluster.

    Each item gets one line in OUT: the `verify check --json` result plus its "id", written
    as soon as it is known (appended, flushed and fsynced per batch), in the order items
    finish. An input line that is not an item, or an item that could not be checked, gets a
    line with "error" (never a lost line). --resume after a crash or kill -9 skips the ids
    already in OUT. Progress (items/s, ETA) goes to stderr.

    Exit code over all lines: 2 if an input line was bad, else 3 if a verdict could not be
    computed, else 1 if an item blocked, else 0. Bad flags or unreadable inputs exit 2
    before anything is written. docs/batch.md has the details.

    \b
    Examples:
      verify batch answers.jsonl --out checked.jsonl --workers 2
      verify batch answers.jsonl --out checked.jsonl --workers 2 --resume
      verify batch logs/*.jsonl --from openai-jsonl --out checked.parquet
      verify batch answers.jsonl --out checked.jsonl --engine ray --address auto
    """
    if address is not None and engine != "ray":
        raise click.UsageError("--address names a Ray cluster: add --engine ray")
    conf = config(ctx)
    blocks = [b.strip() for b in block.split(",")] if block else None
    spec = WorkerSpec(
        config=conf,
        policy=BlockPolicy.from_config(conf, block=blocks, max_blocking=max_blocking),
        index_dir=str(resolve_index_dir(ctx, index_dir).absolute()),
        embedder=_absolute(embedder or conf["embedder"]),
        judge=_absolute(judge) if judge else None,
        plugins=ctx.meta.get("verify.plugins", plugin_specs()),
    )
    get_embedder(spec.embedder)  # an unknown name: exit 2 now (models load in the workers)
    entailment_model(str(conf["entailment"]))
    judge_from(spec.judge)  # a judge model that cannot be read: exit 2 now
    job = Job(
        inputs=inputs,
        out=out,
        input_format=input_format,
        out_format=out_format or ("parquet" if out.suffix == ".parquet" else "jsonl"),
        engine=engine,
        workers=workers,
        address=address,
        resume=resume,
        batch_size=batch_size,
        quiet=quiet,
    )
    report = run(job, spec)
    if not quiet:
        click.echo(report.summary(), err=True)
    if report.errors:
        click.echo(
            f"verify: error: {report.errors} item(s) could not be checked; "
            f"the first: {report.first_error}",
            err=True,
        )
    ctx.exit(int(report.exit_code))


def _absolute(name: str) -> str:
    """A path made absolute (workers may run elsewhere), a registered name as it is."""
    return str(Path(name).absolute()) if Path(name).exists() else name
