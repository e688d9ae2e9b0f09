"""Retrieval quality and speed. Prints numbers; asserts nothing.

    python benchmarks/retrieval_bench.py [--skip-scifact] [--skip-speed] [--json]

1. internal-dev queries: file-level recall@1 and MRR, hybrid vs dense vs lexical.
2. SciFact (claims with evidence): recall@10 of an evidence abstract, per mode.
3. Indexing throughput as a ratio to raw embedding throughput of the same texts.
4. Search latency p50/p95 on a 100k-chunk synthetic corpus (HNSW), and HNSW recall@10
   against exact search on the same vectors.
Indexes are cached under .verify/bench/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import CACHE, SHARED, read_jsonl, require
from retrieval import (
    Embedder,
    Index,
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


def indexing_ratio(embedder: Embedder, n_records: int = 800) -> dict[str, float]:
    """Index throughput over raw embedding throughput of exactly the texts the index embeds."""
    src = require(SHARED / "scifact" / "corpus.jsonl")
    work = CACHE / "ratio"
    shutil.rmtree(work, ignore_errors=True)
    (work / "corpus").mkdir(parents=True)
    with src.open(encoding="utf-8") as fh:
        lines = [next(fh) for _ in range(n_records)]
    (work / "corpus" / "corpus.jsonl").write_text("".join(lines), encoding="utf-8")
    embedder.load()
    t0 = time.perf_counter()
    report = build_index([work / "corpus"], work / "index", embedder)
    t_index = time.perf_counter() - t0
    texts = []
    for doc in iter_documents([work / "corpus"], work / "corpus"):
        if isinstance(doc, Document):
            for chunk in chunk_document(doc):
                texts += [
                    embedding_text(s.text, chunk.heading) for s in segment_chunk(chunk, doc.kind)
                ]
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


class SyntheticEmbedder(Embedder):
    """Clustered pseudo-embeddings from a text hash: builds a 100k-chunk index in minutes."""

    name = "synthetic"
    dim = 384

    def __init__(self) -> None:
        rng = np.random.default_rng(7)
        self.centres = rng.standard_normal((2000, self.dim)).astype(np.float32)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:  # type: ignore[type-arg]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
            rng = np.random.default_rng(seed)
            out[i] = self.centres[seed % len(self.centres)] + 0.6 * rng.standard_normal(self.dim)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


def latency(real: Embedder, n_chunks: int = 100_000, n_queries: int = 200) -> dict[str, float]:
    register_embedder("synthetic", SyntheticEmbedder)
    folder = CACHE / f"synthetic-{n_chunks}"
    corpus = CACHE / f"synthetic-{n_chunks}-corpus"
    rng = random.Random(11)
    vocab = [
        f"{a}{b}"
        for a in ("ka", "lo", "mi", "ne", "su", "ta", "ve", "zo", "ri", "pa")
        for b in ("ran", "tel", "vos", "min", "dak", "por", "lux", "sen", "tor", "gim")
    ]
    if not (folder / "CURRENT").exists():
        corpus.mkdir(parents=True, exist_ok=True)
        with (corpus / "corpus.jsonl").open("w", encoding="utf-8") as fh:
            for i in range(n_chunks):
                words = " ".join(rng.choice(vocab) for _ in range(14))
                fh.write(
                    json.dumps({"id": i, "title": f"doc {i}", "text": f"Service {i} {words}."})
                    + "\n"
                )
        t0 = time.perf_counter()
        build_index([corpus], folder, SyntheticEmbedder())
        print(f"  built synthetic index in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    index = Index.open(folder, embedder=real)
    queries = [" ".join(rng.choice(vocab) for _ in range(5)) for _ in range(n_queries)]
    real.embed(queries[:4])  # warm up
    out: dict[str, float] = {"chunks": n_chunks, "vector_index": index.stats()["vector_index"]}
    for mode in MODES:
        times = []
        for q in queries:
            t0 = time.perf_counter()
            index.search(q, 10, mode=mode)  # type: ignore[arg-type]
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        out[f"{mode}_p50_ms"] = statistics.median(times)
        out[f"{mode}_p95_ms"] = times[int(0.95 * len(times)) - 1]
    out["lexical_top10_vs_plain_or"] = _plain_or_agreement(index, queries)
    vectors = np.asarray(index.vectors)
    exact = VectorIndex.build(vectors, hnsw=False)
    hnsw = VectorIndex.load(index.generation / "vectors.faiss")
    qv = SyntheticEmbedder().embed([f"probe {i}" for i in range(n_queries)])
    _, truth = exact.search(qv, 10)
    _, approx = hnsw.search(qv, 10)
    out["hnsw_recall@10"] = float(
        np.mean([len(set(a) & set(t)) / 10 for a, t in zip(approx, truth, strict=True)])
    )
    return out


def _plain_or_agreement(index: Index, queries: Sequence[str]) -> float:
    """Share of the lexical top 10 that a plain OR query of all the terms (what FTS5 gives
    without the common-terms plan, retrieval/_lexical.py) also ranks in its top 10, ties
    counted as agreeing."""
    shares = []
    for q in queries:
        match = " OR ".join(phrase(t) for t in query_terms(q))
        plain = dict(
            index._conn.execute(
                "SELECT rowid, -bm25(chunks_fts, 1.0, 0.5) FROM chunks_fts WHERE chunks_fts"
                " MATCH ? ORDER BY bm25(chunks_fts, 1.0, 0.5) LIMIT 2000",
                (match,),
            ).fetchall()
        )
        tenth = sorted(plain.values(), reverse=True)[:10][-1]
        top = sorted(index._lexical(q, 10).items(), key=lambda kv: -kv[1])[:10]
        shares.append(sum(plain.get(r, -1e9) >= tenth - 1e-9 for r, _ in top) / 10)
    return float(np.mean(shares))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-scifact", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument(
        "--skip-indexing", action="store_true", help="measure search latency, not indexing"
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    embedder = get_embedder()
    results: dict[str, object] = {"internal_dev": internal_dev(embedder)}
    _print("internal-dev queries (file level)", results["internal_dev"])
    if not args.skip_scifact:
        results["scifact_dev"] = scifact(embedder)
        _print("SciFact dev claims with evidence", results["scifact_dev"])
    if not args.skip_speed:
        if not args.skip_indexing:
            results["indexing"] = indexing_ratio(embedder)
            _print("indexing throughput vs raw embedding", {"": results["indexing"]})
        results["latency"] = latency(embedder)
        _print("search latency, 100k-chunk synthetic corpus", {"": results["latency"]})
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


if __name__ == "__main__":
    main()
