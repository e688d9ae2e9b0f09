"""The agent loop: propose one action, check it, act only if it passed, feed back the result.

Every model call (agent step, extra samples, each judge call) is written to the ledger with
its tokens. A blocked action is not executed: the agent gets the reasons and may try again
within ``max_steps``. A check that fails or times out blocks the action and makes the run an
error; so does the run's own deadline (``run_timeout``), checked before every proposal and
again before every action, so nothing is executed once it has passed.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checks import CheckTimeout
from checks.types import BLOCKING_DEFAULT, Claim, Label, Usage, Verdict
from reports import Outcome
from retrieval import Index, RetrievalError

from ..errors import InternalError, VerifyError
from ._actions import Action
from ._backends import Backend, Proposal, ReplayBackend, Turn
from ._commands import run_command
from ._outcome import run_outcome
from ._precheck import ActionChecker, StepCheck
from ._record import CallLog, begin_action, log_action, log_calls
from ._workspace import ConfinementError, Workspace

__all__ = ["AgentRunner", "CallLog", "RunResult", "Step"]


@dataclass
class Step:
    number: int
    action: Action | None
    check: StepCheck
    executed: bool
    result: str
    raw: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.number,
            "action": self.action.to_json()
            if self.action
            else {"action": "malformed", "raw": self.raw[:500]},
            "decision": self.check.decision,
            "executed": self.executed,
            "result": self.result,
            "claims": [v.to_json() for v in self.check.verdicts],
            "findings": [f.to_json() for f in self.check.findings],
            "consistency": {k: round(v, 3) for k, v in self.check.consistency.items()},
        }


@dataclass
class RunResult:
    run_id: str
    task: str
    agent: str
    steps: list[Step] = field(default_factory=list)
    usage_by_purpose: dict[str, Usage] = field(default_factory=dict)
    answer: str = ""
    error: str = ""  # why the run stopped short (its deadline); such a run never passes
    blocking: frozenset[Label] = BLOCKING_DEFAULT  # the verdicts the policy blocks on

    @property
    def verified_actions(self) -> int:
        return sum(1 for s in self.steps if s.executed and s.check.decision == "pass")

    @property
    def decision(self) -> str:
        blocked = any(s.check.decision == "block" for s in self.steps)
        return "block" if blocked or self.error or not self.steps else "pass"

    @property
    def errored(self) -> bool:
        return bool(self.error) or any(s.check.errored for s in self.steps)

    def add_usage(self, purpose: str, p: Proposal | Usage) -> None:
        u = p if isinstance(p, Usage) else Usage(p.prompt_tokens, p.completion_tokens)
        self.usage_by_purpose[purpose] = self.usage_by_purpose.get(purpose, Usage()) + u

    def outcome(self) -> Outcome:
        """The answer of ``verify run`` for this run (``run_outcome``)."""
        return run_outcome(self)


class AgentRunner:
    def __init__(
        self,
        backend: Backend,
        precheck: ActionChecker,
        workspace: Workspace,
        *,
        index: Index | None = None,
        ledger: CallLog | None = None,
        agent: str = "",
        user: str = "",
        samples: int = 2,
        max_steps: int = 6,
        run_timeout: float = 600.0,
        command_timeout: float = 20.0,
        on_step: Callable[[Step], None] | None = None,
    ) -> None:
        self.backend = backend
        self.precheck = precheck
        self.workspace = workspace
        self.index = index
        self.ledger = ledger
        self.agent = agent or backend.name
        self.user = user
        self.samples = samples
        self.max_steps = max_steps
        self.run_timeout = run_timeout
        self.command_timeout = command_timeout
        self.on_step = on_step

    def run(self, task: str) -> RunResult:
        result = RunResult(
            uuid.uuid4().hex[:12], task, self.agent, blocking=self.precheck.checker.policy.block
        )
        if self.ledger:
            self.ledger.start_run(run_id=result.run_id, task=task, agent=self.agent, user=self.user)
        deadline = time.monotonic() + self.run_timeout
        try:
            self._loop(task, result, deadline)
        except BaseException:
            if self.ledger:  # the run ends in the ledger even when it crashed...
                with contextlib.suppress(Exception):  # ...unless the ledger is what broke
                    self.ledger.finish_run(run_id=result.run_id, decision="error")
            raise
        if self.ledger:
            self.ledger.finish_run(
                run_id=result.run_id, decision="error" if result.errored else result.decision
            )
        return result

    def _loop(self, task: str, result: RunResult, deadline: float) -> None:
        context = self._search(task, 3)
        history: list[Turn] = []
        replay = isinstance(self.backend, ReplayBackend)
        limit = self.backend.length if isinstance(self.backend, ReplayBackend) else self.max_steps
        for number in range(1, limit + 1):
            if time.monotonic() > deadline:
                result.error = (
                    f"run {result.run_id} passed its deadline of "
                    f"{self.run_timeout:g}s before step {number}"
                )
                break
            try:
                proposal = self.backend.propose(
                    task, context, history, timeout=deadline - time.monotonic()
                )
            except CheckTimeout as exc:
                result.error = (
                    f"run {result.run_id}: the agent's proposal for step {number} was stopped "
                    f"at the run's deadline of {self.run_timeout:g}s ({exc})"
                )
                break
            if proposal is None:
                break
            step = self._step(number, proposal, task, context, result, deadline)
            result.steps.append(step)
            history.append(Turn(step.action, step.result))
            if self.on_step:
                self.on_step(step)
            if step.check.errored:
                break  # fail closed: stop at the first check that could not run
            if step.executed and step.action and step.action.kind == "answer":
                result.answer = step.action.text
                if not replay:
                    break

    def _step(
        self,
        number: int,
        proposal: Proposal,
        task: str,
        context: list[str],
        result: RunResult,
        deadline: float,
    ) -> Step:
        result.add_usage("agent", proposal)
        action = proposal.action
        samples: list[Proposal] = []
        if action is not None and action.kind == "answer" and self.samples:
            try:
                samples = self.backend.samples(
                    task, context, self.samples, timeout=deadline - time.monotonic()
                )
            except CheckTimeout:  # no time for samples: the deadline check below blocks it
                samples = []
        for s in samples:
            result.add_usage("sample", s)
        outcome = f"malformed: {proposal.error}"
        if action is None:
            check = StepCheck("block")
        else:
            try:
                check = self.precheck.check(
                    action,
                    [s.action.text for s in samples if s.action and s.action.kind == "answer"],
                )
            except Exception as exc:  # a check that raises blocks the action: fail closed
                check = StepCheck("block", findings=[])
                check.verdicts = [_error_verdict(number, exc)]
            result.add_usage("judge", check.usage)
            if time.monotonic() > deadline:  # the proposal or its check ran out the clock
                check.decision = "block"
                check.verdicts.append(
                    _error_verdict(
                        number,
                        TimeoutError(
                            f"the run passed its deadline of {self.run_timeout:g}s "
                            "before the action could run"
                        ),
                    )
                )
        # the model calls are in the ledger before anything is done: a ledger that cannot
        # be written (locked, broken) stops the run before the action takes effect
        if self.ledger:
            log_calls(self.ledger, result.run_id, number, proposal, samples, check)
        if action is None:
            if self.ledger:
                log_action(self.ledger, result.run_id, number, check, None, outcome)
        else:  # two phases: the action is in the ledger before it runs, its outcome after
            pending = (
                begin_action(self.ledger, result.run_id, number, check, action)
                if self.ledger
                else None
            )
            outcome = self._act(action, check, context)
            if self.ledger and pending is not None:
                self.ledger.finish_action(
                    pending, executed=outcome.startswith("executed"), decision=check.decision
                )
        executed = outcome.startswith("executed")
        return Step(number, action, check, executed, outcome, proposal.raw)

    def _act(self, action: Action, check: StepCheck, context: list[str]) -> str:
        if check.decision != "pass":
            reasons = [f.message for f in check.findings if f.severity == "block"]
            reasons += [
                f"{v.label}: {v.claim.text or v.reason}"
                for v in check.verdicts
                if v.label in self.precheck.checker.policy.block
            ]
            return "blocked: " + "; ".join(reasons)[:600]
        try:
            if action.kind == "search":
                found = self._search(action.query, 3)
                context.extend(found)
                return f"executed: {len(found)} passages"
            if action.kind == "write_file":
                path = self.workspace.write(action.path, action.content)
                return f"executed: wrote {path.relative_to(self.workspace.root.resolve())}"
            if action.kind == "run_command":
                res = run_command(
                    action.argv,
                    self.precheck.allow_commands,
                    self.workspace.root,
                    timeout=self.command_timeout,
                )
                state = "timed out" if res.timed_out else f"exit {res.returncode}"
                return f"executed: {state}; {res.stdout[:300]}"
            return "executed: answer delivered"
        except ConfinementError as exc:
            check.decision = "block"
            return f"blocked: {exc}"

    def _search(self, query: str, k: int) -> list[str]:
        if self.index is None:
            return []
        try:
            hits = self.index.search(query, k)
        except (RetrievalError, VerifyError):
            raise
        except Exception as exc:  # fail closed, naming what broke
            raise InternalError(
                f"retrieval failed searching the index for {query[:60]!r}: "
                f"{type(exc).__name__}: {exc}".rstrip(": ")
            ) from exc
        return [" ".join(h.chunk.text.split())[:500] for h in hits]


def _error_verdict(step: int, exc: Exception) -> Verdict:
    return Verdict(
        Claim(f"step{step}", "", 0, 0),
        "error",
        0.0,
        (),
        f"check failed: {type(exc).__name__}: {exc}",
    )
