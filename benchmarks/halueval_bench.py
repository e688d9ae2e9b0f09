"""HaluEval (1,000 responses, QA and summarization) checked with ``--context`` semantics.

    python benchmarks/halueval_bench.py [--limit N] [--json]

Each case's context passage is the only evidence (the RAG case). A response is judged
hallucinated when any of its claims is not supported. QA answers are often a bare phrase
with no claim of their own: they are checked as "<question> <answer>". Beside each task's
accuracy the script prints a length-only floor (the best single threshold on the
response's word count, chosen on the same cases: an upper bound for that floor).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import SHARED, read_jsonl, require
from checks.cascade import Cascade
from checks.evidence import ContextEvidence
from checks.extraction import extract_claims
from checks.types import Claim
from retrieval import get_embedder


def claims_of(case: dict[str, str]) -> list[Claim]:
    response = case["response"].strip()
    claims = list(extract_claims(response).claims)
    if case["task"] == "qa" or not claims:
        return [
            Claim(
                "c1",
                response,
                0,
                len(response),
                standalone=f"{case['question'].strip()} {response}",
            )
        ]
    return claims


def length_floor(cases: list[dict[str, str]]) -> float:
    """Best accuracy of "hallucinated iff longer (or shorter) than t words"."""
    lengths = [len(c["response"].split()) for c in cases]
    gold = [c["label"] == "hallucinated" for c in cases]
    best = 0.0
    for t in sorted(set(lengths)):
        for longer in (True, False):
            pred = [(n > t) == longer for n in lengths]
            best = max(best, sum(p == g for p, g in zip(pred, gold, strict=True)) / len(gold))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="cases per task")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cases = list(read_jsonl(require(SHARED / "halueval" / "cases.jsonl")))
    embedder = get_embedder()
    embedder.load()
    results: dict[str, dict[str, float]] = {}
    for task in ("qa", "summarization"):
        subset = [c for c in cases if c["task"] == task][: args.limit]
        correct = 0
        t0 = time.perf_counter()
        for case in subset:
            cascade = Cascade(ContextEvidence([("context", case["context"])], embedder))
            verdicts = cascade.check(claims_of(case)).verdicts
            hallucinated = any(v.label != "supported" for v in verdicts)
            correct += hallucinated == (case["label"] == "hallucinated")
        seconds = time.perf_counter() - t0
        results[task] = {
            "n": len(subset),
            "accuracy": correct / len(subset),
            "length_floor": length_floor(subset),
            "cases_per_second": len(subset) / seconds,
        }
        r = results[task]
        print(
            f"{task:14} n {r['n']}  accuracy {r['accuracy']:.3f}  length-only floor "
            f"{r['length_floor']:.3f}  {r['cases_per_second']:.1f} cases/s"
        )
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
