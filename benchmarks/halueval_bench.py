"""HaluEval (1,000 responses, QA and summarization) checked with ``--context`` semantics.

    python benchmarks/halueval_bench.py [--limit N] [--judge PATH.gguf] [--json]

Each case's context passage is the only evidence (the RAG case). A response is judged
hallucinated when any of its claims is not supported. A response is read as the answer to
its question (``checks.extraction.answer_claims``, as ``verify check --batch`` reads a
line's ``question``): a bare one ("Roy Hodgson", "In 1997.", "Yes.") is checked as the
statement it makes with the question, a longer one by its own claims. Beside each task's
accuracy the script prints a length-only floor (the best single threshold on the
response's word count, chosen on the same cases: an upper bound for that floor).
``--judge`` adds the LLM judge to the cascade, as ``verify check --judge`` does, and prints
how many claims it was asked and its tokens per claim.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import SHARED, read_jsonl, require
from checks.extraction import answer_claims
from retrieval import get_embedder
from verify.checker import context_evidence, judge_from, make_cascade
from verify.config import Config
from verify.errors import InputError


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
    ap.add_argument("--judge", default=None, metavar="GGUF", help="LLM judge for stage 4")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    try:
        judge = judge_from(args.judge)
    except InputError as exc:
        print(f"halueval_bench: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    cases = list(read_jsonl(require(SHARED / "halueval" / "cases.jsonl")))
    embedder = get_embedder()
    embedder.load()
    config = Config()
    results: dict[str, dict[str, float]] = {}
    for task in ("qa", "summarization"):
        subset = [c for c in cases if c["task"] == task][: args.limit]
        correct = claims = judged = tokens = errors = 0
        t0 = time.perf_counter()
        for case in subset:
            evidence = context_evidence([case["context"]], embedder)
            answer = answer_claims(case["response"], case["question"])
            result = make_cascade(evidence, config, judge=judge).check(answer)
            verdicts = result.verdicts
            claims += len(verdicts)
            judged += sum("judge:" in v.reason for v in verdicts)
            errors += sum(v.label == "error" for v in verdicts)
            tokens += result.usage.prompt_tokens + result.usage.completion_tokens
            hallucinated = any(v.label != "supported" for v in verdicts)
            correct += hallucinated == (case["label"] == "hallucinated")
        seconds = time.perf_counter() - t0
        results[task] = {
            "n": len(subset),
            "accuracy": correct / len(subset),
            "length_floor": length_floor(subset),
            "cases_per_second": len(subset) / seconds,
            "claims": claims,
            "errors": errors,
            "judged": judged,
            "judge_tokens_per_claim": tokens / claims if claims else 0.0,
        }
        r = results[task]
        print(
            f"{task:14} n {r['n']}  accuracy {r['accuracy']:.3f}  length-only floor "
            f"{r['length_floor']:.3f}  {r['cases_per_second']:.2f} cases/s  errors {errors}"
            + (
                f"  judge asked on {judged} of {claims} claims, "
                f"{r['judge_tokens_per_claim']:.1f} tokens per claim"
                if judge is not None
                else ""
            )
        )
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
