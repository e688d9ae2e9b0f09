"""How fast `verify usage` answers on a large ledger (the target: `--by team` under 3 s at 10M
calls, on 2 cores).

Builds (once, cached under .verify/bench/) a synthetic ledger shaped like real use: runs of
2-8 steps (searches, then an answer with its consistency samples, now and then a judge call)
by 600 users in 24 teams with 120 agents over 90 days, one task per ~25 runs (a few tasks
far more popular than the rest), with the usual share of blocked answers, loops, repeated
answers and padding. Rows go in through the ledger's own schema (triggers included) in bulk:
outputs come from a pool whose features are computed once. Then:

1. the backfill: every run's sums computed from scratch (what the first report after
   migrating a ledger does), timed once per ledger and remembered beside it;
2. the real command line, end to end in a fresh process: `verify usage --by team` cold (the
   ledger evicted from the page cache) and warm, `--by user`, `--by agent --format json`,
   `--by run --since 7d`, and `--by team --weight claim=2` (other weights: the slow path);
3. a new run written by the runner's API into a popular task, then `--by team` (the report
   recomputes that task's group first);
4. `verify usage import` of an OpenAI-style log into the big ledger (rows, then the sums of
   the task groups it touched) and into an empty one: records per second.

Rows the benchmark adds in 3 and 4 are deleted again (the sums follow), so the cached ledger
stays the same. Prints best and median wall clock and the CPU time of each case; fails (exit 1)
when `--by team` warm takes 3 s or more (or, on a machine whose cores are oversubscribed,
when its CPU time does).

    python benchmarks/usage_bench.py [--calls N] [--rebuild] [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import CACHE, REPO

sys.path.insert(0, str(REPO))

from _usage_ledger import FACTS, build

from verify.ledger import Ledger
from verify.usage import refresh

TARGET_SECONDS = 3.0


def _evict(path: Path) -> None:
    """Drop the ledger's pages from the page cache (a cold start; no root needed)."""
    for suffix in ("", "-wal", "-shm"):
        name = Path(f"{path}{suffix}")
        if name.exists():
            fd = os.open(name, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def _time_cli(args: list[str], repeat: int, cold: Path | None = None) -> dict[str, Any]:
    """Best and median wall clock, median CPU (user + system) and output size of
    ``verify usage ARGS`` in fresh processes; ``cold``: evict that ledger before each run."""
    cmd = [sys.executable, "-c", "from verify.cli import main; main()", "usage", *args]
    walls, cpus = [], []
    size = 0
    for _ in range(repeat):
        if cold is not None:
            _evict(cold)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, cwd=REPO, check=False)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(
                f"verify usage {' '.join(args)} exited {done.returncode}: "
                f"{done.stderr.decode(errors='replace').strip()[-500:]}"
            )
        size = len(done.stdout)
    return {
        "best_seconds": round(min(walls), 3),
        "median_seconds": round(statistics.median(walls), 3),
        "cpu_seconds": round(statistics.median(cpus), 3),
        "bytes": size,
    }


def _openai_log(path: Path, lines: int, tasks: int, tag: str) -> None:
    """An imported agent's log: runs of 6 calls on 20 of the ledger's tasks."""
    rng = random.Random(lines)
    mine = rng.sample(range(tasks), min(20, tasks))
    with path.open("w", encoding="utf-8") as out:
        for i in range(lines):
            run = f"{tag}-{i // 6}"
            record = {
                "id": f"{tag}-{i}",
                "model": "gpt-4o-mini",
                "created": 1_760_000_000 + i,
                "usage": {"prompt_tokens": rng.randint(300, 3000), "completion_tokens": 60},
                "choices": [{"message": {"content": rng.choice(FACTS).format(n=i)}}],
                "metadata": {
                    "run": run,
                    "task": f"task-{rng.choice(mine):06d}",
                    "agent": "imported",
                    "user": "user-000",
                    "team": "team-00",
                },
            }
            out.write(json.dumps(record) + "\n")


def _forget(path: Path, prefix: str) -> None:
    """Delete the runs named ``prefix``... and their rows, then bring the sums back."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=60)
    conn.execute("BEGIN IMMEDIATE")
    ids = "SELECT id FROM runs WHERE run_id >= ? AND run_id < ?"
    bounds = (prefix, prefix + "\uffff")
    for table in ("calls", "actions"):
        conn.execute(f"DELETE FROM {table} WHERE run IN ({ids})", bounds)
    conn.execute("DELETE FROM runs WHERE run_id >= ? AND run_id < ?", bounds)
    conn.execute("COMMIT")
    conn.close()
    with Ledger.open(path, create=False) as ledger:
        refresh(ledger)


def _timed(label: str, fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    print(f"  ({label}: {seconds:.1f} s)", file=sys.stderr, flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    path = CACHE / f"usage-{args.calls}.db"
    facts_file = path.with_suffix(".build.json")
    if args.rebuild or not path.exists() or not facts_file.exists():
        built = _timed("build", lambda: build(path, args.calls))
        with Ledger.open(path) as ledger:
            backfill = _timed("backfill", lambda: refresh(ledger, progress=None))
        facts_file.write_text(
            json.dumps({"build_seconds": round(built, 1), "backfill_seconds": round(backfill, 1)})
        )
    figures: dict[str, Any] = {"ledger": str(path), **json.loads(facts_file.read_text())}
    with Ledger.open(path, create=False) as ledger:
        figures.update(
            {
                t: ledger.execute(f"SELECT count(*) FROM {t}")[0][0]
                for t in ("runs", "calls", "actions", "usage_evidence", "usage_cells")
            }
        )
        tasks = ledger.execute("SELECT count(DISTINCT task) FROM runs")[0][0]
    figures["ledger_mb"] = round(path.stat().st_size / 2**20)
    base = ["--ledger", str(path)]
    cases = {
        "by_team_cold": (["--by", "team"], 1, path),
        "by_team_warm": (["--by", "team"], args.repeat, None),
        "by_user": (["--by", "user"], args.repeat, None),
        "by_agent_json": (["--by", "agent", "--format", "json"], args.repeat, None),
        "by_run_since_7d": (["--by", "run", "--since", "7d"], args.repeat, None),
        "by_team_other_weights": (["--by", "team", "--weight", "claim=2"], 1, None),
    }
    for name, (extra, repeat, cold) in cases.items():
        figures[name] = _time_cli([*base, *extra], repeat, cold)
        print(f"  {name}: {figures[name]}", file=sys.stderr, flush=True)
    with Ledger.open(path, create=False) as ledger:  # one new run of the most popular task
        ledger.start_run(
            run_id="zz-bench-new",
            task="task-000000",
            agent="agent-000",
            user="user-000",
            team="team-00",
        )
        for step in range(3):
            ledger.record_call(
                run_id="zz-bench-new",
                purpose="agent",
                model="m",
                prompt_tokens=900,
                completion_tokens=40,
                seconds=1.0,
                step=step,
                output=f"A new answer {step}.",
            )
        group = ledger.execute("SELECT count(*) FROM runs WHERE task = 'task-000000'")[0][0]
    figures["by_team_after_one_new_run"] = _time_cli([*base, "--by", "team"], 1)
    figures["by_team_after_one_new_run"]["task_group_runs"] = group
    _forget(path, "zz-bench-new")
    log = CACHE / "usage-import.jsonl"
    _openai_log(log, 30_000, tasks, "zz-bench-import")
    cmd = ["import", str(log), "--from", "openai-jsonl"]
    into_big = _time_cli([*cmd, *base], 1)
    _forget(path, "zz-bench-import")
    fresh = CACHE / "usage-import-fresh.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{fresh}{suffix}").unlink(missing_ok=True)
    into_fresh = _time_cli([*cmd, "--ledger", str(fresh)], 1)
    for name, timing in (("import_into_big", into_big), ("import_into_empty", into_fresh)):
        timing["records_per_second"] = round(30_000 / timing["best_seconds"])
        figures[name] = timing
    figures["load_average_1min"] = round(os.getloadavg()[0], 2)
    _print(figures, args.json)
    team = figures["by_team_warm"]
    if team["best_seconds"] >= TARGET_SECONDS:
        # a shared machine's wall clock measures the neighbours too; the command is single
        # threaded, so on an idle machine its wall clock is its CPU time (pages cached)
        busy = os.getloadavg()[0] > (os.cpu_count() or 1)
        if not busy or team["cpu_seconds"] >= TARGET_SECONDS:
            raise SystemExit(1)
        print(
            f"--by team over {TARGET_SECONDS} s of wall clock only because the machine is "
            f"busy; it used {team['cpu_seconds']:.2f} s of CPU",
            file=sys.stderr,
        )


def _print(figures: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"{figures['calls']:,} calls, {figures['actions']:,} actions, {figures['runs']:,} runs"
        f" ({figures['ledger_mb']:,} MB); built in {figures['build_seconds']} s, sums"
        f" backfilled in {figures['backfill_seconds']} s ({figures['usage_cells']:,} cells,"
        f" {figures['usage_evidence']:,} evidence lines)"
    )
    for name, t in figures.items():
        if isinstance(t, dict) and "best_seconds" in t:
            extra = f", {t['records_per_second']:,} records/s" if "records_per_second" in t else ""
            if "task_group_runs" in t:
                extra = f", a task of {t['task_group_runs']:,} runs judged again"
            print(
                f"{name:28} best {t['best_seconds']:6.2f} s  median {t['median_seconds']:6.2f} s"
                f"  CPU {t['cpu_seconds']:6.2f} s  {t['bytes']:>11,} bytes out{extra}"
            )
    print(
        f"load average {figures['load_average_1min']} on {os.cpu_count()} cores; target:"
        f" --by team under {TARGET_SECONDS} s"
    )


if __name__ == "__main__":
    main()
