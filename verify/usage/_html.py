"""The usage report as one static HTML page: plots first, then the table and the evidence.

Self-contained: inline CSS and inline SVG drawn by ``_svg``, no script, no font, no image, no
network; a Content-Security-Policy that allows nothing but inline style says so to the browser
too. Every string from the ledger passes through ``reports.escape_html``, hidden characters
shown as escapes.
"""

from __future__ import annotations

import datetime as dt

from reports import escape_html

from .. import __version__
from ._report import Report, Row
from ._svg import Bar, Line, Point, bars, lines, scatter
from ._waste import CATEGORIES

__all__ = ["CATEGORY_COLORS", "FLAGGED_COLOR", "OK_COLOR", "SERIES_COLORS", "render_html"]

CATEGORY_COLORS = {
    "blocked": "#cf222e",
    "loop": "#bf8700",
    "near_duplicate": "#8250df",
    "unused": "#6e7781",
    "oversampling": "#0550ae",
    "padding": "#fb8f44",
    "context": "#1b7c83",
}
OK_COLOR = "#1f883d"
FLAGGED_COLOR = "#e85aad"
SERIES_COLORS = ("#24292f", "#0969da", "#9a6700", "#bc4c00", "#6639ba", "#1b7c83", "#a40e26")
MAX_BARS = 25

_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
_CSS = """
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;
background:#fff;max-width:1160px;margin:0 auto;padding:1.5rem}
h1{margin:0 0 .3rem;font-size:1.5rem}
h2{border-bottom:1px solid #d1d9e0;padding-bottom:.3rem;margin-top:2rem}
.sub{color:#59636e;margin:.2rem 0}
.grid{display:flex;flex-wrap:wrap;gap:1.5rem}
figure{margin:0}figcaption{color:#59636e;font-size:.9em;max-width:720px}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4rem 1rem;margin:.4rem 0}
.sw{display:inline-block;width:.9rem;height:.9rem;border-radius:2px;vertical-align:-2px;
margin-right:.3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.92em}
th,td{border-bottom:1px solid #d1d9e0;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.flag{display:inline-block;padding:0 .45rem;border-radius:1rem;background:#fff1e5;
color:#953800;font-size:.85em;margin:0 .2rem .2rem 0}
.key{overflow-wrap:anywhere}
details{margin:.2rem 0}summary{cursor:pointer;color:#1a5fb4}
.ev{margin:.2rem 0 .2rem 1rem;color:#59636e;overflow-wrap:anywhere}
.budget{padding:.5rem 1rem;border-left:6px solid #cf222e;background:#fff5f5}
.budget.ok{border-color:#1f883d;background:#f0fff4}
"""


def _e(text: str) -> str:
    return escape_html(text, visible=False)


def _date(day: float) -> str:
    return (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=day)).strftime("%Y-%m-%d")


def _waste_flags(row: Row) -> list[str]:
    """The flags that say how tokens were spent (a budget is the reader's, not the row's)."""
    return [f for f in row.flags if f != "over_budget"]


def _scatter(report: Report) -> str:
    total_tokens = sum(r.tokens for r in report.rows)
    total_units = sum(r.verified_units for r in report.rows)
    points = [
        Point(
            r.tokens,
            r.verified_units,
            r.key,
            FLAGGED_COLOR if _waste_flags(r) else OK_COLOR,
            f"{r.key}: {r.tokens:,} tokens, {r.verified_units:g} verified units"
            + (f" ({', '.join(r.flags)})" if r.flags else ""),
        )
        for r in report.rows
    ]
    slope = total_units / total_tokens if total_tokens else None
    svg = scatter(
        points,
        xlabel="tokens (prompt + completion)",
        ylabel="verified units",
        label=f"tokens against verified units per {report.by}",
        slope=slope,
    )
    return (
        f"<figure>{svg}<figcaption>Each point is one {_e(report.by)}: "
        f'<span class="sw" style="background:{OK_COLOR}"></span>no flags, '
        f'<span class="sw" style="background:{FLAGGED_COLOR}"></span>flagged for waste. '
        "Above the "
        "dashed line means more verified work per token than the overall rate."
        "</figcaption></figure>"
    )


def _bars(report: Report) -> str:
    rows = sorted(report.rows, key=lambda r: (-r.tokens, r.key))[:MAX_BARS]
    items = [
        Bar(
            r.key,
            [
                (c, r.waste[c] / r.tokens if r.tokens else 0.0, CATEGORY_COLORS[c])
                for c in CATEGORIES
            ],
        )
        for r in rows
    ]
    legend = "".join(
        f'<li><span class="sw" style="background:{CATEGORY_COLORS[c]}"></span>{_e(c)}</li>'
        for c in CATEGORIES
    )
    more = (
        f" The {MAX_BARS} that spent most of {len(report.rows)} are shown."
        if len(report.rows) > MAX_BARS
        else ""
    )
    return (
        f"<figure>{bars(items, label='wasted share of tokens by category')}"
        f"<figcaption>Share of each {_e(report.by)}'s tokens judged wasted, by category "
        f"(the light rest is not flagged).{more}</figcaption>"
        f'<ul class="legend">{legend}</ul></figure>'
    )


def _trend(report: Report) -> str:
    if not report.trend:
        return "<p class=sub>No runs to plot.</p>"
    tokens, rates = [], []
    for i, s in enumerate(report.trend):
        color = SERIES_COLORS[i % len(SERIES_COLORS)]
        tokens.append(
            Line(
                s.key, color, [(float(d), float(t)) for d, t in zip(s.days, s.tokens, strict=True)]
            )
        )
        rates.append(
            Line(
                s.key,
                color,
                [
                    (float(d), 1000 * u / t if t else 0.0)
                    for d, t, u in zip(s.days, s.tokens, s.units, strict=True)
                ],
            )
        )
    legend = "".join(
        f'<li><span class="sw" style="background:{SERIES_COLORS[i % len(SERIES_COLORS)]}">'
        f"</span>{_e(s.key)}</li>"
        for i, s in enumerate(report.trend)
    )
    a = lines(tokens, xlabel="day (UTC)", ylabel="tokens", label="tokens per day", xfmt=_date)
    b = lines(
        rates,
        xlabel="day (UTC)",
        ylabel="verified units per 1k tokens",
        label="verified units per 1k tokens per day",
        xfmt=_date,
    )
    return (
        f'<div class="grid"><figure>{a}<figcaption>Tokens per day.</figcaption></figure>'
        f"<figure>{b}<figcaption>Verified units per 1k tokens per day.</figcaption>"
        f'</figure></div><ul class="legend">{legend}</ul>'
    )


def _row(i: int, r: Row) -> str:
    flags = "".join(f'<span class="flag">{_e(f)}</span>' for f in r.flags) or "—"
    evidence = ""
    if r.evidence:
        items = "".join(
            f'<div class="ev"><b>{_e(flag)}</b>: {_e(line)}</div>'
            for flag, ev in r.evidence.items()
            for line in ev
        )
        evidence = f"<details><summary>evidence</summary>{items}</details>"
    share = f"{100 * r.wasted_tokens / r.tokens:.0f}%" if r.tokens else "0%"
    return (
        f'<tr><td class="n">{i}</td><td class="key">{_e(r.key)}</td>'
        f'<td class="n">{r.runs}</td><td class="n">{r.prompt_tokens:,}</td>'
        f'<td class="n">{r.completion_tokens:,}</td><td class="n">{r.verified_units:,.4g}'
        f'</td><td class="n">{r.units_per_1k_tokens:.2f}</td><td class="n">{share}</td>'
        f"<td>{flags}{evidence}</td></tr>"
    )


def _budget(report: Report) -> str:
    if report.max_tokens_per_unit is None:
        return ""
    over = report.over_budget()
    limit = f"{report.max_tokens_per_unit:g}"
    if not over:
        return f'<p class="budget ok">Every row within {limit} tokens per verified unit.</p>'
    names = ", ".join(_e(r.key) for r in over)
    return f'<p class="budget">{len(over)} over {limit} tokens per verified unit: {names}</p>'


def render_html(report: Report) -> str:
    by = _e(report.by)
    total_tokens = sum(r.tokens for r in report.rows)
    total_units = sum(r.verified_units for r in report.rows)
    rate = 1000 * total_units / total_tokens if total_tokens else 0.0
    table = "".join(_row(i, r) for i, r in enumerate(report.rows, 1))
    body = (
        f"<h1>Verified work per token, by {by}</h1>"
        f'<p class="sub">{len(report.rows)} {by}(s), {total_tokens:,} tokens, '
        f"{total_units:,.4g} verified units: {rate:.2f} per 1k tokens. Ranked by verified "
        "units per 1k tokens, best first.</p>"
        f"{_budget(report)}"
        f'<h2>Tokens against verified work</h2><div class="grid">{_scatter(report)}</div>'
        f"<h2>Where the tokens went</h2>{_bars(report)}"
        f"<h2>Over time</h2>{_trend(report)}"
        f"<h2>Ranking</h2><table><thead><tr><th class=n>#</th><th>{by}</th>"
        "<th class=n>runs</th><th class=n>prompt</th><th class=n>completion</th>"
        "<th class=n>verified units</th><th class=n>units / 1k tokens</th>"
        f"<th class=n>wasted</th><th>flags</th></tr></thead><tbody>{table}</tbody></table>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="verify {__version__}">'
        f"<title>verify usage by {by}</title><style>{_CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )
