"""Retrieval quality and speed. Prints numbers; asserts nothing.

    python benchmarks/retrieval_bench.py [--skip-scifact] [--skip-speed] [--skip-indexing]
        [--chunks N] [--queries N] [--scale-only] [--rebuild] [--json]
    python benchmarks/retrieval_bench.py --types N,... [--queries N]

1. internal-dev queries: file-level recall@1 and MRR, hybrid vs dense vs lexical.
2. SciFact (claims with evidence): recall@10 of an evidence abstract, per mode.
3. Real embedding throughput (MiniLM on SciFact text, chunked as an index chunks it) and the
   hours a million chunks would take; indexing throughput as a ratio to raw embedding.
4. Scale: a synthetic corpus of --chunks chunks (benchmarks/_synthetic.py: Zipf text, one
   segment a chunk, clustered vectors calibrated against real MiniLM vectors), built through
   ``build_index`` with the synthetic embedder registered by ``register_embedder`` in a fresh
   process (build time excluding embedding, its peak RSS); a fresh search process then opens
   it and runs --queries searches per mode (p50/p95; hybrid and dense include embedding the
   query with MiniLM) and reports its peak RSS; recall@10 of the index's vector search
   against exact search; lexical top-10 agreement with a plain OR query.
--types: each FAISS type (flat, hnsw, ivf) over N synthetic vectors and SciFact's real ones:
build seconds, one query's p50/p95, recall@10 -- the measurements behind SizeLadder.
Indexes are cached under .verify/bench/ (the synthetic one with its build figures).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import CACHE, SHARED, read_jsonl, require
from benchmarks._synthetic import SyntheticEmbedder, queries, write_corpus
from retrieval import (
    Embedder,
    Index,
    SizeLadder,
    VectorIndex,
    build_index,
    get_embedder,
    register_embedder,
)
from retrieval._chunking import chunk_document
from retrieval._lexical import phrase, query_terms
from retrieval._loader import Document, iter_documents
from retrieval._segments import embedding_text, segment_chunk

MODES = ("hybrid", "dense", "lexical")


def _cached_index(name: str, paths: Sequence[Path], embedder: Embedder) -> Index:
    folder = CACHE / name
    build_index(list(paths), folder, embedder)  # incremental: a no-op when nothing changed
    return Index.open(folder, embedder=embedder)


def _ranked_docs(index: Index, query: str, mode: str, depth: int = 40) -> list[str]:
    hits = index.search(query, depth, mode=mode)  # type: ignore[arg-type]
    return list(dict.fromkeys(h.chunk.source for h in hits))


def internal_dev(embedder: Embedder) -> dict[str, dict[str, float]]:
    d = require(SHARED / "internal-dev")
    index = _cached_index("internal-dev", [d / "corpus"], embedder)
    queries = list(read_jsonl(d / "queries.jsonl"))
    out = {}
    for mode in MODES:
        r1 = mrr = 0.0
        for q in queries:
            docs = ["corpus/" + s for s in _ranked_docs(index, q["query"], mode)]
            relevant = set(q["relevant"])
            rank = next((i for i, f in enumerate(docs) if f in relevant), None)
            r1 += rank == 0
            mrr += 0.0 if rank is None else 1.0 / (rank + 1)
        out[mode] = {"recall@1": r1 / len(queries), "mrr": mrr / len(queries), "n": len(queries)}
    return out


def scifact(embedder: Embedder, split: str = "dev") -> dict[str, dict[str, float]]:
    d = require(SHARED / "scifact")
    index = _cached_index("scifact", [d / "corpus.jsonl"], embedder)
    claims = [
        c for c in read_jsonl(d / "claims.jsonl") if c["evidence_ids"] and c["split"] == split
    ]
    out = {}
    for mode in MODES:
        hit = 0
        for c in claims:
            docs = [s.split("#", 1)[1] for s in _ranked_docs(index, c["claim"], mode, 60)][:10]
            hit += any(e in docs for e in c["evidence_ids"])
        out[mode] = {"recall@10": hit / len(claims), "n": len(claims)}
    return out


def _scifact_texts(n_records: int) -> tuple[Path, int, list[str]]:
    """The first ``n_records`` SciFact records as a corpus folder, its chunk count, and the
    texts an index embeds for them."""
    src = require(SHARED / "scifact" / "corpus.jsonl")
    work = CACHE / "ratio"
    shutil.rmtree(work, ignore_errors=True)
    (work / "corpus").mkdir(parents=True)
    with src.open(encoding="utf-8") as fh:
        lines = [next(fh) for _ in range(n_records)]
    (work / "corpus" / "corpus.jsonl").write_text("".join(lines), encoding="utf-8")
    chunks, texts = 0, []
    for doc in iter_documents([work / "corpus"], work / "corpus"):
        if isinstance(doc, Document):
            for chunk in chunk_document(doc):
                chunks += 1
                texts += [
                    embedding_text(s.text, chunk.heading) for s in segment_chunk(chunk, doc.kind)
                ]
    return work, chunks, texts


def embedding_throughput(embedder: Embedder, n_records: int = 800) -> dict[str, float]:
    """Raw embedding throughput of real text (SciFact abstracts, chunked and segmented as an
    index does) and the hours a million chunks would take at that rate: synthetic chunks are
    one segment each, real ones as many as SciFact's."""
    _, chunks, texts = _scifact_texts(n_records)
    embedder.load()
    embedder.embed(texts[:32])  # warm up
    t0 = time.perf_counter()
    embedder.embed(texts)
    seconds = time.perf_counter() - t0
    per_chunk = len(texts) / chunks
    return {
        "load_average": os.getloadavg()[0],
        "chunks": chunks,
        "segments": len(texts),
        "seconds": seconds,
        "segments_per_s": len(texts) / seconds,
        "chunks_per_s": chunks / seconds,
        "hours_1M_one_segment_chunks": 1e6 / (len(texts) / seconds) / 3600,
        "segments_per_real_chunk": per_chunk,
        "hours_1M_real_chunks": 1e6 * per_chunk / (len(texts) / seconds) / 3600,
    }


def indexing_ratio(embedder: Embedder, n_records: int = 800) -> dict[str, float]:
    """Index throughput over raw embedding throughput of exactly the texts the index embeds."""
    work, _, texts = _scifact_texts(n_records)
    embedder.load()
    t0 = time.perf_counter()
    report = build_index([work / "corpus"], work / "index", embedder)
    t_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    embedder.embed(texts)
    t_raw = time.perf_counter() - t0
    return {
        "records": n_records,
        "segments": report.segments,
        "index_seconds": t_index,
        "raw_embed_seconds": t_raw,
        "ratio": t_raw / t_index,
    }


# -- scale: a synthetic corpus of N chunks ------------------------------------------------


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
    """Run this script as a worker in a fresh process and return what it prints (JSON)."""
    done = subprocess.run(
        [sys.executable, __file__, "--worker", *args], check=True, capture_output=True, text=True
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-scifact", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument(
        "--skip-indexing", action="store_true", help="measure search latency, not indexing"
    )
    ap.add_argument(
        "--chunks", type=int, default=100_000, help="chunks of the synthetic corpus [100000]"
    )
    ap.add_argument("--queries", type=int, default=200, help="queries timed [200]")
    ap.add_argument(
        "--scale-only", action="store_true", help="only embedding throughput and the scale run"
    )
    ap.add_argument(
        "--rebuild", action="store_true", help="rebuild the cached synthetic index (timed)"
    )
    ap.add_argument(
        "--types",
        metavar="N,...",
        help="instead: each FAISS type over N synthetic vectors (and SciFact's real ones)",
    )
    ap.add_argument(
        "--embed-records",
        type=int,
        default=800,
        metavar="N",
        help="SciFact records whose text times real embedding (0: skip) [800]",
    )
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.worker:
        kind, *rest = args.worker
        work = build_worker if kind == "build" else search_worker
        print(json.dumps(work(*map(int, rest))))
        return
    results: dict[str, object] = {}
    if args.types:
        results["types"] = compare_types([int(n) for n in args.types.split(",")], args.queries)
        _print("FAISS index types over the same vectors", results["types"])
        if args.json:
            print(json.dumps(results, indent=2))
        return
    embedder = get_embedder()
    if not args.scale_only:
        results["internal_dev"] = internal_dev(embedder)
        _print("internal-dev queries (file level)", results["internal_dev"])
    if not args.skip_scifact and not args.scale_only:
        results["scifact_dev"] = scifact(embedder)
        _print("SciFact dev claims with evidence", results["scifact_dev"])
    if not args.skip_speed:
        if args.embed_records:
            results["embedding"] = embedding_throughput(embedder, args.embed_records)
            _print_fields("real embedding throughput (MiniLM, SciFact text)", results["embedding"])
        if not args.skip_indexing and not args.scale_only:
            results["indexing"] = indexing_ratio(embedder)
            _print("indexing throughput vs raw embedding", {"": results["indexing"]})
        results["scale"] = scale(args.chunks, args.queries, rebuild=args.rebuild)
        _print_fields(f"synthetic corpus of {args.chunks:,} chunks", results["scale"])
    if args.json:
        print(json.dumps(results, indent=2))


def _print(title: str, table: object) -> None:
    print(f"\n{title}")
    assert isinstance(table, dict)
    for mode, row in table.items():
        cells = "  ".join(
            f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()
        )
        print(f"  {mode:8} {cells}")


def _print_fields(title: str, fields: object) -> None:
    print(f"\n{title}")
    assert isinstance(fields, dict)
    for k, v in fields.items():
        print(f"  {k:38} {v:.3f}" if isinstance(v, float) else f"  {k:38} {v}")


if __name__ == "__main__":
    main()
