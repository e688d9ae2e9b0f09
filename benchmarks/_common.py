"""Helpers shared by the benchmark scripts: where the shared data is, cached indexes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VERIFY_SHARED_BENCHMARKS", REPO.parent / "shared" / "benchmarks"))
CACHE = REPO / ".verify" / "bench"


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def require(path: Path) -> Path:
    if not path.exists():
        raise SystemExit(f"benchmark data not found at {path}; set VERIFY_SHARED_BENCHMARKS")
    return path
