"""Three inline SVG plots, drawn from numbers: a scatter, stacked bars and line charts.

No plotting library and no script: each function returns one ``<svg>`` element as a string,
every label passed through ``reports.escape_html`` (hidden characters shown as escapes).
Coordinates are rounded to 0.1 px.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reports import escape_html

__all__ = ["Bar", "Line", "Point", "bars", "lines", "nice_ticks", "scatter"]

FONT = 'font-family="system-ui,sans-serif" font-size="12"'
AXIS = "#57606a"
GRID = "#d8dee4"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    color: str
    title: str = ""


@dataclass(frozen=True)
class Bar:
    label: str
    segments: Sequence[tuple[str, float, str]]  # (name, value 0..1, colour)
    title: str = ""


@dataclass(frozen=True)
class Line:
    label: str
    color: str
    points: Sequence[tuple[float, float]]


def _e(text: str) -> str:
    return escape_html(text, visible=False)  # no markup inside SVG text: bare escapes


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def nice_ticks(high: float, count: int = 5, min_step: float = 0.0) -> list[float]:
    """0 and round steps up to at least ``high`` (1, 2, 2.5 or 5 times a power of ten)."""
    if not high > 0 or math.isinf(high):
        return [0.0, max(1.0, min_step)]
    raw = max(high / count, min_step)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(high / step - 1e-9)
    return [i * step for i in range(n + 1)]


def _fmt(v: float) -> str:
    if abs(v) >= 1_000_000:
        return f"{v / 1_000_000:g}M"
    if abs(v) >= 1_000:
        return f"{v / 1_000:g}k"
    return f"{v:g}"


class _Frame:
    """A plot area with margins and linear x/y scales from 0 to the last tick."""

    def __init__(
        self,
        width: int,
        height: int,
        xticks: list[float],
        yticks: list[float],
        left: int = 56,
        bottom: int = 40,
        top: int = 14,
        right: int = 40,
    ) -> None:
        self.w, self.h = width, height
        self.x0, self.x1 = left, width - right
        self.y0, self.y1 = height - bottom, top
        self.xticks, self.yticks = xticks, yticks

    def x(self, v: float) -> float:
        return self.x0 + (self.x1 - self.x0) * v / (self.xticks[-1] or 1)

    def y(self, v: float) -> float:
        return self.y0 - (self.y0 - self.y1) * v / (self.yticks[-1] or 1)

    def axes(self, xlabel: str, ylabel: str, xfmt: list[str] | None = None) -> list[str]:
        out = []
        for t in self.yticks:
            y = _n(self.y(t))
            out.append(
                f'<line x1="{self.x0}" y1="{y}" x2="{self.x1}" y2="{y}" '
                f'stroke="{GRID}" stroke-width="1"/>'
            )
            out.append(
                f'<text x="{self.x0 - 6}" y="{y}" text-anchor="end" '
                f'dominant-baseline="middle" fill="{AXIS}">{_e(_fmt(t))}</text>'
            )
        labels = xfmt or [_fmt(t) for t in self.xticks]
        for t, text in zip(self.xticks, labels, strict=True):
            x = _n(self.x(t))
            out.append(
                f'<line x1="{x}" y1="{self.y0}" x2="{x}" y2="{self.y0 + 4}" stroke="{AXIS}"/>'
            )
            out.append(
                f'<text x="{x}" y="{self.y0 + 16}" text-anchor="middle" '
                f'fill="{AXIS}">{_e(text)}</text>'
            )
        out.append(
            f'<line x1="{self.x0}" y1="{self.y0}" x2="{self.x1}" y2="{self.y0}" '
            f'stroke="{AXIS}" stroke-width="1.5"/>'
        )
        out.append(
            f'<line x1="{self.x0}" y1="{self.y0}" x2="{self.x0}" y2="{self.y1}" '
            f'stroke="{AXIS}" stroke-width="1.5"/>'
        )
        out.append(
            f'<text x="{(self.x0 + self.x1) / 2:.0f}" y="{self.h - 4}" '
            f'text-anchor="middle" fill="{AXIS}">{_e(xlabel)}</text>'
        )
        out.append(
            f'<text x="12" y="{(self.y0 + self.y1) / 2:.0f}" text-anchor="middle" '
            f'fill="{AXIS}" transform="rotate(-90 12 {(self.y0 + self.y1) / 2:.0f})">'
            f"{_e(ylabel)}</text>"
        )
        return out


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(label)}" {FONT}>'
        f"<title>{_e(label)}</title>" + "".join(body) + "</svg>"
    )


def scatter(
    points: Sequence[Point],
    *,
    xlabel: str,
    ylabel: str,
    label: str,
    slope: float | None = None,
    width: int = 720,
    height: int = 380,
) -> str:
    """Points with labels; ``slope`` draws a dashed reference line y = slope * x."""
    f = _Frame(
        width,
        height,
        nice_ticks(max((p.x for p in points), default=1)),
        nice_ticks(max((p.y for p in points), default=1)),
    )
    body = f.axes(xlabel, ylabel)
    if slope is not None and slope > 0:
        x_end = min(f.xticks[-1], f.yticks[-1] / slope)
        body.append(
            f'<line x1="{_n(f.x(0))}" y1="{_n(f.y(0))}" x2="{_n(f.x(x_end))}" '
            f'y2="{_n(f.y(slope * x_end))}" stroke="{AXIS}" stroke-dasharray="5 4" '
            'class="median"/>'
        )
    labelled = len(points) <= 40
    for p in points:
        cx, cy = _n(f.x(p.x)), _n(f.y(p.y))
        body.append(
            f'<circle class="point" cx="{cx}" cy="{cy}" r="7" fill="{p.color}" '
            f'stroke="#ffffff" stroke-width="1.5">'
            f"<title>{_e(p.title or p.label)}</title></circle>"
        )
        if labelled:  # beside the point, on whichever side has room
            left = f.x(p.x) > f.x0 + 0.7 * (f.x1 - f.x0)
            x = f.x(p.x) + (-10 if left else 10)
            body.append(
                f'<text x="{_n(x)}" y="{cy}" dominant-baseline="middle" '
                f'text-anchor="{"end" if left else "start"}" '
                f'fill="#24292f">{_e(p.label[:24])}</text>'
            )
    return _svg(width, height, label, body)


def bars(items: Sequence[Bar], *, label: str, width: int = 760, bar_h: int = 22) -> str:
    """One horizontal bar per item, segments stacked left to right, as shares of 0..100%."""
    left, right, top = 170, 24, 8
    height = top + len(items) * (bar_h + 8) + 30
    span = width - left - right
    body = []
    for i, item in enumerate(items):
        y = top + i * (bar_h + 8)
        body.append(
            f'<text x="{left - 8}" y="{y + bar_h / 2:.0f}" text-anchor="end" '
            f'dominant-baseline="middle" fill="#24292f">{_e(item.label[:26])}</text>'
        )
        body.append(
            f'<rect x="{left}" y="{y}" width="{span}" height="{bar_h}" '
            f'fill="#f6f8fa" stroke="{GRID}"/>'
        )
        x = float(left)
        for name, value, color in item.segments:
            w = span * max(0.0, min(value, 1.0))
            if w < 0.05:
                continue
            body.append(
                f'<rect class="seg" x="{_n(x)}" y="{y}" width="{_n(w)}" '
                f'height="{bar_h}" fill="{color}"><title>{_e(name)}: '
                f"{value:.0%}</title></rect>"
            )
            x += w
    axis_y = top + len(items) * (bar_h + 8)
    for pct in (0, 25, 50, 75, 100):
        x = left + span * pct / 100
        body.append(
            f'<text x="{_n(x)}" y="{axis_y + 14}" text-anchor="middle" fill="{AXIS}">{pct}%</text>'
        )
    return _svg(width, height, label, body)


def lines(
    series: Sequence[Line],
    *,
    xlabel: str,
    ylabel: str,
    label: str,
    xfmt: Callable[[float], str] = _fmt,
    width: int = 530,
    height: int = 300,
) -> str:
    """Lines over a shared whole-number x (e.g. days), tick labels by ``xfmt(x)``."""
    xs = sorted({x for s in series for x, _ in s.points})
    lo = xs[0] if xs else 0.0
    hi = max((y for s in series for _, y in s.points), default=1.0)
    ticks = nice_ticks(xs[-1] - lo if xs else 0.0, 4, min_step=1.0)
    f = _Frame(width, height, ticks, nice_ticks(hi))
    body = f.axes(xlabel, ylabel, [xfmt(lo + t) for t in ticks])
    for s in series:
        pts = [(f.x(x - lo), f.y(y)) for x, y in s.points]
        if len(pts) > 1:
            body.append(
                f'<polyline class="trend" fill="none" stroke="{s.color}" '
                'stroke-width="2.5" points="' + " ".join(f"{_n(x)},{_n(y)}" for x, y in pts) + '"/>'
            )
        for x, y in pts:
            body.append(
                f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{s.color}">'
                f"<title>{_e(s.label)}</title></circle>"
            )
    return _svg(width, height, label, body)
