"""Four agents doing the same four tasks, recorded the way an agent runner records them
(``Ledger`` API: one call per turn with its step, consistency samples, the gated action of
each step):

- concise: one search, then an answer of three supported claims in ~60 tokens;
- padding: the same work, wrapped in ~900 tokens of repeated filler;
- looping: the same search five times before answering;
- blocked: answers whose claims the corpus does not support, blocked three times in four.
"""

from __future__ import annotations

import json

from verify.ledger import Ledger

TASKS = ("retries", "uploads", "cache", "limits")
FACTS = {
    "retries": [
        "The retry timeout is 30 seconds.",
        "Clients retry 5 times.",
        "Backoff doubles after each attempt.",
    ],
    "uploads": [
        "Raw uploads are kept 30 days.",
        "Uploads above 8 MB are streamed to S3.",
        "The `ingot-sync` job moves uploads every 15 minutes.",
    ],
    "cache": [
        "The cache holds 512 entries per shard.",
        "Cache entries expire after 10 minutes.",
        "Ingot keeps the cache in Redis.",
    ],
    "limits": [
        "The API allows 600 calls per minute.",
        "Callers over the limit get HTTP 429.",
        "Limits reset at 00:00 UTC.",
    ],
}
# varied filler: padding rarely repeats itself word for word (that case has its own test)
FILLER = " ".join(
    f"{opening} {subject} {verb} {quality} in {scope}."
    for opening, subject, verb, quality, scope in zip(
        [
            "Generally speaking,",
            "In many ways,",
            "Overall,",
            "As a rule,",
            "Broadly,",
            "In essence,",
            "To be clear,",
            "On balance,",
        ]
        * 2,
        [
            "this design",
            "the approach",
            "the system",
            "such a setup",
            "this choice",
            "the pattern",
            "our method",
            "the solution",
        ]
        * 2,
        [
            "reflects",
            "shows",
            "embodies",
            "conveys",
            "signals",
            "captures",
            "expresses",
            "illustrates",
            "suggests",
            "highlights",
            "underlines",
            "demonstrates",
            "mirrors",
            "indicates",
            "reveals",
            "evokes",
        ],
        ["care", "thought", "balance", "attention", "quality", "intent", "rigour", "clarity"] * 2,
        [
            "practice",
            "context",
            "general",
            "spirit",
            "principle",
            "effect",
            "the end",
            "the whole",
            "most cases",
            "many respects",
            "the long run",
            "real terms",
            "broad strokes",
            "its own way",
            "the main",
            "the round",
        ],
        strict=True,
    )
)
DAY = 86400.0
T0 = 1_750_000_000.0


def _search(ledger: Ledger, run: str, step: int, task: str, blocked: bool = False) -> None:
    query = f"{task} documentation"
    ledger.record_call(
        run_id=run,
        purpose="agent",
        model="smollm2",
        prompt_tokens=400,
        completion_tokens=20,
        seconds=0.3,
        step=step,
        verdict="block" if blocked else "pass",
        output=json.dumps({"action": "search", "query": query}),
    )
    ledger.record_action(
        run_id=run,
        step=step,
        kind="search",
        decision="block" if blocked else "pass",
        executed=not blocked,
        claims_supported=0,
        claims_total=0,
        summary=query,
    )


def _answer(
    ledger: Ledger, run: str, step: int, text: str, completion: int, supported: int, total: int = 3
) -> None:
    decision = "pass" if supported == total else "block"
    for purpose, verdict in (("agent", decision), ("sample", ""), ("sample", "")):
        ledger.record_call(
            run_id=run,
            purpose=purpose,
            model="smollm2",
            prompt_tokens=900,
            completion_tokens=completion,
            seconds=1.0,
            step=step,
            verdict=verdict,
            output=text,
        )
    ledger.record_action(
        run_id=run,
        step=step,
        kind="answer",
        decision=decision,
        executed=decision == "pass",
        claims_supported=supported,
        claims_total=total,
        summary=text,
    )


def session(ledger: Ledger, agent: str, task: str, day: int, *, team: str = "core") -> str:
    run = f"{agent}-{task}"
    ledger.start_run(
        run_id=run,
        task=task,
        agent=agent,
        user=f"{agent}-owner",
        team=team,
        started_at=T0 + day * DAY + TASKS.index(task) * 60,
    )
    facts = " ".join(FACTS[task])
    if agent == "concise":
        _search(ledger, run, 0, task)
        _answer(ledger, run, 1, facts, 60, 3)
    elif agent == "padding":
        _search(ledger, run, 0, task)
        _answer(ledger, run, 1, f"{FILLER} {facts} {FILLER}", 900, 3)
    elif agent == "looping":
        for step in range(5):
            _search(ledger, run, step, task)
        _answer(ledger, run, 5, facts, 60, 3)
    elif agent == "blocked":
        _search(ledger, run, 0, task)
        ok = task == "retries"
        _answer(
            ledger,
            run,
            1,
            facts if ok else f"{facts} Ingot was written in 1987.",
            70,
            3 if ok else 1,
        )
    else:
        raise AssertionError(agent)
    ledger.finish_run(run_id=run, decision="pass")
    return run


AGENTS = ("concise", "padding", "looping", "blocked")
