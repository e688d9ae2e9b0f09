"""ragas Faithfulness on the bench's claims, driven by the bundled llama.cpp model.

The baseline sees what our checker saw: the same claims in the same order and, for each, the
texts of the same six hybrid-search hits. ragas talks to the model through its documented
path, an OpenAI client, here pointed at ``llama_cpp.server`` started on 127.0.0.1 for the run
and always stopped after it. An ``httpx`` response hook adds up the ``usage`` block of every
chat completion, retries and failed parses included, so the token cost is what was spent.

With a 135M model ragas often cannot score a claim (truncated or malformed JSON, NaN). Each
such case is counted and named, never dropped: the headline balanced accuracy counts it as
"not supported", and a scored-only figure is given beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import httpx

from ..errors import InputError, InternalError
from ._dataset import Dataset
from ._metrics import metrics

if TYPE_CHECKING:
    from ._run import BenchResult

__all__ = ["QUESTION", "run_ragas_baseline"]

#: Faithfulness wants a question; a neutral one, so the claim alone is judged.
QUESTION = "Is this statement correct?"
CONTEXTS = 6  # as IndexEvidence: the six best chunks of a hybrid search
READY_TIMEOUT = 60.0
REQUEST_TIMEOUT = 600.0


def run_ragas_baseline(
    data: Dataset,
    index_dir: Path,
    ours: BenchResult,
    *,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    model: Path | None = None,
    max_tokens: int = 512,
    precision: str = "auto",
) -> dict[str, Any]:
    """Score ``ours.predictions`` (first ``limit``) with ragas Faithfulness; compare with ours.

    ``max_tokens`` caps each model reply (ragas' own default is 1024); SmolLM2 under a JSON
    grammar often rambles to the cap, and the cap is reported with the result. The claims are
    embedded in ``precision`` (config ``embedder_precision``), as the run measured embedded them.
    """
    from checks.llm import bundled_model_path
    from retrieval import Index

    preds = ours.predictions[:limit] if limit else list(ours.predictions)
    by_id = {c.id: c for c in data.claims}
    missing = [p["id"] for p in preds if p["id"] not in by_id]
    if missing:
        raise InputError(
            f"ragas baseline: claim ids {missing[:3]} are not in dataset {data.name!r}"
        )
    items = [by_id[p["id"]] for p in preds]
    path = model or bundled_model_path()
    with Index.open(index_dir, precision=precision) as index:
        vectors = index.embedder.embed([c.claim for c in items])
        contexts = [
            [h.chunk.text for h in index.search_vector(c.claim, v, CONTEXTS)]
            for c, v in zip(items, vectors, strict=True)
        ]
    with _LlamaServer(path) as server:
        t0 = time.perf_counter()
        scores, errors, tokens = asyncio.run(
            _score_all(server, [c.claim for c in items], contexts, max_tokens, progress)
        )
        seconds = time.perf_counter() - t0
    n = len(items)
    gold = [c.label for c in items]
    said = ["error" if s is None else "supported" if s >= 0.5 else "unverifiable" for s in scores]
    scored = [i for i, s in enumerate(scores) if s is not None]
    out: dict[str, Any] = {
        "metric": "ragas.Faithfulness",
        "model": path.name,
        "question": QUESTION,
        "max_tokens": max_tokens,
        "n": n,
        "scored": len(scored),
        "unscored_share": (n - len(scored)) / n if n else 0.0,
        "unscored_reasons": dict(Counter(e for e in errors if e)),
        "balanced_accuracy": _balanced(gold, said),
        "balanced_accuracy_scored_only": (
            _balanced([gold[i] for i in scored], [said[i] for i in scored]) if scored else None
        ),
        "seconds_per_claim": seconds / n if n else 0.0,
        "server_start_seconds": server.start_seconds,
        "tokens_per_claim": (tokens["prompt"] + tokens["completion"]) / n if n else 0.0,
        "prompt_tokens": tokens["prompt"],
        "completion_tokens": tokens["completion"],
        "predictions": [
            {"id": c.id, "score": s, "verdict": v, "error": e}
            for c, s, v, e in zip(items, scores, said, errors, strict=True)
        ],
        "ours_on_same": _ours(ours, preds),
    }
    return out


def _balanced(gold: list[str], said: list[str]) -> float:
    """Balanced accuracy of supported vs not, exactly as the bench's own table computes it."""
    return float(metrics(gold, said, [0.0] * len(gold))["balanced_accuracy"])


def _ours(ours: BenchResult, preds: list[dict[str, Any]]) -> dict[str, Any]:
    n, total = len(preds), len(ours.predictions)
    used = ours.usage.get("prompt_tokens", 0) + ours.usage.get("completion_tokens", 0)
    return {
        "balanced_accuracy": _balanced([p["gold"] for p in preds], [p["verdict"] for p in preds]),
        "unscored_share": sum(p["verdict"] == "error" for p in preds) / n if n else 0.0,
        "seconds_per_claim": 1 / ours.claims_per_second if ours.claims_per_second else 0.0,
        "tokens_per_claim": used / total if total else 0.0,
    }


async def _score_all(
    server: _LlamaServer,
    claims: list[str],
    contexts: list[list[str]],
    max_tokens: int,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[float | None], list[str | None], dict[str, int]]:
    """One client, one claim at a time (two cores): a score, or None and the exception's name."""
    os.environ["RAGAS_DO_NOT_TRACK"] = "true"  # ragas reads it lazily, then caches it
    import ragas._analytics
    from openai import AsyncOpenAI
    from ragas.llms import llm_factory
    from ragas.metrics.collections import Faithfulness

    ragas._analytics.do_not_track.cache_clear()
    tokens = {"prompt": 0, "completion": 0}

    async def count_usage(response: httpx.Response) -> None:
        if not response.request.url.path.endswith("/chat/completions") or response.is_error:
            return
        await response.aread()
        with contextlib.suppress(ValueError, AttributeError):
            usage = response.json().get("usage") or {}
            tokens["prompt"] += int(usage.get("prompt_tokens") or 0)
            tokens["completion"] += int(usage.get("completion_tokens") or 0)

    scores: list[float | None] = []
    errors: list[str | None] = []
    async with httpx.AsyncClient(
        trust_env=False, timeout=REQUEST_TIMEOUT, event_hooks={"response": [count_usage]}
    ) as http:
        client = AsyncOpenAI(
            base_url=f"{server.url}/v1", api_key="none", http_client=http, max_retries=0
        )  # ragas' own retries only; nothing hidden
        metric = Faithfulness(llm=llm_factory(server.alias, client=client, max_tokens=max_tokens))
        for done, (claim, ctx) in enumerate(zip(claims, contexts, strict=True), 1):
            try:
                result = await metric.ascore(
                    user_input=QUESTION, response=claim, retrieved_contexts=ctx
                )
                value = float(result.value)
                scores.append(None if math.isnan(value) else value)
                errors.append("NaN" if math.isnan(value) else None)
            except Exception as exc:  # every failure is a case ragas could not score
                if not server.alive():
                    raise InternalError(
                        f"llama.cpp server died during the ragas baseline: {server.log_tail()}"
                    ) from exc
                scores.append(None)
                errors.append(type(exc).__name__)
            if progress:
                progress(done, len(claims))
    return scores, errors, tokens


class _LlamaServer:
    """``python -m llama_cpp.server`` on 127.0.0.1 at a free port, for one ``with`` block."""

    def __init__(self, model: Path, *, n_ctx: int = 4096, threads: int = 2) -> None:
        self.model = model
        self.alias = model.stem
        options = {
            "--n_ctx": n_ctx,
            "--n_threads": threads,
            "--n_threads_batch": threads,
            "--seed": 0,
            "--model_alias": self.alias,
            "--host": "127.0.0.1",
        }
        self.args = [a for k, v in options.items() for a in (k, str(v))]
        self.port = 0
        self.start_seconds = 0.0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> _LlamaServer:
        t0 = time.perf_counter()
        self.port = _free_port()
        self._log = tempfile.TemporaryFile()
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model)]
        self._proc = subprocess.Popen(
            [*argv, *self.args, "--port", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        self.start_seconds = time.perf_counter() - t0
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        with httpx.Client(trust_env=False, timeout=2.0) as http:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise InternalError(
                        f"llama.cpp server for {self.model.name} exited at start: {self.log_tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(f"{self.url}/v1/models").status_code == 200:
                        return
                time.sleep(0.25)
        raise InternalError(
            f"llama.cpp server for {self.model.name} did not answer on "
            f"{self.url} within {READY_TIMEOUT:.0f}s: {self.log_tail()}"
        )

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 3) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        tail = self._log.read().decode("utf-8", "replace").strip().splitlines()[-lines:]
        return " | ".join(tail) or "(no output)"

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
