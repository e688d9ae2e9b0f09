"""Counts for the robustness suites (fail closed, hostile text, fuzzing, durability).

A suite calls ``tally(suite, cases=1, faults=1, flips=0, ...)`` once per case it tried,
*before* asserting, so a failing case is counted too. When the environment variable
``VERIFY_ROBUSTNESS_OUT`` names a file, each call appends one JSON line to it;
``benchmarks/robustness_summary.py`` runs the suites with it set and prints the sums.
Without the variable ``tally`` does nothing, so ``make test`` is unaffected.

Count names: ``cases`` (cases tried), ``faults`` (faults injected), ``flips`` (verdicts
that changed under hostile text), ``escapes`` (hostile markup that survived into a
report or prompt unescaped), ``crashes`` (tracebacks or exits other than the expected
code), ``lost`` (committed rows or index generations lost, or an action that ran with no
ledger row), ``late`` (a model call that outlived its deadline by more than the margin).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

__all__ = ["COUNTS", "tally"]

COUNTS = ("cases", "faults", "flips", "escapes", "crashes", "lost", "late")
_lock = threading.Lock()


def tally(suite: str, **counts: int) -> None:
    """Record ``counts`` (names from ``COUNTS``) for one case of ``suite``."""
    unknown = set(counts) - set(COUNTS)
    if unknown:
        raise ValueError(f"unknown robustness counts {sorted(unknown)}; use {COUNTS}")
    out = os.environ.get("VERIFY_ROBUSTNESS_OUT")
    if not out:
        return
    line = json.dumps({"suite": suite, **{k: int(v) for k, v in counts.items()}})
    with _lock, Path(out).open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
