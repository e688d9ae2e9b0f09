"""Progress on stderr: items done of the total, items per second and time left.

tqdm draws it where it is installed (it comes with sentence-transformers); otherwise one line
is redrawn at most twice a second. Items resumed from an earlier run count as done but not
in the rate. ``quiet`` draws nothing.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

__all__ = ["Progress"]


class Progress:
    def __init__(self, total: int, done: int = 0, *, quiet: bool = False) -> None:
        self.total, self.done, self.quiet = total, done, quiet
        self._initial = done
        self._start = time.monotonic()
        self._drawn = 0.0
        self._bar: Any = None
        if quiet:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            self._draw()
        else:
            self._bar = tqdm(
                total=total,
                initial=done,
                unit="item",
                desc="checking",
                file=sys.stderr,
                smoothing=0.05,
                mininterval=0.5,
                dynamic_ncols=True,
            )

    def advance(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif not self.quiet and time.monotonic() - self._drawn >= 0.5:
            self._draw()

    def _draw(self, end: str = "") -> None:
        self._drawn = time.monotonic()
        sys.stderr.write(f"\r{self.line()}{end}")
        sys.stderr.flush()

    def line(self) -> str:
        """``checking: 1200/10000 12% 85.3 items/s ETA 1m43s``."""
        rate = self.rate()
        left = self.total - self.done
        eta = _duration(left / rate) if rate > 0 else "?"
        share = f"{100 * self.done / self.total:.0f}%" if self.total else "100%"
        return f"checking: {self.done}/{self.total} {share} {rate:.1f} items/s ETA {eta}"

    def rate(self) -> float:
        """Items per second since this run began (resumed items left out)."""
        elapsed = time.monotonic() - self._start
        new = self.done - self._initial
        return new / elapsed if elapsed > 0 else 0.0

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif not self.quiet:
            self._draw("\n")

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"
