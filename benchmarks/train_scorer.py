"""Train the cascade's learned scorer and write checks/scorer/weights.json.

    python benchmarks/train_scorer.py [--eval]

Training data (fixed, so the weights are reproducible): SciFact train split (809 claims,
open retrieval over its 5,183 abstracts) and the Ferrowave claims written for this project
against the bundled demo corpus (benchmarks/data/ferrowave). internal-dev is never trained
on: it is the held-out set `verify bench` reports on. With --eval, also prints the fitted
model's accuracy on internal-dev (scorer alone).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import CACHE, REPO, SHARED, read_jsonl, require
from checks.cascade import SIGNALS, run_alignment, signals
from checks.evidence import IndexEvidence
from checks.scorer import CLASSES, Scorer, claim_key
from checks.types import Claim
from retrieval import Index, build_index, get_embedder

WEIGHTS = REPO / "checks" / "scorer" / "weights.json"
SEED = 0


def featurise(corpus: Path, name: str, claims: list[dict[str, str]]) -> np.ndarray:
    emb = get_embedder()
    folder = CACHE / name
    build_index([corpus], folder, emb)
    evidence = IndexEvidence(Index.open(folder, embedder=emb))
    rows = []
    for start in range(0, len(claims), 64):
        batch = [Claim(c["id"], c["claim"], 0, len(c["claim"])) for c in claims[start : start + 64]]
        vecs = evidence.embed([c.text for c in batch])
        for claim, cands in zip(batch, evidence.candidates(batch, vecs), strict=True):
            sig = signals(claim.text, cands, run_alignment(claim.text, cands))
            rows.append([sig[f] for f in SIGNALS])
    return np.array(rows, dtype=np.float64)


def datasets() -> dict[str, tuple[Path, list[dict[str, str]]]]:
    sci = require(SHARED / "scifact")
    fer = REPO / "benchmarks" / "data" / "ferrowave"
    dev = require(SHARED / "internal-dev")
    sci_claims = list(read_jsonl(sci / "claims.jsonl"))
    return {
        "scifact-train": (sci / "corpus.jsonl", [c for c in sci_claims if c["split"] == "train"]),
        "ferrowave": (REPO / "corpora" / "demo", list(read_jsonl(fer / "claims.jsonl"))),
        "internal-dev": (dev / "corpus", list(read_jsonl(dev / "claims.jsonl"))),
    }


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", action="store_true")
    ap.add_argument(
        "--sets",
        default="scifact-train,ferrowave",
        help="training sets, comma-separated (scifact-train needs its 45k-segment "
        "index, ~5 min to build on an idle 2-core machine)",
    )
    args = ap.parse_args()
    train = [t.strip() for t in args.sets.split(",") if t.strip()]
    sets = datasets()
    cache_names = {
        "scifact-train": "scifact",
        "ferrowave": "demo",
        "internal-dev": "internal-dev",
    }
    wanted = set(train) | ({"internal-dev"} if args.eval else set())
    feats = {k: featurise(p, cache_names[k], c) for k, (p, c) in sets.items() if k in wanted}
    x = np.vstack([feats[k] for k in train])
    y = np.array([CLASSES.index(c["label"]) for k in train for c in sets[k][1]])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000, random_state=SEED)
    model.fit((x - mean) / scale, y)
    scorer = Scorer(
        tuple(SIGNALS),
        mean,
        scale,
        model.coef_,
        model.intercept_,
        frozenset(claim_key(c["claim"]) for k in train for c in sets[k][1]),
        {"trained_on": train, "n": len(y), "script": "benchmarks/train_scorer.py"},
    )
    WEIGHTS.write_text(json.dumps(scorer.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {WEIGHTS} ({len(y)} claims)")
    for f, w in zip(SIGNALS, model.coef_.T, strict=True):
        print(f"  {f:12} " + " ".join(f"{v:+.2f}" for v in w))
    if args.eval:
        for k in ("internal-dev", *train):
            pred = scorer.predict_many([dict(zip(SIGNALS, r, strict=True)) for r in feats[k]])
            gold = [c["label"] for c in sets[k][1]]
            said = [max(p, key=lambda c: p[c]) for p in pred]
            acc = np.mean([g == s for g, s in zip(gold, said, strict=True)])
            print(f"  {k:14} accuracy {acc:.3f} (scorer alone, no alignment override)")


if __name__ == "__main__":
    main()
