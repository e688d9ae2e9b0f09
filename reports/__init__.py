"""Renderers for an ``Outcome``: text, JSON, Markdown, HTML, JUnit XML and SARIF.

``render(outcome, fmt)`` returns the report as a string ending in a newline;
``write_atomic(path, data)`` writes one so that no reader sees half of it, through a
temporary file named by ``temp_name()``; ``sweep_temp(folder)`` clears the ones killed writers
left and ``is_temp_name`` tells them apart (the project's one convention for temporary files,
see ``reports._tempfiles``). This package
imports nothing of ours but ``checks.types``; every string of agent or corpus text is
treated as hostile and escaped for the format at hand (see each ``_<format>`` module).
"""

from __future__ import annotations

from checks.types import Outcome
from reports import _html, _json, _junit, _markdown, _sarif, _text
from reports._io import write_atomic
from reports._tempfiles import is_temp_name, sweep_temp, temp_name

__all__ = [
    "DEFAULT_VERSION",
    "FORMATS",
    "is_temp_name",
    "render",
    "sweep_temp",
    "temp_name",
    "write_atomic",
]

FORMATS: tuple[str, ...] = ("text", "json", "md", "html", "junit", "sarif")
#: The tool version SARIF and HTML name unless the caller passes its own.
DEFAULT_VERSION = "0.1.0"


def render(
    outcome: Outcome,
    fmt: str,
    *,
    color: bool = False,
    title: str = "verify",
    version: str = DEFAULT_VERSION,
) -> str:
    """``outcome`` as a report in format ``fmt`` (one of ``FORMATS``).

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
    raise ValueError(f"unknown report format {fmt!r}; choose one of: {', '.join(FORMATS)}")
