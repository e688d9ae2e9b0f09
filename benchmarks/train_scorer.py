"""Train the cascade's learned scorer and write checks/scorer/weights.json.

    python benchmarks/train_scorer.py [--sets A,B,...] [--weigh kinds|sets] [--leave-one-out]
        [--cv K] [--out FILE]

Training sets (fixed, so the weights are reproducible): ``ferrowave`` (the 180 claims
written for this project against the bundled demo corpus, benchmarks/data/ferrowave),
``tamarack``, ``quire``, ``wrenfield``, ``pellucid`` (180 claims each against the documents
of four more invented organisations, benchmarks/data/train-NAME, written for this training
only by writers who saw neither the checker nor any other set),
``vitaminc-heldout`` (600 VitaminC claims, 200 per VitaminC label, each checked against
its own Wikipedia sentence as a context, labelled supported or unverifiable: pairs from the
pages ``train_entailment.py`` holds out for validation, so the entailment model never saw
them), ``scifact-train`` (809 claims, open
retrieval over SciFact's 5,183 abstracts) and ``internal-dev``. In the fit each label of
each set weighs the same (1000/3), whatever the set's size, times the set's share of its
kind (``--weigh kinds``, the default): the sets of organisation documents share one
weight, VitaminC's contexts have another, SciFact's papers a third, so that more sets of
one kind widen what the scorer sees of it without tipping its balance against the others
(``--weigh sets``: every set weighs the same). ``--leave-one-out`` checks each training set
of documents with the whole cascade and a scorer fitted on the other training sets: how a
recipe does on documents it never saw, measured on training data alone.

The committed weights are ``--sets ferrowave,vitaminc-heldout`` (the default). Measured
2026-12-03 with the bundled entailment model, the cascade's verdicts (scorer alone, default
thresholds): ``ferrowave`` alone gives balanced accuracy 0.864 on internal-dev, 0.647 on
FEVER-Symmetric dev (as a context set), 0.664 on WiCE dev; with ``vitaminc-heldout`` 0.883,
0.694 and 0.686; the same two sets without the entailment signals 0.858, 0.621, 0.667.
The weights list the claims they were trained on and `verify bench` leaves those out.
Both models compute the signals in fp32 here, whatever ``embedder_precision`` and
``entailment_precision`` say, so that every machine refits the same weights: at 8c85044 the
refit reproduces the committed file to 7e-7 (largest coefficient change); with bf16 signals
(``auto`` on a CPU that has it) the coefficients moved by up to 0.022. The committed file is
this command's output at 69c29f2 (refitted after a change to ``names`` moved six signals).
Since the table-row and negated-bound readings (2026-12-05), which changed the signals of 17
of ferrowave's 180 claims, a refit moves the coefficients by up to 0.145 and the dev sets by
about a point either way (docs/ablation.md): that refit was measured and not taken, so the
committed file is no longer what this command writes at HEAD.
``--cv K`` measures internal-dev by K-fold cross-validation (stratified by label, seeded):
the scorer is fitted on the other sets plus all but one fold, the whole cascade (alignment,
scorer, policy) runs on that fold, and `verify bench`'s metrics are printed over all
held-out predictions.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import CACHE, REPO, SHARED, read_jsonl, require
from checks.cascade import SIGNALS, Cascade, Policy
from checks.entailment import get_entailment
from checks.evidence import EvidenceSource, IndexEvidence
from checks.scorer import CLASSES, Scorer, claim_key
from checks.types import Claim
from retrieval import Index, build_index, get_embedder
from verify.bench import metrics
from verify.checker import cascade_policy, context_evidence
from verify.config import Config

WEIGHTS = REPO / "checks" / "scorer" / "weights.json"
SEED = 0
#: Both models compute in fp32 here, on every machine: the same features, the same weights.
PRECISION = "fp32"


def _signals(evidence: EvidenceSource, claims: list[dict[str, str]]) -> np.ndarray:
    """Each claim's signals, as the cascade computes them (alignment, entailment and all)."""
    n = len(SIGNALS)
    blank = Scorer(tuple(SIGNALS), np.zeros(n), np.ones(n), np.zeros((3, n)), np.zeros(3))
    cascade = Cascade(evidence, scorer=blank, entailment=get_entailment(precision=PRECISION))
    rows = []
    for start in range(0, len(claims), 64):
        batch = [
            Claim(str(start + i), c["claim"], 0, len(c["claim"]))
            for i, c in enumerate(claims[start : start + 64])
        ]
        result = cascade.check(batch)
        for verdict, sig in zip(result.verdicts, result.signals, strict=True):
            if not sig:
                raise SystemExit(f"no signals for {verdict.claim.text!r}: {verdict.reason}")
            rows.append([sig[f] for f in SIGNALS])
    return np.array(rows, dtype=np.float64)


def featurise(corpus: Path | None, name: str, claims: list[dict[str, Any]]) -> np.ndarray:
    """Signals of claims checked against ``corpus`` (indexed into the bench cache), or, when
    it is None, each against its own ``context``."""
    emb = get_embedder(precision=PRECISION)
    if corpus is None:
        rows = [_signals(context_evidence(c["context"], emb), [c]) for c in claims]
        return np.vstack(rows)
    folder = CACHE / name
    build_index([corpus], folder, emb)
    return _signals(IndexEvidence(Index.open(folder, embedder=emb)), claims)


def vitaminc_heldout(per_label: int = 200, seed: int = 7) -> list[dict[str, Any]]:
    """VitaminC pairs of the pages the entailment model's training holds out, as context
    claims, ``per_label`` of each VitaminC label: ``supported`` (entailment) or
    ``unverifiable`` (neutral and contradiction alike: what these claims teach the scorer is
    how far the entailment probabilities vouch for support; labelled three ways they lowered
    internal-dev, FEVER-Symmetric and WiCE alike, 2026-12-03)."""
    from benchmarks._nli_data import LABELS, TRAINING, load_pairs
    from benchmarks.train_entailment import Recipe

    _, val, _ = load_pairs(TRAINING, SHARED, Recipe().val_share)
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for label in range(len(LABELS)):
        pool = [p for p in val if p.source == "vitaminc_real" and p.label == label]
        verdict = "supported" if LABELS[label] == "entailment" else "unverifiable"
        for p in rng.sample(pool, min(per_label, len(pool))):
            out.append({"claim": p.hypothesis, "context": [p.premise], "label": verdict})
    return out


def datasets(wanted: set[str]) -> dict[str, tuple[Path | None, list[dict[str, Any]]]]:
    """The training and evaluation sets named in ``wanted``: (corpus or None, claims)."""
    unknown = wanted - set(_SETS)
    if unknown:
        raise SystemExit(f"unknown set(s) {', '.join(sorted(unknown))}; use {', '.join(_SETS)}")
    return {k: v() for k, v in _SETS.items() if k in wanted}


def _scifact_train() -> tuple[Path | None, list[dict[str, Any]]]:
    sci = require(SHARED / "scifact")
    claims = [c for c in read_jsonl(sci / "claims.jsonl") if c["split"] == "train"]
    return sci / "corpus.jsonl", claims


def _ferrowave() -> tuple[Path | None, list[dict[str, Any]]]:
    claims = REPO / "benchmarks" / "data" / "ferrowave" / "claims.jsonl"
    return REPO / "corpora" / "demo", list(read_jsonl(claims))


def _org_set(name: str) -> Callable[[], tuple[Path | None, list[dict[str, Any]]]]:
    """A training set of this repository: an invented organisation's documents and claims
    (benchmarks/data/train-NAME), written for the scorer's training only."""

    def load() -> tuple[Path | None, list[dict[str, Any]]]:
        folder = REPO / "benchmarks" / "data" / f"train-{name}"
        return folder / "corpus", list(read_jsonl(folder / "claims.jsonl"))

    return load


def _internal_dev() -> tuple[Path | None, list[dict[str, Any]]]:
    dev = require(SHARED / "internal-dev")
    return dev / "corpus", list(read_jsonl(dev / "claims.jsonl"))


#: the bench cache folder of each set checked against a corpus
CACHE_NAMES = {
    "scifact-train": "scifact",
    "ferrowave": "demo",
    "tamarack": "train-tamarack",
    "quire": "train-quire",
    "wrenfield": "train-wrenfield",
    "pellucid": "train-pellucid",
    "internal-dev": "internal-dev",
}

_SETS: dict[str, Callable[[], tuple[Path | None, list[dict[str, Any]]]]] = {
    "ferrowave": _ferrowave,
    "tamarack": _org_set("tamarack"),
    "quire": _org_set("quire"),
    "wrenfield": _org_set("wrenfield"),
    "pellucid": _org_set("pellucid"),
    "vitaminc-heldout": lambda: (None, vitaminc_heldout()),
    "scifact-train": _scifact_train,
    "internal-dev": _internal_dev,
}


#: What each training set is made of. Each kind weighs the same in the fit, shared equally by
#: its sets: more sets of organisation documents widen what the scorer sees of them without
#: shifting its balance against claims read in a Wikipedia or paper context.
_KIND = {"vitaminc-heldout": "wikipedia", "scifact-train": "science"}


def shares(names: list[str], weigh: str = "kinds") -> list[float]:
    """Each set's share of its kind's weight (organisation documents unless ``_KIND`` says);
    with ``weigh="sets"`` every set weighs the same instead."""
    kinds = [_KIND.get(n, "organisation") if weigh == "kinds" else n for n in names]
    return [1 / kinds.count(k) for k in kinds]


def fit(
    parts: list[tuple[np.ndarray, np.ndarray]],
    keys: frozenset[str],
    about: dict[str, object],
    share: list[float] | None = None,
) -> Scorer:
    """Logistic regression over the signals of several sets, (signals, label ids) each: every
    set weighs the same per label it has (1000/3), times its ``share`` [1]; seeded."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    share = share or [1.0] * len(parts)
    weight = np.concatenate([_balanced(p[1]) * w for p, w in zip(parts, share, strict=True)])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=3000, random_state=SEED)
    model.fit((x - mean) / scale, y, sample_weight=weight)
    return Scorer(tuple(SIGNALS), mean, scale, model.coef_, model.intercept_, keys, about)


def _balanced(y: np.ndarray) -> np.ndarray:
    """Weights of one set's claims: each of the three labels it has weighs 1000/3 in total, so
    a set that lacks a label (VitaminC's held-out claims have no ``contradicted``) does not
    hand that label's weight to the others."""
    w = np.zeros(len(y))
    for label in np.unique(y):
        w[y == label] = 1000 / (len(CLASSES) * (y == label).sum())
    return w


def labels_of(claims: list[dict[str, Any]]) -> np.ndarray:
    return np.array([CLASSES.index(c["label"]) for c in claims])


def folds(labels: list[str], k: int) -> list[int]:
    """A fold number per item: each label dealt round-robin after a seeded shuffle."""
    rng = np.random.default_rng(SEED)
    out = [0] * len(labels)
    for label in sorted(set(labels)):
        idx = [i for i, g in enumerate(labels) if g == label]
        for n, i in enumerate(rng.permutation(idx)):
            out[int(i)] = n % k
    return out


def cross_validate(
    k: int,
    train: list[str],
    feats: dict[str, np.ndarray],
    sets: dict[str, tuple[Path | None, list[dict[str, Any]]]],
    weigh: str = "kinds",
) -> dict[str, Any]:
    """internal-dev by K-fold: the whole cascade with a scorer that never saw the fold."""
    claims = sets["internal-dev"][1]
    fold = folds([c["label"] for c in claims], k)
    others = [t for t in train if t != "internal-dev"]
    policy = cascade_policy(Config())
    pred: list[tuple[str, float]] = [("", 0.0)] * len(claims)
    for f in range(k):
        keep = np.array([g != f for g in fold])
        kept_labels = [c["label"] for c, kept in zip(claims, keep, strict=True) if kept]
        parts = [(feats[t], labels_of(sets[t][1])) for t in others]
        parts.append((feats["internal-dev"][keep], labels_of([{"label": g} for g in kept_labels])))
        scorer = fit(parts, frozenset(), {}, shares([*others, "internal-dev"], weigh))
        held = [i for i, g in enumerate(fold) if g == f]
        checked = _check("internal-dev", [claims[i] for i in held], scorer, policy)
        for i, said in zip(held, checked, strict=True):
            pred[i] = said
    return metrics([c["label"] for c in claims], [p[0] for p in pred], [p[1] for p in pred])


def leave_one_out(
    train: list[str],
    feats: dict[str, np.ndarray],
    sets: dict[str, tuple[Path | None, list[dict[str, Any]]]],
    weigh: str,
) -> dict[str, dict[str, Any]]:
    """Each training set of documents checked by the whole cascade with a scorer fitted on
    the other training sets only: how the recipe does on documents it never saw, measured
    on training data alone (so a recipe is chosen without a dev set)."""
    policy = cascade_policy(Config())
    out: dict[str, dict[str, Any]] = {}
    for held in train:
        corpus, claims = sets[held]
        if corpus is None:
            continue  # claims read in their own context: no documents to leave out
        rest = [t for t in train if t != held]
        parts = [(feats[t], labels_of(sets[t][1])) for t in rest]
        scorer = fit(parts, frozenset(), {}, shares(rest, weigh))
        said = _check(CACHE_NAMES[held], claims, scorer, policy)
        gold = [c["label"] for c in claims]
        out[held] = metrics(gold, [p[0] for p in said], [p[1] for p in said])
    return out


def _check(
    cache_name: str, claims: list[dict[str, Any]], scorer: Scorer, policy: Policy
) -> list[tuple[str, float]]:
    """(label, score) of each claim, checked by the whole cascade against a cached index."""
    index = Index.open(CACHE / cache_name, embedder=get_embedder(precision=PRECISION))
    batch = [Claim(str(i), c["claim"], 0, len(c["claim"])) for i, c in enumerate(claims)]
    result = Cascade(IndexEvidence(index), scorer=scorer, policy=policy).check(batch)
    return [(v.label, v.score) for v in result.verdicts]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", action="store_true")
    ap.add_argument("--cv", type=int, default=0, metavar="K", help="also K-fold internal-dev")
    ap.add_argument(
        "--sets",
        default="ferrowave,vitaminc-heldout",
        help="training sets, comma-separated (scifact-train needs its 45k-segment "
        "index, ~5 min to build on an idle 2-core machine)",
    )
    ap.add_argument(
        "--out", type=Path, default=WEIGHTS, help=f"where to write the weights [{WEIGHTS}]"
    )
    ap.add_argument(
        "--weigh",
        choices=("kinds", "sets"),
        default="kinds",
        help="kinds: each kind of set (organisation documents, Wikipedia contexts, papers) "
        "weighs the same, shared by its sets; sets: every set weighs the same [kinds]",
    )
    ap.add_argument(
        "--leave-one-out",
        action="store_true",
        help="also check each training set of documents with a scorer fitted on the others",
    )
    args = ap.parse_args()
    train = [t.strip() for t in args.sets.split(",") if t.strip()]
    wanted = set(train) | ({"internal-dev"} if args.eval or args.cv else set())
    sets = datasets(wanted)
    cache_names = {**CACHE_NAMES, "vitaminc-heldout": ""}
    feats = {k: featurise(p, cache_names[k], c) for k, (p, c) in sets.items() if k in wanted}
    scorer = fit(
        [(feats[k], labels_of(sets[k][1])) for k in train],
        frozenset(claim_key(c["claim"]) for k in train for c in sets[k][1]),
        {
            "trained_on": train,
            "n": sum(len(sets[k][1]) for k in train),
            "script": "benchmarks/train_scorer.py",
        },
        shares(train, args.weigh),
    )
    args.out.write_text(json.dumps(scorer.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({scorer.meta['n'] if scorer.meta else 0} claims)")
    for f, w in zip(SIGNALS, scorer.coef.T, strict=True):
        print(f"  {f:12} " + " ".join(f"{v:+.2f}" for v in w))
    if args.eval:
        for k in ("internal-dev", *train):
            pred = scorer.predict_many([dict(zip(SIGNALS, r, strict=True)) for r in feats[k]])
            gold = [c["label"] for c in sets[k][1]]
            said = [max(p, key=lambda c: p[c]) for p in pred]
            acc = np.mean([g == s for g, s in zip(gold, said, strict=True)])
            print(f"  {k:14} accuracy {acc:.3f} (scorer alone, no alignment override)")
    if args.leave_one_out:
        held_out = leave_one_out(train, feats, sets, args.weigh)
        print("each training set of documents, scorer fitted on the others (whole cascade):")
        for name, m in held_out.items():
            print(f"  {name:14} BA {m['balanced_accuracy']:.3f}  macro-F1 {m['macro_f1']:.3f}")
        mean = np.mean([m["balanced_accuracy"] for m in held_out.values()])
        print(f"  {'mean':14} BA {mean:.3f}")
    if args.cv:
        m = cross_validate(args.cv, train, feats, sets, args.weigh)
        print(
            f"internal-dev, {args.cv}-fold cross-validation (whole cascade, verify bench metrics):"
        )
        for label, row in m["per_label"].items():
            print(f"  {label:13} P {row['precision']:.3f} R {row['recall']:.3f} F1 {row['f1']:.3f}")
        print(
            f"  macro-F1 {m['macro_f1']:.3f}  balanced accuracy {m['balanced_accuracy']:.3f}"
            f"  AUROC {m['auroc']:.3f}"
        )


if __name__ == "__main__":
    main()
