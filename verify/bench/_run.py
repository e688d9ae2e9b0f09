"""Run the checker over a labelled dataset and measure it.

An index dataset's claims are checked against the index of its corpus (built or updated
first); a context dataset's claims each against their own context, through one cascade
whose evidence source hands each claim the sentences of its own passages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from checks.cascade import Cascade
from checks.evidence import Candidate, EvidenceSource, IndexEvidence
from checks.extraction import answer_statement, is_bare_answer
from checks.scorer import claim_key, default_scorer
from checks.types import Claim
from retrieval import (
    Embedder,
    EmbedderError,
    Index,
    RetrievalError,
    build_index,
    get_embedder,
)

from ..checker import context_evidence
from ._dataset import Dataset, LabelledClaim
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
    kind: str = "index"  # or "context": each claim checked against its own context
    #: the number format each model computed in ("fp32", "bf16"; "" where a model does not
    #: say): claims/s depends on it
    precision: dict[str, str] = field(default_factory=dict)

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
            "kind": self.kind,
            "precision": self.precision,
        }
        if self.baseline is not None:
            out["baseline"] = self.baseline
        return out


def run_bench(
    dataset: Dataset,
    index_dir: Path,
    make_cascade: Callable[[EvidenceSource], Cascade],
    *,
    embedder: str = "minilm",
    precision: str = "auto",
    include_trained: bool = False,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BenchResult:
    """Check ``dataset``'s claims in batches and measure the verdicts; ``index_dir`` is the
    index of an index dataset's corpus (unused for a context dataset). The embedder computes
    in ``precision`` (config ``embedder_precision``)."""
    t0 = time.perf_counter()
    emb = get_embedder(embedder, precision=precision)
    if dataset.corpus is not None:
        build_index([dataset.corpus], index_dir, emb)  # incremental: cheap when nothing changed
    t_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    trained = set() if include_trained else set(default_scorer().trained_on)
    todo = [c for c in dataset.claims if claim_key(c.claim) not in trained]
    excluded = len(dataset.claims) - len(todo)
    if limit:
        todo = todo[:limit]
    evidence = _evidence(dataset, todo, index_dir, emb)
    try:
        emb.embed(["warm up"])  # loads the model, so its time is reported apart
    except RetrievalError:
        raise
    except Exception as exc:  # fail closed, naming what broke
        raise EmbedderError(
            f"embedding model {emb.name!r} failed on a warm-up text: {type(exc).__name__}: {exc}"
        ) from exc
    t_load = time.perf_counter() - t0
    cascade = make_cascade(evidence)
    preds: list[dict[str, Any]] = []
    prompt = completion = 0
    t0 = time.perf_counter()
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        result = cascade.check([_claim(start + i, c) for i, c in enumerate(batch)])
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
        [p["gold"] for p in preds],
        [p["verdict"] for p in preds],
        [p["score"] for p in preds],
        dataset.labels,
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
        kind="index" if dataset.corpus is not None else "context",
        precision={
            "embedder": emb.computes,
            "entailment": str(getattr(cascade.entailment, "computes", "")),
        },
    )


def _evidence(
    dataset: Dataset, todo: Sequence[LabelledClaim], index_dir: Path, emb: Embedder
) -> EvidenceSource:
    if dataset.corpus is None:
        return _OwnContexts([c.context or () for c in todo], emb)
    return IndexEvidence(Index.open(index_dir, embedder=emb))


def _claim(n: int, item: LabelledClaim) -> Claim:
    """Item ``n`` of the run as one claim (id ``n``); with a question, read as its answer
    when it is a bare one ("In 1997.")."""
    bare = item.question is not None and is_bare_answer(item.claim)
    standalone = answer_statement(item.question or "", item.claim) if bare else ""
    return Claim(str(n), item.claim, 0, len(item.claim), standalone)


class _OwnContexts(EvidenceSource):
    """Each claim (its id: its place in the run) is given the sentences of its own context."""

    def __init__(self, contexts: Sequence[Sequence[str]], embedder: Embedder) -> None:
        self.contexts = contexts
        self.embedder = embedder

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.embedder.embed(list(texts))

    def candidates(
        self, claims: Sequence[Claim], vectors: npt.NDArray[np.float32]
    ) -> list[list[Candidate]]:
        return [
            context_evidence(self.contexts[int(c.id)], self.embedder).candidates(
                [c], vectors[i : i + 1]
            )[0]
            for i, c in enumerate(claims)
        ]
