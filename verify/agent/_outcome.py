"""What one agent run, or several, answers: the ``reports.Outcome`` of ``verify run`` and of
``verify demo``.

Both count the same way: every claim checked at every step, the findings, the tokens of every
model call (by purpose), the actions executed after passing their check, and tokens per such
action. A run that stopped short (its deadline) adds an ``error`` verdict naming why, so its
report shows it and it never passes. One run's JSON carries its ``run_id``, ``task``,
``agent`` and ``error``; several runs' JSON lists them under ``runs`` and tags each step with
its run (README, "JSON output").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from checks.types import BLOCKING_DEFAULT, Claim, Usage, Verdict
from reports import Outcome

if TYPE_CHECKING:
    from ._runner import RunResult

__all__ = ["run_outcome", "runs_outcome"]


@dataclass(frozen=True)
class _Tally:
    """What several runs add up to."""

    verdicts: tuple[Verdict, ...]
    usage: Usage
    by_purpose: dict[str, Usage]
    verified_actions: int

    def figures(self) -> dict[str, Any]:
        tokens = self.usage.prompt_tokens + self.usage.completion_tokens
        verified = self.verified_actions
        return {
            "usage_by_purpose": {k: v.to_json() for k, v in self.by_purpose.items()},
            "verified_actions": verified,
            "tokens_per_verified_action": round(tokens / verified, 1) if verified else None,
        }


def _tally(runs: Sequence[RunResult]) -> _Tally:
    verdicts: list[Verdict] = []
    by_purpose: dict[str, Usage] = {}
    for r in runs:
        verdicts += [v for s in r.steps for v in s.check.verdicts]
        if r.error:
            verdicts.append(Verdict(Claim("run", "", 0, 0), "error", 0.0, (), r.error))
        for k, u in r.usage_by_purpose.items():
            by_purpose[k] = by_purpose.get(k, Usage()) + u
    return _Tally(
        tuple(verdicts),
        sum(by_purpose.values(), Usage()),
        by_purpose,
        sum(r.verified_actions for r in runs),
    )


def _outcome(runs: Sequence[RunResult], extra: dict[str, Any]) -> Outcome:
    tally = _tally(runs)
    return Outcome(
        tally.verdicts,
        "block" if any(r.decision == "block" for r in runs) else "pass",
        findings=tuple(f for r in runs for s in r.steps for f in s.check.findings),
        usage=tally.usage,  # no text: claims come from several texts, spans differ
        blocking=frozenset().union(*(r.blocking for r in runs)) if runs else BLOCKING_DEFAULT,
        extra={**extra, **tally.figures()},
    )


def run_outcome(run: RunResult) -> Outcome:
    """The answer of ``verify run``: one run, its steps and figures."""
    return _outcome(
        [run],
        {
            "run_id": run.run_id,
            "task": run.task,
            "agent": run.agent,
            "steps": [s.to_json() for s in run.steps],
            "error": run.error,
        },
    )


def runs_outcome(runs: Sequence[RunResult]) -> Outcome:
    """One answer for several runs (``verify demo``): every claim and step, figures summed."""
    return _outcome(
        runs,
        {
            "runs": [
                {
                    "run_id": r.run_id,
                    "task": r.task,
                    "agent": r.agent,
                    "decision": r.decision,
                    "verified_actions": r.verified_actions,
                    "error": r.error,
                }
                for r in runs
            ],
            "steps": [
                {**s.to_json(), "task": r.task, "run_id": r.run_id, "agent": r.agent}
                for r in runs
                for s in r.steps
            ],
        },
    )
