"""Throughput of ``verify batch`` with the real models: --workers 1, --workers 2, --engine ray.

Items are RAG answers as the product sees them: each of the 180 Ferrowave claims
(benchmarks/data/ferrowave) as the text, with the three paragraphs of the bundled demo
corpus that share the most words with it as its context, repeated with new ids up to
--items. Each engine runs ``verify batch`` in a fresh process on the same file, with the
bundled MiniLM embedder and entailment model, one thread per worker.

Reported per engine: wall time from start to exit, and the steady rate: items per second
while the output grew from 10% to 90% of its lines (model loading, Ray's start and the last
batches, where one worker waits for the other, left out). The
issue's target is a steady rate with 2 workers at least 1.7x that of 1 worker on a 2-core
machine; it needs an idle machine (other processes on the cores lower the 2-worker figure
first). The lines of the three runs must be the same by id.

    python benchmarks/batch_bench.py [--items N] [--batch-size N] [--json]
        [--engines local1,local2,ray]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, read_jsonl

from retrieval import OFFLINE

CLAIMS = REPO / "benchmarks" / "data" / "ferrowave" / "claims.jsonl"
DEMO = REPO / "corpora" / "demo"
TARGET = 1.7
ENGINES: dict[str, list[str]] = {
    "local1": ["--workers", "1"],
    "local2": ["--workers", "2"],
    "ray": ["--engine", "ray", "--workers", "2"],
}
_WORD = re.compile(r"\w+")


def write_items(path: Path, n: int) -> None:
    """``n`` context items from the Ferrowave claims and the demo corpus's paragraphs."""
    paragraphs = [
        para.strip()
        for doc in sorted(DEMO.iterdir())
        if doc.is_file()
        for para in re.split(r"\n\s*\n", doc.read_text(encoding="utf-8"))
        if len(para.strip()) > 40
    ]
    words = [set(_WORD.findall(p.lower())) for p in paragraphs]
    claims = list(read_jsonl(CLAIMS))
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            claim = claims[i % len(claims)]["claim"]
            mine = set(_WORD.findall(claim.lower()))
            best = sorted(range(len(paragraphs)), key=lambda k: (-len(mine & words[k]), k))[:3]
            item = {"id": f"b{i}", "text": claim, "context": [paragraphs[k] for k in best]}
            fh.write(json.dumps(item) + "\n")


def run(engine: str, items: Path, out: Path, batch_size: int) -> dict[str, Any]:
    """One ``verify batch`` run, its output watched to time the lines as they land."""
    env = {
        **os.environ,
        **OFFLINE,
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # Ray's local cluster on 127.0.0.1 only
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    argv = [sys.executable, "-c", "from verify.cli import main; main()", "batch", str(items)]
    argv += ["--out", str(out), "--batch-size", str(batch_size), "-q", *ENGINES[engine]]
    started = time.monotonic()
    proc = subprocess.Popen(
        argv, cwd=out.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    seen: list[tuple[float, int]] = []  # (when, lines written) each time the count grew
    while proc.poll() is None:
        time.sleep(0.1)
        n = out.read_bytes().count(b"\n") if out.exists() else 0
        if not seen or n > seen[-1][1]:
            seen.append((time.monotonic(), n))
    ended = time.monotonic()
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{engine}: verify batch exited {proc.returncode}: {err[-2000:]}")
    total = out.read_bytes().count(b"\n")
    steady = _steady(seen, total)
    return {
        "engine": engine,
        "items": total,
        "seconds": round(ended - started, 2),
        "items_per_second": round(total / (ended - started), 3),
        "steady_items_per_second": round(steady, 3),
    }


def _steady(seen: list[tuple[float, int]], total: int) -> float:
    """Items per second between the first moments 10% and 90% of the lines were written:
    model loading, Ray's start and the last batches (one worker idle) left out."""
    low = next(((t, n) for t, n in seen if n >= 0.1 * total), None)
    high = next(((t, n) for t, n in seen if n >= 0.9 * total), None)
    if low is None or high is None or high[0] <= low[0]:
        return 0.0
    return (high[1] - low[1]) / (high[0] - low[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=160)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        raise SystemExit(
            f"unknown engine(s) {', '.join(sorted(unknown))}; use {', '.join(ENGINES)}"
        )
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as tmp:
        items = Path(tmp) / "items.jsonl"
        write_items(items, args.items)
        results = [run(e, items, Path(tmp) / f"{e}.jsonl", args.batch_size) for e in engines]
        outputs = {e: {r["id"]: r for r in read_jsonl(Path(tmp) / f"{e}.jsonl")} for e in engines}
    same = all(outputs[e] == outputs[engines[0]] for e in engines)
    rates = {r["engine"]: r["steady_items_per_second"] for r in results}
    speedup = (
        rates["local2"] / rates["local1"] if rates.get("local1") and "local2" in rates else None
    )
    report = {
        "items": args.items,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "runs": results,
        "same_lines": same,
        "speedup_2_workers": None if speedup is None else round(speedup, 3),
        "target": TARGET,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"{args.items} items, {os.cpu_count()} CPUs, load average {report['load_average']:.2f}"
        )
        print(f"{'engine':8} {'seconds':>8} {'items/s':>8} {'steady items/s':>15}")
        for r in results:
            print(
                f"{r['engine']:8} {r['seconds']:8.1f} {r['items_per_second']:8.2f} "
                f"{r['steady_items_per_second']:15.2f}"
            )
        print(f"same lines by id: {'yes' if same else 'NO'}")
        if speedup is not None:
            verdict = "meets" if speedup >= TARGET else "misses"
            print(f"2 workers / 1 worker (steady): {speedup:.2f}x ({verdict} the {TARGET}x target)")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
