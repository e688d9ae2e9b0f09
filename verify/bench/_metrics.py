"""Classification metrics for claim verdicts: pure functions over (gold, predicted, score)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["BINARY", "LABELS3", "VERDICTS", "auroc", "metrics"]

LABELS3 = ("supported", "contradicted", "unverifiable")
BINARY = ("supported", "unsupported")  # a context dataset's gold labels
VERDICTS = (*LABELS3, "error")  # what the checker may say


def auroc(positive: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve (ties count half); None with only one class present."""
    pos = [s for p, s in zip(positive, scores, strict=True) if p]
    neg = [s for p, s in zip(positive, scores, strict=True) if not p]
    if not pos or not neg:
        return None
    ranked = sorted((s, p) for p, s in zip(positive, scores, strict=True))
    rank_sum, i = 0.0, 0
    while i < len(ranked):  # average ranks over ties
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        avg = (i + j + 1) / 2
        rank_sum += avg * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    return (rank_sum - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def metrics(
    gold: Sequence[str],
    verdicts: Sequence[str],
    score: Sequence[float],
    labels: Sequence[str] = LABELS3,
) -> dict[str, Any]:
    """Per-label P/R/F1, macro-F1, balanced accuracy (supported vs not), accuracy, AUROC,
    the confusion of gold ``labels`` (rows) with ``verdicts`` (columns), errors.

    With the ``BINARY`` labels a verdict other than supported counts as unsupported."""
    pred = [_binary(v) for v in verdicts] if tuple(labels) == BINARY else list(verdicts)
    per: dict[str, dict[str, float]] = {}
    for lab in labels:
        tp = sum(g == lab and p == lab for g, p in zip(gold, pred, strict=True))
        fp = sum(g != lab and p == lab for g, p in zip(gold, pred, strict=True))
        fn = sum(g == lab and p != lab for g, p in zip(gold, pred, strict=True))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[lab] = {
            "precision": prec,
            "recall": rec,
            "f1": f1,
            "support": sum(g == lab for g in gold),
        }
    present = [lab for lab in labels if per[lab]["support"]]
    macro = sum(per[lab]["f1"] for lab in present) / len(present) if present else 0.0
    is_sup = [g == "supported" for g in gold]
    said_sup = [p == "supported" for p in pred]
    # the mean recall of the classes present: a set of one class is not scored against the
    # recall of a class it does not hold
    recalls = [_rate(is_sup, said_sup, cls) for cls in (True, False) if cls in is_sup]
    confusion = {
        g: {
            v: sum(1 for a, b in zip(gold, verdicts, strict=True) if a == g and b == v)
            for v in VERDICTS
        }
        for g in labels
    }
    return {
        "per_label": per,
        "macro_f1": macro,
        "balanced_accuracy": sum(recalls) / len(recalls) if recalls else 0.0,
        "accuracy": sum(g == p for g, p in zip(gold, pred, strict=True)) / max(1, len(gold)),
        "auroc": auroc(is_sup, score),
        "confusion": confusion,
        "errors": sum(v == "error" for v in verdicts),
    }


def _binary(verdict: str) -> str:
    return "supported" if verdict == "supported" else "unsupported"


def _rate(truth: Sequence[bool], said: Sequence[bool], cls: bool) -> float:
    n = sum(t == cls for t in truth)
    return sum(t == cls and s == cls for t, s in zip(truth, said, strict=True)) / n if n else 0.0
