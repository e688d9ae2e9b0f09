"""Headless Chromium for the page tests (Debian's ``chromium``; the ``chromium`` fixture in
``conftest.py`` finds or installs it), what the page wrote to its console, and an 8-bit PNG
decoder (zlib and numpy, every row filter; no imaging library) to look at a screenshot."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import numpy.typing as npt

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
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
