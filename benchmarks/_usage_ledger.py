"""The synthetic ledger of ``usage_bench.py``: shaped like real use, written in bulk.

Runs of 2-8 steps (searches, then an answer with its consistency samples, now and then a
judge call) by 600 users in 24 teams with 120 agents over 90 days, one task per ~25 runs (a
few tasks far more popular than the rest), with the usual share of blocked answers, loops,
repeated answers and padding. Rows go in through the ledger's own schema (triggers included):
outputs come from a pool whose features are computed once.
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from _common import REPO

sys.path.insert(0, str(REPO))

from verify.ledger import Ledger, fingerprint
from verify.ledger._insert import summary_hash

__all__ = ["FACTS", "build"]

DAYS, TEAMS, USERS, AGENTS, RUNS_PER_TASK = 90, 24, 600, 120, 25
FACTS = [
    "Ingot listens on port {n}.",
    "The retry timeout is {n} seconds.",
    "Raw uploads are kept {n} days.",
    "The cache holds {n} entries per shard.",
    "Backoff doubles after each of {n} attempts.",
    "The `ingot-sync` job runs every {n} minutes.",
    "Requests above {n} KB are streamed to S3.",
    "The API returns 429 after {n} calls a minute.",
]
FILLER = [
    "It is worth noting that this is an important consideration.",
    "In summary, the system is designed with care and attention to detail.",
    "As mentioned above, there are several aspects to keep in mind here.",
    "This approach ensures robustness, reliability and overall quality.",
]
QUERIES = [
    "retry timeout",
    "upload retention",
    "cache size",
    "rate limit",
    "sync schedule",
    "port number",
    "backoff policy",
    "streaming threshold",
]
CALL_SQL = (
    "INSERT INTO calls (run, step, purpose, model, prompt_tokens, completion_tokens, seconds,"
    " verdict, output, output_chars, sentences, repeated_sentences, checkable, minhash,"
    " created_at) VALUES (?, ?, ?, 'smollm2', ?, ?, 1.0, ?, ?, ?, ?, ?, ?, ?, ?)"
)
ACTION_SQL = (
    "INSERT INTO actions (run, step, kind, decision, executed, claims_supported, claims_total,"
    " summary, summary_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class Pool:
    """Outputs with their features computed once: the builder draws from these."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self.answers = []
        for i in range(size):
            facts = [f.format(n=rng.randint(2, 9000)) for f in rng.sample(FACTS, rng.randint(1, 4))]
            text = " ".join(facts)
            if i % 3 == 0:  # padded
                text += " " + " ".join(rng.choice(FILLER) for _ in range(rng.randint(6, 14)))
            self.answers.append((text, len(facts), self._features(text)))
        self.queries = [f"{q} {n}" for q in QUERIES for n in range(1, 100)]
        self.searches = {
            q: self._features(json.dumps({"action": "search", "query": q})) for q in self.queries
        }
        self.hashes: dict[tuple[str, str], int] = {}

    @staticmethod
    def _features(text: str) -> tuple[Any, ...]:
        f = fingerprint(text)
        return (text, len(text), f.sentences, f.repeated_sentences, f.checkable, f.minhash)

    def hash(self, kind: str, summary: str) -> int:
        key = (kind, summary)
        if key not in self.hashes:
            self.hashes[key] = summary_hash(kind, summary)
        return self.hashes[key]


def build(path: Path, n_calls: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    Ledger.open(path).close()  # the schema, through the ledger's migrations
    pool = Pool(rng, 20_000)
    n_runs = max(n_calls * 10 // 78, 1)
    n_tasks = max(n_runs // RUNS_PER_TASK, 50)
    sloppiness = [rng.random() for _ in range(AGENTS)]
    start = time.time() - DAYS * 86400
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    calls = 0
    r = 0
    last_answer: dict[tuple[int, int, int], int] = {}
    while calls < n_calls:
        runs, call_rows, action_rows = [], [], []
        for _ in range(20_000):
            r += 1
            user = rng.randrange(USERS)
            agent = (user * 7 + rng.randrange(4)) % AGENTS
            task = int(n_tasks * rng.random() ** 2)
            sloppy = sloppiness[agent]
            when = start + (r / n_runs) * DAYS * 86400 + rng.random() * 60
            runs.append(
                (
                    r,
                    f"run-{r:08d}",
                    f"task-{task:06d}",
                    f"agent-{agent:03d}",
                    f"user-{user:03d}",
                    f"team-{user % TEAMS:02d}",
                    when,
                    when + 30,
                )
            )
            steps = rng.randint(2, 8)
            seen: list[str] = []
            for step in range(steps - 1):
                query = (
                    seen[-1] if seen and rng.random() < sloppy * 0.6 else rng.choice(pool.queries)
                )
                seen.append(query)
                blocked = rng.random() < sloppy * 0.15
                verdict = "block" if blocked else "pass"
                call_rows.append(
                    (
                        r,
                        step,
                        "agent",
                        rng.randint(300, 1500),
                        rng.randint(15, 40),
                        verdict,
                        *pool.searches[query],
                        when,
                    )
                )
                action_rows.append(
                    (
                        r,
                        step,
                        "search",
                        verdict,
                        int(not blocked),
                        0,
                        0,
                        query,
                        pool.hash("search", query),
                        when,
                    )
                )
            step = steps - 1
            scope = (user, agent, task)
            again = scope in last_answer and rng.random() < sloppy * 0.5  # the same answer again
            pick = last_answer[scope] if again else rng.randrange(len(pool.answers))
            last_answer[scope] = pick
            text, n_claims, features = pool.answers[pick]
            supported = n_claims if rng.random() < 0.8 - sloppy * 0.4 else rng.randint(0, n_claims)
            blocked = supported < n_claims and rng.random() < 0.7
            verdict = "block" if blocked else "pass"
            completion = features[1] // 4 + rng.randint(0, 20)
            call_rows.append(
                (r, step, "agent", rng.randint(800, 3000), completion, verdict, *features, when)
            )
            for _ in range(2 + (rng.random() < sloppy * 0.3) * 6):
                sample = pool.answers[rng.randrange(len(pool.answers))][2]
                call_rows.append(
                    (r, step, "sample", rng.randint(800, 3000), sample[1] // 4, "", *sample, when)
                )
            if rng.random() < 0.1:
                call_rows.append(
                    (r, step, "judge", 400, 5, "", "supported", 9, 0, 0, 0, None, when)
                )
            action_rows.append(
                (
                    r,
                    step,
                    "answer",
                    verdict,
                    int(not blocked),
                    supported,
                    n_claims,
                    text[:1000],
                    pool.hash("answer", text),
                    when,
                )
            )
            if len(call_rows) + calls >= n_calls:
                break
        call_rows = call_rows[: n_calls - calls]
        calls += len(call_rows)
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO runs (id, run_id, task, agent, user, team, source, started_at,"
            " finished_at, decision) VALUES (?, ?, ?, ?, ?, ?, 'verify', ?, ?, 'pass')",
            runs,
        )
        conn.executemany(CALL_SQL, call_rows)
        conn.executemany(ACTION_SQL, action_rows)
        conn.execute("COMMIT")
        print(f"  {calls:,} calls written", file=sys.stderr, flush=True)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
