"""Reports: the document of one command's answer (``Outcome``, with the gate's ``Finding``,
``DiffHunk`` and ``DiffLine``) and its renderers: text, JSON, Markdown, HTML, JUnit XML, SARIF.

``render(outcome, fmt)`` returns the report as a string ending in a newline;
``write_atomic(path, data)`` writes one so that no reader sees half of it, through a
temporary file named by ``temp_name()``; ``sweep_temp(folder)`` clears the ones killed writers
left and ``is_temp_name`` tells them apart (the project's one convention for temporary files,
see ``reports._tempfiles``). This package
imports nothing of ours but ``checks.types``; every string of agent or corpus text is
treated as hostile and escaped for the format at hand (see each ``_<format>`` module), with
the helpers other reports (``verify usage``) and plugins' formats use too: ``reveal`` (hidden
characters as visible escapes, for text), ``escape_html`` and ``escape_markdown``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata

from reports import _html, _json, _junit, _markdown, _sarif, _text
from reports._common import reveal
from reports._html_kit import esc as escape_html
from reports._io import write_atomic
from reports._markdown import escape_markdown
from reports._outcome import JSON, DiffHunk, DiffLine, Finding, Outcome
from reports._tempfiles import is_temp_name, sweep_temp, temp_name

__all__ = [
    "DEFAULT_VERSION",
    "FORMATS",
    "JSON",
    "DiffHunk",
    "DiffLine",
    "Finding",
    "Outcome",
    "Renderer",
    "escape_html",
    "escape_markdown",
    "formats",
    "is_temp_name",
    "register_format",
    "render",
    "reveal",
    "sweep_temp",
    "temp_name",
    "write_atomic",
]

#: The built-in formats; ``formats()`` adds the ones plugins registered.
FORMATS: tuple[str, ...] = ("text", "json", "md", "html", "junit", "sarif")
#: The tool version SARIF and HTML name unless the caller passes its own: the installed
#: distribution's (pyproject.toml is the one place it is written), ``verify.__version__`` too.
try:
    DEFAULT_VERSION = metadata.version("verify")
except metadata.PackageNotFoundError:  # run from a source tree that was never installed
    DEFAULT_VERSION = "0+unknown"

#: ``render(outcome, *, color, title, version) -> str``: a format a plugin adds.
Renderer = Callable[..., str]
_ADDED: dict[str, Renderer] = {}


def register_format(name: str, renderer: Renderer) -> None:
    """Make ``name`` a report format (``--format NAME``); a built-in name cannot be taken.
    The renderer must escape every string of agent or corpus text for its format."""
    if name in FORMATS:
        raise ValueError(
            f"report format {name!r} is built in; register the plugin's under another name"
        )
    _ADDED[name] = renderer


def formats() -> tuple[str, ...]:
    """Every format ``render`` takes: the built-in ones, then those plugins registered."""
    return FORMATS + tuple(sorted(_ADDED))


def render(
    outcome: Outcome,
    fmt: str,
    *,
    color: bool = False,
    title: str = "verify",
    version: str = DEFAULT_VERSION,
) -> str:
    """``outcome`` as a report in format ``fmt`` (one of ``formats()``).

    ``color`` adds ANSI colours to ``text``; ``title`` heads text, md, html and junit;
    ``version`` is the tool version in sarif and html. An unknown ``fmt`` raises
    ``ValueError`` naming the valid ones.
    """
    if fmt == "text":
        return _text.render(outcome, color=color, title=title)
    if fmt == "json":
        return _json.render(outcome)
    if fmt == "md":
        return _markdown.render(outcome, title=title)
    if fmt == "html":
        return _html.render(outcome, title=title, version=version)
    if fmt == "junit":
        return _junit.render(outcome, title=title)
    if fmt == "sarif":
        return _sarif.render(outcome, version=version)
    if fmt in _ADDED:
        text = _ADDED[fmt](outcome, color=color, title=title, version=version)
        return text if text.endswith("\n") else text + "\n"
    raise ValueError(f"unknown report format {fmt!r}; choose one of: {', '.join(formats())}")
