"""Tokens weighed against verified useful work: the ``verify usage`` report and importers.

- ``_units``: what a unit of verified work is (the one definition), and its weights;
- ``_waste``: the waste and tokenmaxxing rules, one pure function each;
- ``_attribute``: every call judged once, summed per run (what the ledger keeps);
- ``_report``: ``build_report`` ranks runs, agents, users or teams by units per 1k tokens,
  from every row (``_source``);
- ``_stored``: ``ledger_report``, the same report from the ledger's kept sums (``refresh``
  brings them up to date), in seconds on millions of calls;
- ``_render`` / ``_html`` / ``_svg``: text, JSON, Markdown and a static HTML page;
- ``_import``: OpenAI-style logs, llama.cpp server timings, verify's own JSON.
"""

from ._import import SOURCES, Defaults, ImportResult, import_file
from ._render import FORMATS, render
from ._report import BY_CHOICES, Report, Row, Series, build_report
from ._stored import ledger_report, refresh
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
    "ledger_report",
    "refresh",
    "render",
    "run_units",
]
