"""Measure an entailment model alone, outside the cascade, on sets it was not trained on.

    python benchmarks/entailment_eval.py                       # the bundled model
    python benchmarks/entailment_eval.py --model /tmp/ent/model --sets fever-sym --limit 200
    python benchmarks/entailment_eval.py --precision fp32   # auto: bf16 where the CPU has it

- ``fever-sym``: FEVER-Symmetric dev (708 pairs, entailment / contradiction, built so that
  the claim alone does not give the label away): accuracy of P(entailment) > P(contradiction).
- ``wice``: WiCE dev (349 Wikipedia claims, each with its cited article): each claim is read
  against its windows exactly as the cascade reads it (``ContextEvidence`` candidates,
  ``checks.entailment.entailment``): AUROC of the best window's P(entailment) for supported
  vs the rest, balanced accuracy at P >= 0.5, and at the best threshold on this set itself
  (marked ``tuned-on-dev``: an upper bound, not a result).
- speed: model load seconds, pairs/s for the FEVER pairs, claims/s for WiCE (windows + model;
  embedding each article is reported apart, it is retrieval's cost).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import SHARED, read_jsonl, require
from checks.entailment import LABELS, PRECISIONS, EntailmentModel, entailment, get_entailment
from checks.evidence import ContextEvidence
from checks.types import Claim
from retrieval import get_embedder
from verify.bench import auroc

ENT, CON = LABELS.index("entailment"), LABELS.index("contradiction")


def balanced(truth: Sequence[bool], said: Sequence[bool]) -> float:
    pos = [s for t, s in zip(truth, said, strict=True) if t]
    neg = [not s for t, s in zip(truth, said, strict=True) if not t]
    return (sum(pos) / max(len(pos), 1) + sum(neg) / max(len(neg), 1)) / 2


def best_threshold(truth: Sequence[bool], scores: Sequence[float]) -> tuple[float, float]:
    return max((balanced(truth, [s >= t for s in scores]), t) for t in sorted(set(scores)))


def fever_sym(model: EntailmentModel, limit: int) -> dict[str, Any]:
    rows = list(read_jsonl(require(SHARED / "fever-symmetric-dev" / "pairs.jsonl")))
    rows = rows[:limit] if limit else rows
    t0 = time.perf_counter()
    probs = model.predict([(r["premise"], r["hypothesis"]) for r in rows])
    seconds = time.perf_counter() - t0
    truth = [r["label"] == "entailment" for r in rows]
    said = [bool(p[ENT] > p[CON]) for p in probs]
    return {
        "pairs": len(rows),
        "accuracy": sum(t == s for t, s in zip(truth, said, strict=True)) / len(rows),
        "balanced_accuracy": balanced(truth, said),
        "pairs_per_s": len(rows) / seconds,
    }


def wice(model: EntailmentModel, limit: int, best: int) -> dict[str, Any]:
    rows = list(read_jsonl(require(SHARED / "wice-dev" / "claims.jsonl")))
    rows = rows[:limit] if limit else rows
    embedder = get_embedder(precision="fp32")  # the same windows whatever --precision measures
    scores, embed_s, model_s = [], 0.0, 0.0
    for r in rows:
        contexts = r["context"] if isinstance(r["context"], list) else [r["context"]]
        claim = Claim(str(r["id"]), r["claim"], 0, len(r["claim"]))
        t0 = time.perf_counter()
        evidence = ContextEvidence([(f"context[{i}]", c) for i, c in enumerate(contexts)], embedder)
        cands = evidence.candidates([claim], evidence.embed([claim.text]))
        t1 = time.perf_counter()
        scores.append(entailment(model, [claim.text], cands, best=best)[0].entail)
        embed_s, model_s = embed_s + t1 - t0, model_s + time.perf_counter() - t1
    truth = [r["label"] == "supported" for r in rows]
    tuned, threshold = best_threshold(truth, scores)
    return {
        "claims": len(rows),
        "auroc": auroc(truth, scores),
        "balanced_accuracy_at_0.5": balanced(truth, [s >= 0.5 for s in scores]),
        "balanced_accuracy_tuned-on-dev": tuned,
        "threshold_tuned-on-dev": threshold,
        "claims_per_s": len(rows) / model_s,
        "embedding_s": embed_s,
    }


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="bundled", help="bundled, or a model folder")
    ap.add_argument("--sets", default="fever-sym,wice", help="comma-separated: fever-sym,wice")
    ap.add_argument("--limit", type=int, default=0, help="first N items of each set (0: all)")
    ap.add_argument("--windows", type=int, default=4, help="candidates read per claim (wice)")
    ap.add_argument("--precision", default="auto", choices=PRECISIONS, help="number format [auto]")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = ap.parse_args(argv)
    model = get_entailment(args.model, precision=args.precision)
    t0 = time.perf_counter()
    model.load()
    out: dict[str, Any] = {"model": args.model, "load_s": time.perf_counter() - t0}
    out["precision"] = getattr(model, "computes", args.precision)
    for name in args.sets.split(","):
        if name == "fever-sym":
            out[name] = fever_sym(model, args.limit)
        elif name == "wice":
            out[name] = wice(model, args.limit, args.windows)
        else:
            raise SystemExit(f"unknown set {name!r}; use fever-sym, wice")
        if not args.json:
            print(name, json.dumps(_rounded(out[name])), flush=True)
    if args.json:
        print(json.dumps(_rounded(out)))
    else:
        print(f"load {out['load_s']:.2f}s")


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return round(value, 4) if isinstance(value, float) else value


if __name__ == "__main__":
    main()
