"""``verify check``: which statements of a text the corpus supports, contradicts, or lacks."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reports import render

from ..checker import Checker, evidence_from
from ..errors import InputError
from ..policy import GatePolicy, exit_code
from ._options import (
    config,
    emit,
    index_option,
    output_options,
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
@click.option(
    "--context",
    "contexts",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check against these passages instead of the index (repeatable): the RAG "
    "case, where the answer must be grounded in what the model was shown.",
)
@output_options(("text", "json", "md", "html", "junit", "sarif"))
@click.option(
    "--judge",
    default=None,
    metavar="GGUF",
    help="Ask this llama.cpp model about claims the scorer is unsure of.",
)
@click.option(
    "--block",
    "block",
    default=None,
    metavar="VERDICTS",
    help="Comma-separated verdicts that block [default: contradicted,unverifiable; "
    "error always blocks].",
)
@click.option(
    "--max-blocking",
    type=click.IntRange(min=0),
    default=None,
    help="Blocking verdicts tolerated before the decision is block [default: 0].",
)
@click.option(
    "--embedder",
    default=None,
    metavar="NAME|DIR",
    help="Embedder for --context passages [default: the index's, or minilm].",
)
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
    """
    conf = config(ctx)
    fmt = resolve_format(fmt, as_json)
    body = read_text_input(text, file)
    blocks = [b.strip() for b in block.split(",")] if block else None
    gate = GatePolicy.from_config(conf, block=blocks, max_blocking=max_blocking)
    evidence = evidence_from(
        resolve_index_dir(ctx, index_dir), contexts, embedder or conf["embedder"]
    )
    outcome = Checker.build(evidence, conf, judge=judge, gate=gate).check_text(body)
    color = out is None and sys.stdout.isatty()
    emit(rendered(fmt, lambda: render(outcome, fmt, color=color, title="verify check")), out)
    say_errors(outcome.verdicts)
    ctx.exit(int(exit_code(outcome.verdicts, outcome.decision)))
