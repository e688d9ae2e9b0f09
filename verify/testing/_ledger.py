"""The test session as one run of the token ledger (``--verify-ledger DB``).

Each check is a step: the model calls the test reported before it (``Verifier.record_call``,
purpose ``agent``) and the judge's tokens (purpose ``judge``) are written at that step with
the check's decision, then the check itself as an ``answer`` action that counts as verified
work when it passed (``verify usage`` counts its supported claims). Calls no check followed
are written when their test ends, not gated. The ledger opens at the first write, so a
session that checks nothing leaves no file; every row is written as it happens, so a killed
session keeps what it did.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reports import Outcome

    from ..ledger import Ledger

__all__ = ["ModelCall", "SessionLedger"]


@dataclass(frozen=True)
class ModelCall:
    """A model call the code under test made, as a test reports it."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float = 0.0
    output: str = ""


class SessionLedger:
    """Writes one run, ``pytest-<12 hex>``, with ``source`` ``pytest``, to the ledger at
    ``path``."""

    def __init__(self, path: Path, *, task: str, user: str, agent: str = "pytest") -> None:
        self.path = path
        self.task = task
        self.user = user
        self.agent = agent
        self.run_id = f"pytest-{uuid.uuid4().hex[:12]}"
        self._ledger: Ledger | None = None
        self._step = 0
        self._decision = "pass"

    def _open(self) -> Ledger:
        if self._ledger is None:
            from ..ledger import Ledger

            ledger = Ledger.open(self.path)
            ledger.start_run(
                run_id=self.run_id,
                task=self.task,
                agent=self.agent,
                user=self.user,
                source="pytest",
            )
            self._ledger = ledger
        return self._ledger

    def record_check(
        self,
        outcome: Outcome,
        *,
        summary: str,
        calls: list[ModelCall],
        judge: str | None,
        seconds: float,
    ) -> None:
        """Write one check as the next step: ``calls`` and the judge's tokens, then the
        ``answer`` action (executed, that is delivered, when it passed)."""
        ledger = self._open()
        self._step += 1
        for call in calls:
            self._write_call(ledger, call, "agent", outcome.decision, self._step)
        used = outcome.usage
        if used.prompt_tokens or used.completion_tokens:
            judged = ModelCall(
                judge or "judge", used.prompt_tokens, used.completion_tokens, seconds
            )
            self._write_call(ledger, judged, "judge", outcome.decision, self._step)
        labels = [v.label for v in outcome.verdicts]
        ledger.record_action(
            run_id=self.run_id,
            step=self._step,
            kind="answer",
            decision=outcome.decision,
            executed=outcome.decision == "pass",
            claims_supported=labels.count("supported"),
            claims_total=len(labels),
            summary=summary,
        )
        if "error" in labels:
            self._decision = "error"
        elif outcome.decision == "block" and self._decision == "pass":
            self._decision = "block"

    def record_calls(self, calls: list[ModelCall]) -> None:
        """Write calls that no check followed: not gated, at no step."""
        if not calls:
            return
        ledger = self._open()
        for call in calls:
            self._write_call(ledger, call, "agent", "", None)

    def _write_call(
        self, ledger: Ledger, call: ModelCall, purpose: str, verdict: str, step: int | None
    ) -> None:
        ledger.record_call(
            run_id=self.run_id,
            purpose=purpose,
            model=call.model,
            prompt_tokens=call.prompt_tokens,
            completion_tokens=call.completion_tokens,
            seconds=call.seconds,
            verdict=verdict,
            output=call.output,
            step=step,
        )

    def close(self) -> None:
        """End the run (pass, block, or error when a verdict could not be computed)."""
        if self._ledger is None:
            return
        try:
            self._ledger.finish_run(run_id=self.run_id, decision=self._decision)
        finally:
            self._ledger.close()
            self._ledger = None
