"""Seeded random ledgers that exercise every usage rule: loops, near-duplicates across runs,
unused calls, oversampling, padding, context, tokenmaxxing, blocked work, outcome unknown,
reported units, imports. ``grow`` is also run by writer processes of their own."""

from __future__ import annotations

import random
from pathlib import Path

from verify.ledger import ActionRow, CallRow, Ledger, RunRow

DAY = 86400.0
T0 = 1_750_000_000.0
FACTS = [
    "The retry timeout is {n} seconds.",
    "Raw uploads are kept {n} days.",
    "The cache holds {n} entries per shard.",
    "The `ingot-sync` job runs every {n} minutes.",
]
FILLER = "It is worth noting that this is an important consideration for everyone involved."
TASKS = ["faq-1", "faq-2", "faq-3", "ops", ""]
AGENTS = ["helper", "scout", "rambler"]
TEAMS = ["red", "blue", "", "(no team)"]


def _answer(rng: random.Random, padded: bool) -> str:
    text = " ".join(f.format(n=rng.randint(1, 40)) for f in rng.sample(FACTS, rng.randint(1, 3)))
    return text + (" " + " ".join([FILLER] * rng.randint(3, 8)) if padded else "")


def _write_run(ledger: Ledger, rng: random.Random, name: str, when: float) -> None:
    """One run as the runner records it, with a random share of every kind of waste."""
    task = rng.choice(TASKS)
    agent = rng.choice(AGENTS)
    ledger.start_run(
        run_id=name,
        task=task,
        agent=agent,
        user=f"{agent}-{rng.randint(0, 1)}",
        team=rng.choice(TEAMS),
        started_at=when,
    )
    if rng.random() < 0.08:  # token counts only: worth what it reports
        ledger.record_call(
            run_id=name, purpose="imported", model="m", prompt_tokens=rng.randint(100, 900),
            completion_tokens=rng.randint(10, 90), seconds=0.1, output=_answer(rng, False),
        )  # fmt: skip
        ledger.finish_run(run_id=name, decision="pass", verified_units=rng.choice([0, 2.5, 1 / 3]))
        return
    steps = rng.randint(1, 5)
    queries: list[str] = []
    greedy = 25 if rng.random() < 0.08 else 1  # a tokenmaxxer: every prompt 25 times longer
    for step in range(steps):
        last = step == steps - 1
        huge = rng.random() < 0.05
        prompt = greedy * (rng.randint(2500, 40_000) if huge else rng.randint(200, 900))
        if not last:
            query = (
                rng.choice(queries) if queries and rng.random() < 0.3 else f"q{rng.randint(1, 9)}"
            )
            queries.append(query)
            blocked = rng.random() < 0.1
            ledger.record_call(
                run_id=name, purpose="agent", model="m", prompt_tokens=prompt,
                completion_tokens=rng.randint(10, 40), seconds=0.1, step=step,
                verdict="block" if blocked else "pass", output=f"search {query}",
            )  # fmt: skip
            if rng.random() < 0.1:
                continue  # no action at this step: the call went unused
            if rng.random() < 0.05:  # recorded before it ran, outcome never written
                ledger.begin_action(
                    run_id=name, step=step, kind="run_command", decision="pass",
                    claims_supported=0, claims_total=0, summary=f"make {query}",
                )  # fmt: skip
                continue
            kind = rng.choice(["search", "search", "write_file", "gate"])
            ledger.record_action(
                run_id=name, step=step, kind=kind, decision="block" if blocked else "pass",
                executed=not blocked and rng.random() < 0.9, claims_supported=0, claims_total=0,
                summary=query, lines=rng.randint(0, 30) if kind == "gate" else 0,
            )  # fmt: skip
            continue
        padded = rng.random() < 0.3
        text = _answer(rng, padded) if rng.random() < 0.7 else rng.choice(["A. B c d.", FILLER])
        total = text.count(".")
        supported = rng.randint(0, total)
        decision = "pass" if supported == total or rng.random() < 0.3 else "block"
        completion = len(text.split()) * 4 // 3 + (rng.randint(150, 900) if padded else 0)
        ledger.record_call(
            run_id=name, purpose="agent", model="m", prompt_tokens=prompt,
            completion_tokens=completion * (30 if rng.random() < 0.04 else 1), seconds=0.2,
            step=step, verdict=decision, output=text,
        )  # fmt: skip
        for _ in range(rng.choice([0, 2, 2, 6])):
            ledger.record_call(
                run_id=name, purpose="sample", model="m", prompt_tokens=prompt,
                completion_tokens=completion, seconds=0.2, step=step, output=_answer(rng, padded),
            )  # fmt: skip
        if rng.random() < 0.2:
            ledger.record_call(
                run_id=name, purpose="judge", model="j", prompt_tokens=300, completion_tokens=3,
                seconds=0.1, step=step, output="supported",
            )  # fmt: skip
        ledger.record_action(
            run_id=name, step=step, kind="answer", decision=decision,
            executed=decision == "pass", claims_supported=supported, claims_total=total,
            summary=text,
        )  # fmt: skip
    ledger.finish_run(run_id=name, decision="pass")


def _import(ledger: Ledger, rng: random.Random, tag: str, when: float) -> None:
    """A batch as the importers write it: content keys, runs of their own."""
    runs, calls, actions = [], [], []
    for r in range(3):
        run = f"imp-{tag}-{r}"
        runs.append(RunRow(run, task=rng.choice(TASKS), agent="imported", user="ops",
                           team=rng.choice(TEAMS), started_at=when + r * 3600))  # fmt: skip
        for step in range(3):
            text = _answer(rng, False)
            tokens = rng.randint(100, 500)
            calls.append(
                CallRow(run, f"c:{run}:{step}", prompt_tokens=tokens, output=text, step=step)
            )
            actions.append(
                ActionRow(run, f"a:{run}:{step}", step, "search", "", True, summary=f"q{step % 2}")
            )
    ledger.add(runs, calls, actions)


def grow(path: Path, seed: int, runs: int, first: int = 0) -> None:
    rng = random.Random(seed)
    with Ledger.open(path) as ledger:
        for i in range(first, first + runs):
            _write_run(ledger, rng, f"run-{i:03d}", T0 + i * DAY / 10 + rng.random() * 600)
        _import(ledger, rng, f"{seed}", T0 + first * DAY / 10)
