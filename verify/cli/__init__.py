"""The ``verify`` command line: a click group, one module per command.

Exit codes everywhere: 0 pass, 1 blocked, 2 usage or input error, 3 internal error.
"""

from __future__ import annotations

import importlib
import os
import traceback
from typing import Any

import click

from .. import __version__
from ..errors import ExitCode, exit_code_for

__all__ = ["cli", "main"]


#: Subcommands, imported only when used: ``verify index`` never loads the LLM stack.
COMMANDS = {
    "index": "index",
    "search": "search",
    "check": "check",
    "batch": "batch",
    "bench": "bench",
    "run": "run",
    "demo": "demo",
    "gate": "gate",
    "usage": "usage",
    "rules": "rules",
}


class VerifyGroup(click.Group):
    """Loads subcommands lazily and turns every error into one line on stderr and its exit
    code (fail closed: never 0)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return super().get_command(ctx, name)
        module = importlib.import_module(f"{__name__}.{COMMANDS[name]}")
        command: click.Command = module.command
        return command

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:  # a bad option of the group itself
            raise click.exceptions.Exit(_usage_line(exc)) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # a bad flag or argument of a command
            ctx.exit(_usage_line(exc))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            code = exit_code_for(exc)
            message = " ".join(str(exc).split()) or exc.__class__.__name__
            if code == ExitCode.INTERNAL and not str(exc):
                message = f"internal error: {exc.__class__.__name__}"
            click.echo(f"verify: error: {message}", err=True)
            if os.environ.get("VERIFY_DEBUG"):
                click.echo(traceback.format_exc(), err=True)
            ctx.exit(int(code))


def _usage_line(exc: click.UsageError) -> int:
    """Say a usage error on one line of stderr, as every other error (docs/architecture.md: exit 2,
    one clear line), with where to read more; return its exit code."""
    where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
    click.echo(f"verify: error: {' '.join(exc.format_message().split())}{where}", err=True)
    return exc.exit_code


@click.group(cls=VerifyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="verify")
def cli() -> None:
    """Check what an agent says against your own corpus before it may act.

    Exit codes: 0 pass, 1 blocked, 2 usage or input error, 3 internal error (fail closed).
    Installed plugins (entry-point group `verify`) are loaded first: docs/plugins.md.
    """
    from ..plugins import load_plugins

    load_plugins()


def main() -> None:
    cli(prog_name="verify")
