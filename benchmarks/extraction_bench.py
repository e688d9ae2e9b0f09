"""Claim extraction speed on ordinary and adversarial inputs, and how often internal-dev's
answers split into their gold sentences (target: 95 %; tests/test_extraction.py holds the
same on a small invented set, ``tests/data/alignment/answers.jsonl``).

python benchmarks/extraction_bench.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import SHARED
from checks.extraction import extract_claims, split_sentences

TARGET_EXACT_SPLITS = 0.95

ADVERSARIAL = {
    "long-coordination": "The team owns " + "search and " * 5000 + "checkout.",
    "unpaired-backtick-runs": " ".join("`" * i + " x" for i in range(1, 400)),
    "many-clauses": "The job runs and " * 5000 + "ends.",
}


def exact_splits(answers: Path) -> tuple[float, list[str]]:
    """Share of the answers of ``answers`` (jsonl: ``answer``, ``gold`` sentences) that split
    exactly into their gold sentences, and the ids of those that do not."""
    rows = [json.loads(line) for line in answers.read_text(encoding="utf-8").splitlines() if line]
    missed = [
        r["id"]
        for r in rows
        if [r["answer"][s:e] for s, e in split_sentences(r["answer"])]
        != [g["sentence"] for g in r["gold"]]
    ]
    return 1 - len(missed) / max(len(rows), 1), missed


def main() -> None:
    for name, text in ADVERSARIAL.items():
        t0 = time.perf_counter()
        n = len(extract_claims(text).claims)
        print(f"{name:24} {len(text):7d} chars  {time.perf_counter() - t0:6.3f}s  {n} claims")
    answers = SHARED / "internal-dev" / "answers.jsonl"
    if answers.exists():
        share, missed = exact_splits(answers)
        ok = "met" if share >= TARGET_EXACT_SPLITS else "MISSED"
        print(
            f"internal-dev answers split exactly into gold sentences: {share:.0%} "
            f"(target {TARGET_EXACT_SPLITS:.0%}: {ok}); misses: {missed}"
        )
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
