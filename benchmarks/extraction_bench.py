"""Claim extraction speed on ordinary and adversarial inputs. Prints seconds per input.

python benchmarks/extraction_bench.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import SHARED
from checks.extraction import extract_claims

ADVERSARIAL = {
    "long-coordination": "The team owns " + "search and " * 5000 + "checkout.",
    "unpaired-backtick-runs": " ".join("`" * i + " x" for i in range(1, 400)),
    "many-clauses": "The job runs and " * 5000 + "ends.",
}


def main() -> None:
    for name, text in ADVERSARIAL.items():
        t0 = time.perf_counter()
        n = len(extract_claims(text).claims)
        print(f"{name:24} {len(text):7d} chars  {time.perf_counter() - t0:6.3f}s  {n} claims")
    cases = SHARED / "halueval" / "cases.jsonl"
    if cases.exists():
        texts = [json.loads(line)["response"] for line in cases.open(encoding="utf-8")]
        t0 = time.perf_counter()
        total = sum(len(extract_claims(t).claims) for t in texts)
        dt = time.perf_counter() - t0
        print(
            f"halueval responses      {len(texts)} texts  {dt:6.3f}s  {total} claims "
            f"({len(texts) / dt:.0f} texts/s)"
        )


if __name__ == "__main__":
    main()
