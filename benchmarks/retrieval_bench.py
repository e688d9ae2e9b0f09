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
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import CACHE, SHARED, read_jsonl, require
from benchmarks._retrieval_scale import MODES, build_worker, compare_types, scale, search_worker
from retrieval import Embedder, Index, build_index, get_embedder
from retrieval._chunking import chunk_document
from retrieval._loader import Document, iter_documents
from retrieval._segments import embedding_text, segment_chunk


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
