"""``verify usage``: who got most verified work per token, and where tokens were wasted.

``verify usage`` reports from the ledger; ``verify usage import FILE --from ...`` adds the
token logs of agents that ran elsewhere. Exit 0 on success, 1 when ``--max-tokens-per-unit``
is exceeded, 2 for a missing or invalid ledger, file or flag.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import click

from ..errors import ExitCode, InputError
from ..ledger import Ledger
from ..usage import (
    BY_CHOICES,
    FORMATS,
    SOURCES,
    Defaults,
    UnitWeights,
    import_file,
    ledger_report,
    render,
)
from ._options import config, emit, output_options, rendered, resolve_format

__all__ = ["command", "parse_since"]

MAX_ERRORS_SHOWN = 50
_RELATIVE = re.compile(r"^(\d{1,9})([dhw])$")  # bounded: 10**9 weeks is long enough


def parse_since(value: str, now: float | None = None) -> float:
    """A start time from ``YYYY-MM-DD`` (UTC midnight), an ISO date-time, or ``7d``/``12h``/``2w``
    ago. Raises ``click.BadParameter`` for anything else."""
    now = time.time() if now is None else now
    text = value.strip()
    relative = _RELATIVE.match(text)
    if relative:
        hours = {"h": 1, "d": 24, "w": 24 * 7}[relative.group(2)]
        return now - int(relative.group(1)) * hours * 3600
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD), an ISO date-time, or an age like 7d, 12h, 2w",
            param_hint="--since",
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def _progress(after: float = 2.0) -> Callable[[int], None]:
    """Says on stderr how far bringing the usage aggregates up to date has come, once it has
    taken ``after`` seconds (a ledger just migrated, or a large import, recomputes them all)."""
    start = time.monotonic()

    def tell(runs: int) -> None:
        if time.monotonic() - start >= after:
            click.echo(f"verify: usage aggregates: {runs:,} runs recomputed", err=True)

    return tell


def _ledger_path(ctx: click.Context, given: Path | None) -> Path:
    return given or Path(config(ctx)["ledger"])


@click.group("usage", invoke_without_command=True)
@click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Ledger database [default: .verify/ledger.db, or `ledger` in [tool.verify]].",
)
@click.option(
    "--by",
    type=click.Choice(BY_CHOICES),
    default="user",
    show_default=True,
    help="One row per run, agent, user or team.",
)
@output_options(FORMATS)
@click.option(
    "--max-tokens-per-unit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="X",
    help="Budget: exit 1 when a row spends more than X tokens per verified unit "
    "(or any tokens for none).",
)
@click.option(
    "--since",
    default=None,
    metavar="DATE",
    help="Only runs started at or after DATE (YYYY-MM-DD in UTC, an ISO date-time, "
    "or an age such as 7d, 12h, 2w).",
)
@click.option(
    "--weight",
    "weights",
    multiple=True,
    metavar="NAME=X",
    help="Worth of a unit of verified work (repeatable): claim (a supported claim in "
    "a delivered answer, default 1), action (an executed action, default 1), "
    "line (a changed line that passed the gate, default 0.1).",
)
@click.pass_context
def command(
    ctx: click.Context,
    ledger_path: Path | None,
    by: str,
    fmt: str | None,
    as_json: bool,
    out: Path | None,
    max_tokens_per_unit: float | None,
    since: str | None,
    weights: tuple[str, ...],
) -> None:
    """Rank runs, agents, users or teams by verified work per token, and show the waste.

    Per row: prompt and completion tokens, verified units (supported claims delivered,
    actions that passed the gate and ran, changed lines that passed `verify gate`), units
    per 1k tokens, wasted tokens by category (blocked, loop, near_duplicate, unused,
    oversampling, padding, context) and flags, with the evidence behind each flag. Best
    first. Exit 0, or 1 when --max-tokens-per-unit is exceeded, 2 for a bad ledger or flag.

    \b
    Examples:
      verify usage
      verify usage --by agent --format html --out usage.html
      verify usage --by run --since 7d --json
      verify usage --max-tokens-per-unit 2000
      verify usage import chat-log.jsonl --from openai-jsonl --agent my-bot
    """
    if ctx.invoked_subcommand is not None:
        return
    fmt = resolve_format(fmt, as_json)
    unit_weights = UnitWeights.parse(weights)
    start = parse_since(since) if since is not None else None
    with Ledger.open(_ledger_path(ctx, ledger_path), create=False) as ledger:
        report = ledger_report(
            ledger,
            by,
            weights=unit_weights,
            max_tokens_per_unit=max_tokens_per_unit,
            since=start,
            progress=_progress(),
        )
    emit(rendered(fmt, lambda: render(report, fmt)), out)
    over = report.over_budget()
    if over:
        names = ", ".join(f"{r.key} ({r.tokens_per_unit:,.0f})" for r in over[:20])
        more = f" and {len(over) - 20} more" if len(over) > 20 else ""
        click.echo(
            f"verify: over budget: {len(over)} {by}(s) spent more than "
            f"{max_tokens_per_unit:g} tokens per verified unit: {names}{more}",
            err=True,
        )
        ctx.exit(int(ExitCode.BLOCKED))


@command.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--from",
    "source",
    type=click.Choice(SOURCES),
    required=True,
    help="What FILE holds: OpenAI-style chat-completion logs (JSONL), a llama.cpp "
    "server log, or the JSON of verify check/run/gate.",
)
@click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Ledger database [default: .verify/ledger.db]; created if missing.",
)
@click.option(
    "--agent", default=None, help="Agent for records that name none [default: the model name]."
)
@click.option(
    "--user", default=None, help="User for records that name none [default: $USER or config]."
)
@click.option("--team", default="", help="Team for records that name none.")
@click.option(
    "--run",
    "run_id",
    default="",
    help="Run id for records that name none [default: one run per agent, user and day].",
)
@click.option(
    "--task",
    default="",
    help="Task for records that name none (runs of the same task are compared).",
)
@click.option("--model", default="", help="Model for records that name none.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def import_command(
    ctx: click.Context,
    file: Path,
    source: str,
    ledger_path: Path | None,
    agent: str | None,
    user: str | None,
    team: str,
    run_id: str,
    task: str,
    model: str,
    as_json: bool,
) -> None:
    """Add the token usage in FILE to the ledger.

    Malformed records are reported on stderr with their line numbers and skipped; the rest
    is written in one transaction. Importing the same file again adds nothing: each record
    is keyed by a hash of its content. Exit 0, or 2 when FILE holds no valid record.

    \b
    Examples:
      verify usage import logs/chat.jsonl --from openai-jsonl --user alice
      verify usage import llama-server.log --from llama-server-log --agent smollm --task faq
      verify usage import check.json --from verify-json
    """
    parent = ctx.parent.params if ctx.parent is not None else {}
    path = ledger_path or parent.get("ledger_path") or Path(config(ctx)["ledger"])
    defaults = Defaults(
        agent=agent or "",
        user=user or config(ctx).user,
        team=team,
        run=run_id,
        task=task,
        model=model,
    )
    with Ledger.open(path) as ledger:
        result = import_file(ledger, file, source, defaults, progress=_progress())
    for line, message in result.errors[:MAX_ERRORS_SHOWN]:
        click.echo(f"verify: {file}:{line}: skipped: {message}", err=True)
    if len(result.errors) > MAX_ERRORS_SHOWN:
        click.echo(
            f"verify: ... and {len(result.errors) - MAX_ERRORS_SHOWN} more malformed records",
            err=True,
        )
    if result.records == 0:
        raise InputError(
            f"no {source} records in {file}"
            + (f" ({len(result.errors)} malformed)" if result.errors else "; is --from right?")
        )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "file": str(file),
                    "from": source,
                    "ledger": str(path),
                    "records": result.records,
                    "added": result.added,
                    "present": result.present,
                    "errors": [{"line": n, "message": m} for n, m in result.errors],
                },
                indent=2,
            )
        )
    else:
        click.echo(
            f"{file}: {result.records} records: {result.added} rows added, "
            f"{result.present} already in {path}, {len(result.errors)} malformed "
            "skipped"
        )
