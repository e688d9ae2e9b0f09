"""The usage report as text, JSON or Markdown (HTML: ``_html``).

Keys and evidence come from the ledger, which importers fill from files anybody could write,
so they are escaped as every report escapes agent text (``reports.reveal``,
``reports.escape_markdown``): text output shows hidden characters as escapes (no terminal
sequence gets through), and Markdown leaves nothing its parser would act on, so a key cannot
forge a row, a link, markup or a mention.
"""

from __future__ import annotations

import json

from reports import escape_markdown, reveal

from ._report import Report, Row
from ._waste import CATEGORIES

__all__ = ["FORMATS", "render"]

FORMATS = ("text", "json", "md", "html")

_md = escape_markdown


def _fmt_units(x: float) -> str:
    return f"{x:,.1f}" if x != int(x) else f"{int(x):,}"


def _share(row: Row) -> str:
    return f"{100 * row.wasted_tokens / row.tokens:.0f}%" if row.tokens else "0%"


def _title(report: Report) -> str:
    return (
        f"verify usage by {report.by}: verified work per token, best first "
        f"({len(report.rows)} {report.by}{'s' if len(report.rows) != 1 else ''})"
    )


def _budget_line(report: Report) -> str:
    over = report.over_budget()
    if report.max_tokens_per_unit is None:
        return ""
    limit = f"{report.max_tokens_per_unit:g}"
    if not over:
        return f"budget: every row within {limit} tokens per verified unit"
    return f"budget: {len(over)} over {limit} tokens per verified unit: " + ", ".join(
        reveal(r.key) for r in over
    )


def _text(report: Report) -> str:
    if not report.rows:
        return _title(report) + "\n(no runs in the ledger for this period)\n"
    head = ("#", report.by, "runs", "prompt", "completion", "units", "units/1k", "wasted", "flags")
    table = [head] + [
        (
            str(i),
            reveal(r.key),
            str(r.runs),
            f"{r.prompt_tokens:,}",
            f"{r.completion_tokens:,}",
            _fmt_units(r.verified_units),
            f"{r.units_per_1k_tokens:.2f}",
            _share(r),
            ", ".join(r.flags) or "-",
        )
        for i, r in enumerate(report.rows, 1)
    ]
    widths = [min(max(map(len, column)), 40) for column in zip(*table, strict=True)]
    right = (True, False, True, True, True, True, True, True)
    lines = [_title(report), ""]
    for row in table:
        cells = [
            cell.rjust(w) if r else cell.ljust(w)
            for cell, w, r in zip(row, widths, right, strict=False)
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    waste_lines = []
    for r in report.rows:
        if r.wasted_tokens:
            parts = ", ".join(f"{c} {r.waste[c]:,}" for c in CATEGORIES if r.waste[c])
            waste_lines.append(f"  {reveal(r.key)}: {parts}")
    if waste_lines:
        lines += ["", "wasted tokens by category:", *waste_lines]
    evidence = [
        f"  {reveal(r.key)} [{flag}] {reveal(line)}"
        for r in report.rows
        for flag, ev in r.evidence.items()
        for line in ev
    ]
    if evidence:
        lines += ["", "evidence:", *evidence]
    budget = _budget_line(report)
    if budget:
        lines += ["", budget]
    return "\n".join(lines) + "\n"


def _markdown(report: Report) -> str:
    lines = [f"# {_md(_title(report))}", ""]
    if not report.rows:
        return "\n".join([*lines, "No runs in the ledger for this period.", ""])
    lines += [
        f"| # | {report.by} | runs | prompt tokens | completion tokens | verified units | "
        "units / 1k tokens | wasted | flags |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for i, r in enumerate(report.rows, 1):
        lines.append(
            f"| {i} | {_md(r.key)} | {r.runs} | {r.prompt_tokens:,} | {r.completion_tokens:,} "
            f"| {_fmt_units(r.verified_units)} | {r.units_per_1k_tokens:.2f} | {_share(r)} "
            f"| {', '.join(f'`{f}`' for f in r.flags) or '—'} |"
        )
    lines += [
        "",
        "## Wasted tokens by category",
        "",
        f"| {report.by} | " + " | ".join(CATEGORIES) + " |",
        "|---|" + "---:|" * len(CATEGORIES),
    ]
    for r in report.rows:
        lines.append(
            f"| {_md(r.key)} | " + " | ".join(f"{r.waste[c]:,}" for c in CATEGORIES) + " |"
        )
    evidence = [
        (r, flag, line) for r in report.rows for flag, ev in r.evidence.items() for line in ev
    ]
    if evidence:
        lines += ["", "## Evidence", ""]
        lines += [f"- **{_md(r.key)}** `{flag}`: {_md(line)}" for r, flag, line in evidence]
    budget = _budget_line(report)
    if budget:
        lines += ["", _md(budget)]
    return "\n".join(lines) + "\n"


def render(report: Report, fmt: str) -> str:
    """``report`` in ``fmt`` (one of ``FORMATS``), ending in a newline."""
    if fmt == "text":
        return _text(report)
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        return _markdown(report)
    if fmt == "html":
        from ._html import render_html

        return render_html(report)
    raise ValueError(f"unknown usage format {fmt!r}; choose one of: {', '.join(FORMATS)}")
