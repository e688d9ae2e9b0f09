"""``verify gate``: may this change merge? Findings on its lines in every report format."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import click

from reports import render

from ..errors import InputError
from ..gate import GateOptions, load_from_git, load_from_patch, run_gate
from ..gate._budget import ledger_budget, ledger_usage, read_usage
from ..policy import exit_code
from ._options import (
    REPORT_FORMAT,
    REPORT_FORMATS_HELP,
    config,
    disable_rule_option,
    emit,
    entailment_option,
    progress_bar,
    rendered,
)

__all__ = ["command", "pair_outputs"]

MAX_PATCH_BYTES = 64 * 1024 * 1024


def pair_outputs(formats: tuple[str, ...], outs: tuple[Path, ...]) -> list[tuple[str, Path | None]]:
    """``--format`` and ``--out`` paired in order; one format left over goes to stdout."""
    fmts = list(formats) or ["text"]
    if len(outs) > len(fmts):
        raise click.UsageError(
            f"{len(outs)} --out given for {len(fmts)} --format: give a --format before each --out"
        )
    if len(fmts) - len(outs) > 1:
        raise click.UsageError("only one --format may go to stdout: give --out FILE for the others")
    return [(f, outs[i] if i < len(outs) else None) for i, f in enumerate(fmts)]


def _read_patch(path: Path) -> str:
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read patch {str(path)!r}: {exc.strerror or exc}") from exc
    if len(data) > MAX_PATCH_BYTES:
        raise InputError(f"patch is {len(data)} bytes, over the {MAX_PATCH_BYTES}-byte cap")
    return data.decode("utf-8", "replace")


def _read_lines(path: Path, what: str) -> tuple[str, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what} {str(path)!r}: {exc}") from exc
    return tuple(s for line in text.splitlines() if (s := line.split("#", 1)[0].strip()))


@click.command("gate")
@click.option(
    "--patch",
    "patch",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Check this unified diff (`-` for stdin) against --repo, applied or not.",
)
@click.option(
    "--base",
    default=None,
    metavar="REV",
    help="Check the change from where HEAD (or --head) forked off REV.",
)
@click.option("--head", default=None, metavar="REV", help="The revision to check [default: HEAD].")
@click.option(
    "--repo",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=".",
    show_default=True,
    help="The repository.",
)
@click.option(
    "--description",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The change's description (a PR body) [default: the commit messages of "
    "the range, or the patch mail's message].",
)
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Check prose against this index [default: the repository "
    "after the change, indexed into REPO/.verify/gate-index].",
)
@click.option(
    "--format",
    "formats",
    type=REPORT_FORMAT,
    multiple=True,
    help=f"Report format, repeatable: one of {REPORT_FORMATS_HELP} [default: text].",
)
@click.option(
    "--out",
    "outs",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    help="Write the report of the --format in the same position to FILE; one "
    "format without --out prints to stdout.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option(
    "--usage",
    "usage_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON with prompt_tokens/completion_tokens the change cost "
    "(e.g. `verify run --json` output).",
)
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="DB",
    help="Take the tokens from this ledger (all its calls, or those of --run).",
)
@click.option(
    "--run",
    "runs",
    multiple=True,
    metavar="ID",
    help="With --ledger: count only these runs' tokens (repeatable).",
)
@click.option(
    "--max-tokens-per-line",
    type=click.FloatRange(min=0),
    default=None,
    metavar="X",
    help="Block when tokens per verified changed line exceed this.",
)
@click.option(
    "--max-tokens-per-unit",
    type=click.FloatRange(min=0),
    default=None,
    metavar="X",
    help="Block when tokens per verified changed line exceed this (unless "
    "--max-tokens-per-line says otherwise) and, with --ledger, when a run of the change "
    "or its agent or user spends more tokens per verified unit, as `verify usage` counts.",
)
@click.option(
    "--allow-packages",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Package names to accept as real, one a line (# comments).",
)
@click.option(
    "--embedder",
    default=None,
    metavar="NAME|DIR",
    help="Embedder for the on-the-fly index [default: minilm].",
)
@entailment_option
@disable_rule_option
@click.option(
    "--judge",
    default=None,
    metavar="GGUF",
    help="Ask this llama.cpp model about prose claims the scorer is unsure of.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar on stderr.")
@click.pass_context
def command(
    ctx: click.Context,
    patch: Path | None,
    base: str | None,
    head: str | None,
    repo: Path,
    description: Path | None,
    index_dir: Path | None,
    formats: tuple[str, ...],
    outs: tuple[Path, ...],
    as_json: bool,
    usage_file: Path | None,
    ledger: Path | None,
    runs: tuple[str, ...],
    max_tokens_per_line: float | None,
    max_tokens_per_unit: float | None,
    allow_packages: Path | None,
    embedder: str | None,
    judge: str | None,
    quiet: bool,
) -> None:
    """Gate a change an agent wrote: block hallucinated code, dependencies and claims.

    Checks the lines the change adds: imports of modules that do not exist, calls of
    functions the repository does not define or with the wrong arguments, made-up
    packages, a description that does not match the diff, and docs, comments and
    docstrings the repository's own docs contradict. Exit 0 pass, 1 blocked, 2 bad input,
    3 internal error. Rule ids and examples: docs/gate.md.

    \b
    Examples:
      verify gate --base origin/main
      verify gate --base origin/main --format sarif --out verify.sarif --format md
      git diff --cached | verify gate --patch -
    """
    if (patch is None) == (base is None):
        raise click.UsageError("give exactly one of --patch FILE or --base REV")
    if head is not None and base is None:
        raise click.UsageError("--head needs --base")
    if usage_file is not None and ledger is not None:
        raise click.UsageError("give --usage or --ledger, not both")
    if runs and ledger is None:
        raise click.UsageError("--run needs --ledger")
    if as_json:
        formats = (*formats, "json") if "json" not in formats else formats
    targets = pair_outputs(formats, outs)
    conf = config(ctx)
    repo = repo.resolve()
    if patch is not None:
        change = load_from_patch(repo, _read_patch(patch), str(patch))
    else:
        assert base is not None
        change = load_from_git(repo, base, head)
    try:
        if description is not None:
            try:
                change.description = description.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read description {str(description)!r}: {exc}") from exc
            change.description_path = _shown_path(description, repo)
        usage, over_budget = None, []
        if usage_file is not None:
            usage = read_usage(usage_file)
        elif ledger is not None:
            usage = ledger_usage(ledger, runs)
            if max_tokens_per_unit is not None:
                over_budget = ledger_budget(ledger, runs, max_tokens_per_unit)
        options = GateOptions(
            index=index_dir,
            embedder=embedder or conf["embedder"],
            embedder_precision=conf["embedder_precision"],
            judge=judge,
            allow_packages=_read_lines(allow_packages, "allow-list") if allow_packages else (),
            usage=usage,
            max_tokens_per_line=(
                max_tokens_per_unit if max_tokens_per_line is None else max_tokens_per_line
            ),
            findings=tuple(over_budget),
        )
        with progress_bar("indexing the repository", quiet) as progress:
            options.progress = progress
            outcome = run_gate(change, conf, options)
    finally:
        change.close()
    for fmt, out in targets:
        color = out is None and fmt == "text" and sys.stdout.isatty()
        report = partial(render, outcome, fmt, color=color, title="verify gate")
        emit(rendered(fmt, report), out)
    errors = [v for v in outcome.verdicts if v.label == "error"]
    if errors:  # fail closed, and say why where CI logs show it
        click.echo(
            f"verify: error: {len(errors)} prose claim(s) could not be checked: {errors[0].reason}",
            err=True,
        )
    ctx.exit(int(exit_code(outcome.verdicts, outcome.decision)))


def _shown_path(path: Path, repo: Path) -> str:
    """The description's path relative to the repository, or "" when it is outside it (a
    code-scanning location must be a file of the repository)."""
    try:
        return path.resolve().relative_to(repo).as_posix()
    except ValueError:
        return ""
