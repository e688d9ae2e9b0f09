"""Run the checker over a labelled dataset and measure it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks.cascade import Cascade
from checks.evidence import IndexEvidence
from checks.scorer import claim_key, default_scorer
from checks.types import Claim
from retrieval import EmbedderError, Index, RetrievalError, build_index, get_embedder

from ._dataset import Dataset
from ._metrics import metrics

__all__ = ["BenchResult", "run_bench"]

BATCH = 64


@dataclass
class BenchResult:
    dataset: str
    predictions: list[dict[str, Any]]
    metrics: dict[str, Any]
    claims_per_second: float
    load_seconds: float
    index_seconds: float
    excluded_trained: int
    usage: dict[str, int] = field(default_factory=dict)
    judged: int = 0  # claims the LLM judge was asked about
    baseline: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out = {
            "dataset": self.dataset,
            "n": len(self.predictions),
            "predictions": self.predictions,
            "metrics": self.metrics,
            "claims_per_second": round(self.claims_per_second, 2),
            "load_seconds": round(self.load_seconds, 3),
            "index_seconds": round(self.index_seconds, 3),
            "excluded_trained": self.excluded_trained,
            "usage": self.usage,
            "judged": self.judged,
        }
        if self.baseline is not None:
            out["baseline"] = self.baseline
        return out


def run_bench(
    dataset: Dataset,
    index_dir: Path,
    make_cascade: Callable[[IndexEvidence], Cascade],
    *,
    embedder: str = "minilm",
    include_trained: bool = False,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BenchResult:
    t0 = time.perf_counter()
    emb = get_embedder(embedder)
    build_index([dataset.corpus], index_dir, emb)  # incremental: cheap when nothing changed
    t_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = Index.open(index_dir, embedder=emb)
    try:
        emb.embed(["warm up"])  # loads the model, so its time is reported apart
    except RetrievalError:
        raise
    except Exception as exc:  # fail closed, naming what broke
        raise EmbedderError(
            f"embedding model {emb.name!r} failed on a warm-up text: {type(exc).__name__}: {exc}"
        ) from exc
    trained = set() if include_trained else set(default_scorer().trained_on)
    t_load = time.perf_counter() - t0
    todo = [c for c in dataset.claims if claim_key(c.claim) not in trained]
    excluded = len(dataset.claims) - len(todo)
    if limit:
        todo = todo[:limit]
    cascade = make_cascade(IndexEvidence(index))
    preds: list[dict[str, Any]] = []
    prompt = completion = 0
    t0 = time.perf_counter()
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        claims = [Claim(c.id, c.claim, 0, len(c.claim)) for c in batch]
        result = cascade.check(claims)
        prompt += result.usage.prompt_tokens
        completion += result.usage.completion_tokens
        for item, v in zip(batch, result.verdicts, strict=True):
            preds.append(
                {
                    "id": item.id,
                    "verdict": v.label,
                    "score": round(v.score, 4),
                    "gold": item.label,
                    "reason": v.reason,
                }
            )
        if progress:
            progress(len(preds), len(todo))
    seconds = time.perf_counter() - t0
    m = metrics(
        [p["gold"] for p in preds], [p["verdict"] for p in preds], [p["score"] for p in preds]
    )
    m["seconds"] = seconds
    return BenchResult(
        dataset.name,
        preds,
        m,
        len(preds) / seconds if seconds else 0.0,
        t_load,
        t_index,
        excluded,
        {"prompt_tokens": prompt, "completion_tokens": completion},
        judged=sum("judge:" in p["reason"] for p in preds),
    )
