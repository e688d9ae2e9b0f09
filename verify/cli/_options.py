"""Option bundles shared by commands: index location, output format, progress on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from checks.types import Verdict

from ..checker import entailment_model
from ..config import Config, load_config
from ..errors import InputError, InternalError, VerifyError

__all__ = [
    "REPORT_FORMAT",
    "REPORT_FORMATS_HELP",
    "checker_options",
    "config",
    "disable_rule_option",
    "emit",
    "entailment_option",
    "index_option",
    "output_options",
    "progress_bar",
    "rendered",
    "resolve_format",
    "resolve_index_dir",
    "say_errors",
    "warn",
]

F = TypeVar("F", bound=Callable[..., Any])


def index_option(f: F) -> F:
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Index folder [default: .verify/index, or `index` in [tool.verify]].",
    )(f)


def entailment_option(f: F) -> F:
    """``--entailment NAME|DIR``: the entailment model for this command (config key
    ``entailment``); a folder must hold a Hugging Face sequence-classification model."""

    def remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value is None:
            return
        name = str(Path(value).resolve()) if Path(value).exists() else value
        try:
            entailment_model(name)  # named or a model folder, before any work is done
        except InputError as exc:
            raise click.BadParameter(str(exc.__cause__ or exc), ctx, param) from None
        ctx.find_root().obj = config(ctx).with_values(entailment=name)

    return click.option(
        "--entailment",
        metavar="NAME|DIR",
        default=None,
        expose_value=False,
        callback=remember,
        help="Entailment model: a model folder (Hugging Face cross-encoder) or a registered "
        "name [default: bundled, or `entailment` in [tool.verify]].",
    )(f)


def disable_rule_option(f: F) -> F:
    """``--disable-rule NAME`` (repeatable): switch a rule of the alignment stage off for this
    command, on top of config ``disable_rules`` (``verify rules`` lists them)."""

    def remember(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> None:
        if not value:
            return
        from checks.alignment import check_rules

        names = [n.strip() for given in value for n in given.split(",") if n.strip()]
        try:
            check_rules(names)
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx, param) from None
        conf = config(ctx)
        off = sorted({*conf["disable_rules"], *names})
        ctx.find_root().obj = conf.with_values(disable_rules=off)

    return click.option(
        "--disable-rule",
        metavar="NAME",
        multiple=True,
        expose_value=False,
        callback=remember,
        help="Switch this rule of the alignment stage off (repeatable, or comma-separated; "
        "`verify rules` lists them) [default: none, or `disable_rules` in [tool.verify]].",
    )(f)


if TYPE_CHECKING:  # generic (for type checkers) only from click 8.4 on
    _ParamType = click.ParamType[str]
else:
    _ParamType = click.ParamType


def checker_options(f: F) -> F:
    """``--judge``, ``--block``, ``--max-blocking`` and ``--embedder``: how each text is
    checked and when it blocks (``verify check``, ``verify batch``)."""
    f = click.option(
        "--embedder",
        default=None,
        metavar="NAME|DIR",
        help="Embedder for context passages [default: the index's, or minilm].",
    )(f)
    f = click.option(
        "--max-blocking",
        type=click.IntRange(min=0),
        default=None,
        help="Blocking verdicts tolerated before the decision is block [default: 0].",
    )(f)
    f = click.option(
        "--block",
        "block",
        default=None,
        metavar="VERDICTS",
        help="Comma-separated verdicts that block [default: contradicted,unverifiable; "
        "error always blocks].",
    )(f)
    return click.option(
        "--judge",
        default=None,
        metavar="GGUF",
        help="Ask this llama.cpp model about claims the scorer is unsure of.",
    )(f)


class ReportFormat(_ParamType):
    """A report format: a built-in one or one a plugin registered (read when the flag is,
    after the plugins have loaded, so the list is never frozen at import)."""

    name = "format"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from reports import formats

        if value not in formats():
            self.fail(f"{value!r} is not one of {', '.join(formats())}", param, ctx)
        return str(value)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "FORMAT"


REPORT_FORMAT = ReportFormat()
#: How the help names the report formats.
REPORT_FORMATS_HELP = "text, json, md, html, junit, sarif, or one a plugin adds"


def output_options(formats: Sequence[str] | None = None) -> Callable[[F], F]:
    """``--format``, ``--json`` and ``--out FILE``, on any command. ``formats``: the command's
    own fixed list; None: the report formats (``reports.formats()``, plugins' included)."""

    def decorate(f: F) -> F:
        f = click.option(
            "--out",
            "out",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="Write the result to FILE (atomically) instead of stdout.",
        )(f)
        f = click.option("--json", "as_json", is_flag=True, help="Same as --format json.")(f)
        named = REPORT_FORMATS_HELP if formats is None else ", ".join(formats)
        return click.option(
            "--format",
            "fmt",
            type=REPORT_FORMAT if formats is None else click.Choice(list(formats)),
            default=None,
            help=f"Output format [default: text]. One of: {named}.",
        )(f)

    return decorate


def resolve_format(fmt: str | None, as_json: bool) -> str:
    if as_json and fmt not in (None, "json"):
        raise click.UsageError(f"--json conflicts with --format {fmt}")
    return "json" if as_json else (fmt or "text")


def emit(text: str, out: Path | None) -> None:
    """Print the result to stdout, or write it atomically to ``out``."""
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from reports import write_atomic

    try:
        write_atomic(out, text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise InputError(f"cannot write {str(out)!r}: {exc.strerror or exc}") from exc
    except Exception as exc:  # not the path's fault: an internal error, and still no pass
        raise InternalError(f"writing the report {str(out)!r} failed: {_what(exc)}") from exc


def rendered(fmt: str, render: Callable[[], str]) -> str:
    """The report ``render`` makes; a failure is an internal error naming the report."""
    try:
        return render()
    except VerifyError:
        raise
    except Exception as exc:
        raise InternalError(f"rendering the {fmt} report failed: {_what(exc)}") from exc


def say_errors(verdicts: Sequence[Verdict], noun: str = "claim") -> None:
    """One line on stderr when a verdict could not be computed: how many, and the first why
    (the report holds every reason; a CI log shows this line)."""
    errors = [v for v in verdicts if v.label == "error"]
    if errors:
        why = " ".join(errors[0].reason.split())
        click.echo(f"verify: error: {len(errors)} {noun}(s) could not be checked: {why}", err=True)


def _what(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


def warn(message: str) -> None:
    click.echo(f"verify: warning: {message}", err=True)


@contextmanager
def progress_bar(label: str, quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A progress callback ``(done, total)`` drawn on stderr; a no-op when quiet."""
    if quiet:
        yield lambda done, total: None
        return
    state: dict[str, Any] = {"bar": None, "done": 0}

    def update(done: int, total: int) -> None:
        bar = state["bar"]
        if bar is None:
            bar = state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - state["done"])
        state["done"] = done

    try:
        yield update
    finally:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)


def config(ctx: click.Context) -> Config:
    """The config for this invocation, loaded once."""
    root = ctx.find_root()
    if not isinstance(root.obj, Config):
        root.obj = load_config()
    return root.obj


def resolve_index_dir(ctx: click.Context, given: Path | None) -> Path:
    return given or Path(config(ctx)["index"])
