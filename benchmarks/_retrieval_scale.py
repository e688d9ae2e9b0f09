"""Retrieval at scale, on the synthetic corpus of ``benchmarks/_synthetic.py``.

``scale``: build (or reuse) an index of N synthetic chunks through ``build_index`` in a fresh
process (build time excluding embedding, its peak RSS), then search it in another fresh
process (p50/p95 per mode, with and without embedding the query, its peak RSS); recall@10 of
the index's vector search against exact search; lexical top-10 agreement with a plain OR
query. The two workers run as ``retrieval_bench.py --worker build|search ...``.

``compare_types``: each FAISS type over the same vectors (synthetic, and SciFact's real ones
once cached): build seconds, one query's p50/p95, recall@10.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks._common import CACHE, SHARED, read_jsonl
from benchmarks._synthetic import SyntheticEmbedder, queries, write_corpus
from retrieval import Index, SizeLadder, VectorIndex, build_index, get_embedder, register_embedder
from retrieval._lexical import phrase, query_terms

MODES = ("hybrid", "dense", "lexical")
SCRIPT = Path(__file__).with_name("retrieval_bench.py")  # its --worker runs the two workers


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def _scale_paths(n_chunks: int) -> tuple[Path, Path, Path]:
    name = f"synthetic-{n_chunks}"
    return CACHE / f"{name}-corpus", CACHE / f"{name}-index", CACHE / f"{name}-build.json"


def build_worker(n_chunks: int) -> dict[str, object]:
    """Build the synthetic index afresh, through build_index with the synthetic embedder
    registered by its public path. Runs in a process of its own: its peak RSS is the build's."""
    corpus, folder, _ = _scale_paths(n_chunks)
    t0 = time.perf_counter()
    write_corpus(corpus, n_chunks)
    corpus_seconds = time.perf_counter() - t0
    register_embedder(SyntheticEmbedder.name, SyntheticEmbedder)
    report = build_index([corpus], folder, get_embedder(SyntheticEmbedder.name), rebuild=True)
    return {
        "chunks": report.chunks,
        "segments": report.segments,
        "vector_index": report.vector_index,
        "corpus_write_seconds": corpus_seconds,
        "build_seconds": report.seconds,
        "embed_seconds": report.embed_seconds,
        "build_seconds_excluding_embedding": report.seconds - report.embed_seconds,
        "build_peak_rss_gib": _peak_rss_gib(),
        "build_load_average": os.getloadavg()[0],
    }


def search_worker(n_chunks: int, n_queries: int) -> dict[str, object]:
    """Open the synthetic index and search it as `verify search` does, in a fresh process.

    Each query is embedded by the real embedder (timed: ``query_embed``), then searched
    with its synthetic vector, so the dense half finds what the index holds (timed per mode,
    each on an index opened afresh: FTS5, FAISS and fusion; wall and CPU time).
    ``*_with_embedding`` adds the two per query.
    """
    _, folder, _ = _scale_paths(n_chunks)
    real = get_embedder()
    texts = queries(n_queries)
    vectors = SyntheticEmbedder().embed(texts)
    real.embed(["warm up the model"])
    out: dict[str, object] = {"queries": n_queries}
    embed_ms = []
    for q in texts:
        t0 = time.perf_counter()
        real.embed([q])
        embed_ms.append((time.perf_counter() - t0) * 1000)
    out["query_embed_p50_ms"], out["query_embed_p95_ms"] = _p50_p95(embed_ms)
    for mode in MODES:
        index = Index.open(folder, embedder=real)  # each mode as cold as the first
        out.update(_sizes(index.generation))
        wall, cpu = [], []
        for q, v in zip(texts, vectors, strict=True):
            t0, c0 = time.perf_counter(), time.process_time()
            index.search_vector(q, None if mode == "lexical" else v, 10, mode=mode)  # type: ignore[arg-type]
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        out[f"{mode}_p50_ms"], out[f"{mode}_p95_ms"] = _p50_p95(wall)
        out[f"{mode}_cpu_p95_ms"] = _p50_p95(cpu)[1]
        index.close()
        if mode != "lexical":
            both = [w + e for w, e in zip(wall, embed_ms, strict=True)]
            out[f"{mode}_with_embedding_p50_ms"], out[f"{mode}_with_embedding_p95_ms"] = _p50_p95(
                both
            )
    out["search_peak_rss_gib"] = _peak_rss_gib()
    return out


def _p50_p95(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[max(0, int(0.95 * len(ordered)) - 1)]


def _sizes(gen: Path) -> dict[str, object]:
    return {
        f"{f.name}_mib": round(f.stat().st_size / 2**20)
        for f in sorted(gen.iterdir())
        if f.is_file()
    }


def _worker(*args: str) -> dict[str, object]:
    """Run the benchmark script as a worker in a fresh process and return what it prints
    (JSON)."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--worker", *args], check=True, capture_output=True, text=True
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def scale(n_chunks: int, n_queries: int, *, rebuild: bool = False) -> dict[str, object]:
    """Build (or reuse) the synthetic index of ``n_chunks`` chunks, then measure search."""
    _, folder, saved = _scale_paths(n_chunks)
    built_as = json.loads(saved.read_text(encoding="utf-8")) if saved.exists() else {}
    # rebuilt when asked, when missing, or when built before the size ladder last changed
    fresh = built_as.get("vector_index") == SizeLadder().kind(n_chunks)
    if rebuild or not fresh or not (folder / "CURRENT").exists():
        saved.unlink(missing_ok=True)
        built = _worker("build", str(n_chunks))
        saved.write_text(json.dumps(built), encoding="utf-8")
        built["cached"] = False
    else:
        built = {**built_as, "cached": True}
    out = {**built, **_worker("search", str(n_chunks), str(n_queries))}
    out["load_average"] = os.getloadavg()[0]  # CPUs shared with others: read the times with it
    with Index.open(folder, embedder=SyntheticEmbedder()) as index:
        out["vector_params"] = json.dumps(index.stats()["vector_params"])
        out["recall@10"] = _recall(index, n_queries)
        out["lexical_top10_vs_plain_or"] = _plain_or_agreement(index, queries(n_queries)[:50])
    return out


def _exact_top(vectors: np.ndarray, probes: np.ndarray, k: int) -> np.ndarray:  # type: ignore[type-arg]
    """Exact top ``k`` rows of ``vectors`` (a memory map, read 100k rows at a time)."""
    best_s = np.full((len(probes), k), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(probes), k), dtype=np.int64)
    for start in range(0, len(vectors), 100_000):
        scores = probes @ np.asarray(vectors[start : start + 100_000]).T
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        s = np.concatenate([best_s, np.take_along_axis(scores, top, axis=1)], axis=1)
        i = np.concatenate([best_i, top + start], axis=1)
        keep = np.argsort(-s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(s, keep, axis=1), np.take_along_axis(i, keep, axis=1)
    return best_i


def _recall(index: Index, n_queries: int) -> float:
    """recall@10 of the index's vector search against exact search, on in-distribution
    probes (what share of the exact top 10 it returns)."""
    probes = SyntheticEmbedder().embed([f"probe {i}" for i in range(n_queries)])
    truth = _exact_top(index.vectors, probes, 10)
    _, approx = index._ann.search(probes, 10)
    return _overlap(approx, truth)


def _overlap(approx: np.ndarray, truth: np.ndarray) -> float:  # type: ignore[type-arg]
    """Mean share of each row of ``truth`` found in the same row of ``approx``."""
    return float(
        np.mean([len(set(a) & set(t)) / len(t) for a, t in zip(approx, truth, strict=True)])
    )


def _plain_or_agreement(index: Index, texts: Sequence[str]) -> float:
    """Share of the lexical top 10 that a plain OR query of all the terms (what FTS5 gives
    without the common-terms plan, retrieval/_lexical.py) also ranks in its top 10, ties
    counted as agreeing."""
    shares = []
    for q in texts:
        match = " OR ".join(phrase(t) for t in query_terms(q))
        if not match:  # only stop words: nothing to compare
            continue
        plain = dict(
            index._conn.execute(
                "SELECT rowid, -bm25(chunks_fts, 1.0, 0.5) FROM chunks_fts WHERE chunks_fts"
                " MATCH ? ORDER BY bm25(chunks_fts, 1.0, 0.5) LIMIT 2000",
                (match,),
            ).fetchall()
        )
        if not plain:
            continue
        tenth = sorted(plain.values(), reverse=True)[:10][-1]
        top = sorted(index._lexical(q, 10).items(), key=lambda kv: -kv[1])[:10]
        shares.append(sum(plain.get(r, -1e9) >= tenth - 1e-9 for r, _ in top) / 10)
    return float(np.mean(shares))


def compare_types(sizes: Sequence[int], n_queries: int) -> dict[str, dict[str, object]]:
    """Each FAISS type over the same vectors (synthetic ones of each size, and SciFact's real
    MiniLM vectors once its index is cached): build seconds, p50/p95 of one query at the depth
    hybrid search asks for (320 rows for k=10), recall@10 against exact search."""
    sets = []
    for n in sizes:
        emb = SyntheticEmbedder()
        vectors = np.empty((n, emb.dim), dtype=np.float32)
        for start in range(0, n, 100_000):
            stop = min(n, start + 100_000)
            vectors[start:stop] = emb.embed([f"text {i}" for i in range(start, stop)])
        probes = emb.embed([f"probe {i}" for i in range(n_queries)])
        sets.append((f"synthetic {n}", vectors, probes))
    if (CACHE / "scifact" / "CURRENT").exists():
        with Index.open(CACHE / "scifact") as index:
            claims = [c["claim"] for c in read_jsonl(SHARED / "scifact" / "claims.jsonl")]
            vectors = np.asarray(index.vectors)
            sets.append((f"scifact {len(vectors)}", vectors, index.embedder.embed(claims[:300])))
    out: dict[str, dict[str, object]] = {}
    for label, vectors, probes in sets:
        truth = _exact_top(vectors, probes, 10)
        for kind in ("flat", "hnsw", "ivf"):
            t0 = time.perf_counter()
            index = VectorIndex.build(vectors, kind=kind)  # type: ignore[arg-type]
            build = time.perf_counter() - t0
            _, approx = index.search(probes, 10)
            recall = _overlap(approx, truth)
            times = []
            for p in probes:
                t0 = time.perf_counter()
                index.search(p[None, :], 320)
                times.append((time.perf_counter() - t0) * 1000)
            p50, p95 = _p50_p95(times)
            out[f"{label} {kind}"] = {
                "build_s": build,
                "p50_ms": p50,
                "p95_ms": p95,
                "recall@10": recall,
                "params": json.dumps(index.params),
            }
            print(f"  {label} {kind}: {out[f'{label} {kind}']}", file=sys.stderr, flush=True)
    return out
