"""The usage HTML page in a real browser: headless Chromium renders it without a console
message, the DOM holds the plots, and a screenshot shows them drawn in their colours.

Chromium is Debian's ``chromium`` package. The session fixture (``conftest.py``) installs it
with apt-get when it is missing and fails (never skips) when it cannot: a browser test that
skips tests nothing. The PNG is decoded with zlib and numpy (every PNG row filter, in
``support.browser``, tested here), no imaging library.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from support.browser import console_messages, decode_png, pixels_near, run_chromium
from support.usage_data import AGENTS, TASKS, session

from verify.cli import cli
from verify.ledger import Ledger
from verify.usage._html import CATEGORY_COLORS, FLAGGED_COLOR, OK_COLOR, SERIES_COLORS

# --------------------------------------------------------------------------- PNG decoding


def test_the_png_decoder_reads_every_filter(tmp_path: Path) -> None:
    """Encode rows with each filter by hand, decode, compare: the decoder could be wrong."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(5, 7, 3), dtype=np.int64)
    rows, prev = [], np.zeros(21, dtype=np.int64)
    for y, kind in enumerate((0, 1, 2, 3, 4)):
        cur = image[y].reshape(-1)
        left = np.concatenate([np.zeros(3, dtype=np.int64), cur[:-3]])
        upleft = np.concatenate([np.zeros(3, dtype=np.int64), prev[:-3]])
        if kind == 0:
            pred = np.zeros_like(cur)
        elif kind == 1:
            pred = left
        elif kind == 2:
            pred = prev
        elif kind == 3:
            pred = (left + prev) >> 1
        else:
            p = left + prev - upleft
            pa, pb, pc = np.abs(p - left), np.abs(p - prev), np.abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        rows.append(bytes([kind]) + ((cur - pred) & 0xFF).astype(np.uint8).tobytes())
        prev = cur

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 7, 5, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )
    assert (decode_png(png) == image).all()


# --------------------------------------------------------------------------- the page


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("html")
    ledger_path = folder / "ledger.db"
    with Ledger.open(ledger_path) as ledger:
        for day, task in enumerate(TASKS):
            for agent in AGENTS:
                session(ledger, agent, task, day)
    out = folder / "usage.html"
    result = CliRunner().invoke(
        cli,
        [
            "usage",
            "--ledger",
            str(ledger_path),
            "--by",
            "agent",
            "--format",
            "html",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    yield out


def test_the_page_renders_without_a_console_message(
    chromium: str, page: Path, tmp_path: Path
) -> None:
    done = run_chromium(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_messages(done.stderr) == []
    dom = done.stdout
    assert len(re.findall(r"<svg\b", dom)) == 4  # scatter, waste bars, two trend charts
    assert len(re.findall(r'<circle class="point"', dom)) == len(AGENTS)
    assert len(re.findall(r'<rect class="seg"', dom)) >= 3
    assert len(re.findall(r'<polyline class="trend"', dom)) >= 2
    assert "concise" in dom and "<table>" in dom


def test_the_console_check_catches_a_broken_page(chromium: str, tmp_path: Path) -> None:
    """The check above could fail: a page that breaks our CSP is caught by it."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        page_with_script := (
            '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
            "content=\"default-src 'none'\"></head><body><script>x()</script></body></html>"
        )
    )
    assert "<script>" in page_with_script
    done = run_chromium(chromium, tmp_path / "profile", "--dump-dom", bad.as_uri())
    assert console_messages(done.stderr), done.stderr[-2000:]


def test_a_screenshot_shows_the_plots_drawn(chromium: str, page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    done = run_chromium(
        chromium,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1200,1600",
        page.as_uri(),
    )
    assert shot.exists(), done.stderr[-2000:]
    assert console_messages(done.stderr) == []
    image = decode_png(shot.read_bytes())
    assert image.shape == (1600, 1200, 3)
    # the scatter: the concise agent's point (no flags) and the flagged agents' points
    assert pixels_near(image, OK_COLOR) >= 60
    assert pixels_near(image, FLAGGED_COLOR) >= 3 * 60
    # the waste bars: one colour per agent's category
    for category in ("blocked", "loop", "padding"):
        assert pixels_near(image, CATEGORY_COLORS[category]) >= 500, category
    # the trend lines: the series of the agents that spent most
    drawn = [c for c in SERIES_COLORS[1:5] if pixels_near(image, c, tolerance=20) >= 40]
    assert len(drawn) >= 3, drawn
    # and most of the page is the white background, not a blank or an error screen
    assert pixels_near(image, "#ffffff", tolerance=0) > image.shape[0] * image.shape[1] // 2
