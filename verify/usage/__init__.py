"""Tokens weighed against verified useful work: the ``verify usage`` report and importers.

- ``_units``: what a unit of verified work is (the one definition), and its weights;
- ``_waste``: the waste and tokenmaxxing rules, one pure function each;
- ``_report``: ``build_report`` ranks runs, agents, users or teams by units per 1k tokens;
- ``_render`` / ``_html`` / ``_svg``: text, JSON, Markdown and a static HTML page;
- ``_import``: OpenAI-style logs, llama.cpp server timings, verify's own JSON.
"""

from ._import import SOURCES, Defaults, ImportResult, import_file
from ._render import FORMATS, render
from ._report import BY_CHOICES, Report, Row, Series, build_report
from ._units import UnitWeights, action_units, run_units
from ._waste import CATEGORIES, Thresholds

__all__ = [
    "BY_CHOICES",
    "CATEGORIES",
    "FORMATS",
    "SOURCES",
    "Defaults",
    "ImportResult",
    "Report",
    "Row",
    "Series",
    "Thresholds",
    "UnitWeights",
    "action_units",
    "build_report",
    "import_file",
    "render",
    "run_units",
]
