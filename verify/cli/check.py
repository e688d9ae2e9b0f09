"""``verify check``: which statements of a text the corpus supports, contradicts, or lacks."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from reports import render

from ..batch import BadLine, BatchChecker, check_row, error_line, exit_code_of, read_line
from ..checker import Checker, evidence_from, judge_from
from ..errors import ExitCode, InputError
from ..policy import BlockPolicy, exit_code
from ._options import (
    checker_options,
    config,
    disable_rule_option,
    emit,
    entailment_option,
    index_option,
    output_options,
    progress_bar,
    rendered,
    resolve_format,
    resolve_index_dir,
    say_errors,
)

__all__ = ["command", "read_text_input"]

MAX_INPUT_BYTES = 2 * 1024 * 1024


def read_text_input(text: str | None, file: Path | None) -> str:
    """The text to check: the argument, ``--file``, or stdin (``-`` or piped)."""
    if text is not None and file is not None:
        raise click.UsageError("give TEXT or --file, not both")
    if file is not None:
        try:
            data = file.read_bytes() if str(file) != "-" else sys.stdin.buffer.read()
        except OSError as exc:
            raise InputError(f"cannot read {str(file)!r}: {exc.strerror or exc}") from exc
    elif text == "-" or (text is None and not sys.stdin.isatty()):
        data = sys.stdin.buffer.read()
    elif text is None:
        raise click.UsageError("nothing to check: give TEXT, --file F, or pipe text on stdin")
    else:
        data = text.encode("utf-8", "surrogatepass")
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(
            f"input is {len(data)} bytes, over the {MAX_INPUT_BYTES}-byte cap; split it"
        )
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"input is not valid UTF-8 (byte {exc.start})") from exc
    if not decoded.strip():
        raise InputError("input is empty: nothing to check")
    return decoded


@click.command("check")
@click.argument("text", required=False)
@click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Read the text from FILE (`-` for stdin).",
)
@index_option
@entailment_option
@disable_rule_option
@click.option(
    "--context",
    "contexts",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check against these passages instead of the index (repeatable): the RAG "
    "case, where the answer must be grounded in what the model was shown.",
)
@output_options()
@checker_options
@click.option(
    "--batch",
    "batch",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
    default=None,
    metavar="FILE.jsonl",
    help='Check many texts in one process (`-` for stdin): each line `{"id", "text"}`, '
    'optionally `"context": [...]` (check against those passages only) and '
    '`"question"` (read the text as its answer); prints one check JSON line plus `id` '
    "per line, in order.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar (--batch).")
@click.pass_context
def command(
    ctx: click.Context,
    text: str | None,
    file: Path | None,
    index_dir: Path | None,
    contexts: tuple[Path, ...],
    fmt: str | None,
    as_json: bool,
    out: Path | None,
    judge: str | None,
    block: str | None,
    max_blocking: int | None,
    embedder: str | None,
    batch: Path | None,
    quiet: bool,
) -> None:
    """Check TEXT (or --file, or stdin) claim by claim against the corpus.

    Each claim gets a verdict — supported, contradicted, unverifiable, or error — with a
    score, the evidence lines that decided it, and the reason. Exit 0 when every claim is
    within policy, 1 when blocked, 2 for bad input, 3 when a verdict could not be computed.

    \b
    Examples:
      verify check "Ingot listens on port 8443."
      verify check --file answer.md --format md --out report.md
      echo "Raw uploads are kept 30 days." | verify check --json
      verify check --file answer.txt --context retrieved.txt
      verify check --batch answers.jsonl > checked.jsonl
    """
    conf = config(ctx)
    if batch is not None:
        _batch_alone(text, file, contexts, fmt, out)
    fmt = resolve_format(fmt, as_json)
    blocks = [b.strip() for b in block.split(",")] if block else None
    policy = BlockPolicy.from_config(conf, block=blocks, max_blocking=max_blocking)
    if batch is not None:
        checker = BatchChecker(
            conf,
            index_dir=resolve_index_dir(ctx, index_dir),
            embedder=embedder or conf["embedder"],
            judge=judge_from(judge),
            policy=policy,
        )
        ctx.exit(int(run_batch(checker, batch, quiet)))
    body = read_text_input(text, file)
    evidence = evidence_from(
        resolve_index_dir(ctx, index_dir),
        contexts,
        embedder or conf["embedder"],
        conf["embedder_precision"],
    )
    outcome = Checker.build(evidence, conf, judge=judge, policy=policy).check_text(body)
    color = out is None and sys.stdout.isatty()
    emit(rendered(fmt, lambda: render(outcome, fmt, color=color, title="verify check")), out)
    say_errors(outcome.verdicts)
    ctx.exit(int(exit_code(outcome.verdicts, outcome.decision)))


def _batch_alone(
    text: str | None,
    file: Path | None,
    contexts: tuple[Path, ...],
    fmt: str | None,
    out: Path | None,
) -> None:
    if text is not None or file is not None or contexts:
        raise click.UsageError(
            "--batch reads every text (and its context) from FILE.jsonl: "
            "give no TEXT, --file or --context with it"
        )
    if fmt not in (None, "json") or out is not None:
        raise click.UsageError("--batch prints JSON lines on stdout: drop --format and --out")


def run_batch(checker: BatchChecker, path: Path, quiet: bool) -> ExitCode:
    """Check each line of ``path`` and print its JSON line as soon as it is known (a killed
    run leaves whole lines only); the exit code of the worst line."""
    lines, total = _jsonl(path)
    codes: set[ExitCode] = set()
    failed: list[str] = []
    with progress_bar("checking", quiet) as progress:
        for done, (number, raw) in enumerate(lines, 1):
            item = read_line(raw, number)
            if isinstance(item, BadLine):
                row, code = error_line(item), ExitCode.USAGE
            else:
                row, code = check_row(checker, item, number)
            if "error" in row:
                failed.append(row["error"])
            codes.add(code)
            click.echo(json.dumps(row))
            progress(done, total)
    checker.close()
    if failed:
        click.echo(
            f"verify: error: {len(failed)} line(s) could not be checked; the first: {failed[0]}",
            err=True,
        )
    return exit_code_of(codes)


def _jsonl(path: Path) -> tuple[Iterator[tuple[int, bytes]], int]:
    """The non-blank lines of ``path`` (``-``: stdin, read to its end first) with their
    numbers, and how many there are."""
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read()
            total = sum(1 for line in data.splitlines() if line.strip())
            return _numbered(iter(data.splitlines())), total
        with path.open("rb") as fh:
            total = sum(1 for line in fh if line.strip())
        return _numbered(_read(path)), total
    except OSError as exc:
        raise InputError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from exc


def _read(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        yield from fh


def _numbered(lines: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(lines, 1):
        if line.strip():
            yield number, line
