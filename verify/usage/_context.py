"""Per-call facts the waste rules share: the action recorded at the call's step, the scope.

Computed once per report with array operations (sorts and searches), never a Python loop over
calls, so a 100k-call ledger costs tens of milliseconds here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..ledger import PURPOSE_CODES, Frames
from ._units import repeated_later

__all__ = ["Context", "build_context", "task_groups"]

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

_STEP_BITS = 24


@dataclass(frozen=True)
class Context:
    frames: Frames
    action: I64  # index of the action at the call's (run, step), -1 if none (latest wins)
    action_repeat: B  # per action: kind and summary seen at an earlier step of its run
    gated: B  # per action: the gate decided it (pass or block)
    run_has_actions: B  # per run
    scope: I64  # per run: same task by the same agent and user (or the run alone if no task)
    task_group: I64  # per run: same task (any agent), or the run alone if no task
    generated: B  # per call: agent or imported (free generation, not a sample or a judge)

    def action_kind(self, kinds: tuple[str, ...]) -> B:
        """Per call: an action is recorded at its step and its kind is one of ``kinds``."""
        names = self.frames.actions.kind
        wanted = np.array([k in kinds for k in names] + [False], dtype=bool)
        return wanted[self.action]  # index -1 reads the trailing False


def _pair_key(run: I64, step: I64) -> I64:
    return (run << _STEP_BITS) | (step & ((1 << _STEP_BITS) - 1))


def _action_at_step(frames: Frames) -> I64:
    calls, actions = frames.calls, frames.actions
    found = np.full(len(calls), -1, dtype=np.int64)
    if len(actions) == 0 or len(calls) == 0:
        return found
    keys = _pair_key(actions.run, actions.step)
    order = np.lexsort((np.arange(len(actions)), _gated(frames), keys))
    sorted_keys = keys[order]
    # sorted by (key, gated, index): the last position of a key is the step's latest gated
    # action, or its latest action if none was gated
    call_keys = _pair_key(calls.run, calls.step)
    pos = np.searchsorted(sorted_keys, call_keys, side="right") - 1
    ok = (calls.step >= 0) & (pos >= 0)
    ok[ok] &= sorted_keys[pos[ok]] == call_keys[ok]
    found[ok] = order[pos[ok]]
    return found


def _gated(frames: Frames) -> B:
    return np.array([d in ("pass", "block") for d in frames.actions.decision], dtype=bool)


def _groups(labels: list[str]) -> I64:
    ids: dict[str, int] = {}
    return np.fromiter(
        (ids.setdefault(k, len(ids)) for k in labels), dtype=np.int64, count=len(labels)
    )


def task_groups(run_id: list[str], task: list[str]) -> I64:
    """Per run: a number shared by the runs of its task (a run without a task alone)."""
    return _groups([f"t\0{t}" if t else f"r\0{r}" for r, t in zip(run_id, task, strict=True)])


def build_context(frames: Frames) -> Context:
    runs, calls, actions = frames.runs, frames.calls, frames.actions
    scope = _groups(
        [
            f"t\0{t}\0{a}\0{u}" if t else f"r\0{r}"
            for r, t, a, u in zip(runs.run_id, runs.task, runs.agent, runs.user, strict=True)
        ]
    )
    task_group = task_groups(runs.run_id, runs.task)
    generated = (calls.purpose == PURPOSE_CODES["agent"]) | (
        calls.purpose == PURPOSE_CODES["imported"]
    )
    return Context(
        frames=frames,
        action=_action_at_step(frames),
        action_repeat=repeated_later(actions),
        gated=_gated(frames),
        run_has_actions=np.bincount(actions.run, minlength=len(runs)) > 0,
        scope=scope,
        task_group=task_group,
        generated=generated,
    )
