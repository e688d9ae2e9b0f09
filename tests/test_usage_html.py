"""The usage HTML page in a real browser: headless Chromium renders it without a console
message, the DOM holds the plots, and a screenshot shows them drawn in their colours.

Chromium is Debian's ``chromium`` package. The session fixture installs it with apt-get when
it is missing and fails (never skips) when it cannot: a browser test that skips tests nothing.
The PNG is decoded here with zlib and numpy (every PNG row filter), no imaging library.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from click.testing import CliRunner
from support.usage_data import AGENTS, TASKS, session

from verify.cli import cli
from verify.ledger import Ledger
from verify.usage._html import CATEGORY_COLORS, FLAGGED_COLOR, OK_COLOR, SERIES_COLORS

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed on first use (apt-get as root); a failure is a failure."""
    found = _find_chromium()
    if found:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail(
            "chromium is missing and cannot be installed here (needs root and apt-get):"
            " apt-get install -y chromium"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
    done = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:  # package lists may be empty on a fresh machine
        subprocess.run(["apt-get", "update"], capture_output=True, env=env, check=False)
        done = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    found = _find_chromium()
    if not found:
        pytest.fail(f"could not install chromium: {done.stderr.strip()[-800:]}")
    return found


def _run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def console_messages(stderr: str) -> list[str]:
    """Every message the page wrote to the console (errors, CSP violations, logs)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


# --------------------------------------------------------------------------- PNG decoding


def _paeth_row(line: bytearray, prev: bytes | bytearray, bpp: int) -> None:
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        line[i] = (line[i] + pred) & 0xFF


def decode_png(data: bytes) -> npt.NDArray[np.uint8]:
    """An 8-bit RGB or RGBA, non-interlaced PNG as an (height, width, 3) array."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    assert header is not None
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(bytes(idat))
    stride = width * bpp
    prev = bytearray(stride)
    out = np.empty((height, stride), dtype=np.uint8)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        cur = np.frombuffer(line, dtype=np.uint8).astype(np.int64)
        up = np.frombuffer(bytes(prev), dtype=np.uint8).astype(np.int64)
        if kind == 1:  # Sub: a running sum per channel
            line = bytearray(
                (np.cumsum(cur.reshape(-1, bpp), axis=0) & 0xFF).astype(np.uint8).tobytes()
            )
        elif kind == 2:  # Up
            line = bytearray(((cur + up) & 0xFF).astype(np.uint8).tobytes())
        elif kind == 3:  # Average: sequential along the row
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            _paeth_row(line, prev, bpp)
        else:
            assert kind == 0, f"unknown PNG filter {kind}"
        out[y] = np.frombuffer(bytes(line), dtype=np.uint8)
        prev = line
    return out.reshape(height, width, bpp)[:, :, :3]


def _rgb(hex_colour: str) -> npt.NDArray[np.int64]:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int64)


def pixels_near(image: npt.NDArray[np.uint8], colour: str, tolerance: int = 12) -> int:
    diff = np.abs(image.astype(np.int64) - _rgb(colour)).max(axis=2)
    return int((diff <= tolerance).sum())


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
    done = _run_chromium(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())
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
    done = _run_chromium(chromium, tmp_path / "profile", "--dump-dom", bad.as_uri())
    assert console_messages(done.stderr), done.stderr[-2000:]


def test_a_screenshot_shows_the_plots_drawn(chromium: str, page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    done = _run_chromium(
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
