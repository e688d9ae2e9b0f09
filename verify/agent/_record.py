"""What the agent runner writes to the ledger: its model calls, and each action in two phases
(before it runs, and its outcome after). ``CallLog`` is the part of ``verify.ledger.Ledger``
the runner uses, so tests can record in memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from checks.types import Usage

from ._actions import Action
from ._backends import Proposal
from ._precheck import StepCheck

__all__ = ["CallLog", "begin_action", "log_action", "log_calls", "summary"]


class CallLog(Protocol):
    """The part of the ledger the runner writes to (see verify/ledger)."""

    def start_run(
        self,
        *,
        run_id: str,
        task: str,
        agent: str,
        user: str,
        team: str = "",
        source: str = "verify",
    ) -> None: ...
    def record_call(
        self,
        *,
        run_id: str,
        purpose: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        seconds: float,
        verdict: str = "",
        output: str = "",
        step: int | None = None,
    ) -> int: ...
    def record_action(
        self,
        *,
        run_id: str,
        step: int,
        kind: str,
        decision: str,
        executed: bool,
        claims_supported: int,
        claims_total: int,
        summary: str = "",
    ) -> None: ...
    def begin_action(
        self,
        *,
        run_id: str,
        step: int,
        kind: str,
        decision: str,
        claims_supported: int,
        claims_total: int,
        summary: str = "",
    ) -> int: ...
    def finish_action(self, action_id: int, *, executed: bool, decision: str) -> None: ...
    def finish_run(
        self, *, run_id: str, decision: str, verified_units: float | None = None
    ) -> None: ...


def log_calls(
    ledger: CallLog,
    run_id: str,
    number: int,
    proposal: Proposal,
    samples: Sequence[Proposal],
    check: StepCheck,
) -> None:
    verdict = check.decision
    ledger.record_call(
        run_id=run_id,
        purpose="agent",
        model=proposal.model,
        prompt_tokens=proposal.prompt_tokens,
        completion_tokens=proposal.completion_tokens,
        seconds=proposal.seconds,
        verdict=verdict,
        output=proposal.raw,
        step=number,
    )
    for s in samples:
        ledger.record_call(
            run_id=run_id,
            purpose="sample",
            model=s.model,
            prompt_tokens=s.prompt_tokens,
            completion_tokens=s.completion_tokens,
            seconds=s.seconds,
            verdict="",
            output=s.raw,
            step=number,
        )
    for call in check.calls:
        ledger.record_call(
            run_id=run_id,
            purpose="judge",
            model=call.model,
            prompt_tokens=call.usage.prompt_tokens,
            completion_tokens=call.usage.completion_tokens,
            seconds=call.seconds,
            verdict=verdict,
            step=number,
        )
    seen = sum((c.usage for c in check.calls), Usage())
    rest = Usage(
        check.usage.prompt_tokens - seen.prompt_tokens,
        check.usage.completion_tokens - seen.completion_tokens,
    )
    if rest.prompt_tokens > 0 or rest.completion_tokens > 0:  # a judge we could not watch
        ledger.record_call(
            run_id=run_id,
            purpose="judge",
            model="judge",
            prompt_tokens=max(rest.prompt_tokens, 0),
            completion_tokens=max(rest.completion_tokens, 0),
            seconds=0.0,
            verdict=verdict,
            step=number,
        )


def log_action(
    ledger: CallLog, run_id: str, number: int, check: StepCheck, action: Action | None, outcome: str
) -> None:
    """One write for a step whose output was no action: nothing can have run."""
    ledger.record_action(
        run_id=run_id,
        step=number,
        kind=action.kind if action else "malformed",
        decision=check.decision,
        executed=outcome.startswith("executed"),
        claims_supported=sum(v.label == "supported" for v in check.verdicts),
        claims_total=len(check.verdicts),
        summary=summary(action),
    )


def begin_action(
    ledger: CallLog, run_id: str, number: int, check: StepCheck, action: Action
) -> int:
    """Phase one: ``action`` as decided, before it runs; returns the row for
    ``finish_action``. If this write fails the action never runs."""
    return ledger.begin_action(
        run_id=run_id,
        step=number,
        kind=action.kind,
        decision=check.decision,
        claims_supported=sum(v.label == "supported" for v in check.verdicts),
        claims_total=len(check.verdicts),
        summary=summary(action),
    )


def summary(action: Action | None) -> str:
    """What identifies an action in the ledger (loop and duplicate detection read it)."""
    if action is None:
        return "malformed output"
    if action.kind == "answer":
        return action.text[:400]
    return action.describe()[:400]
