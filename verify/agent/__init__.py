"""Agents that must pass verification before they act (``verify run``, ``verify demo``)."""

from ._actions import ACTION_GRAMMAR, KINDS, Action, parse_action
from ._backends import (
    Backend,
    LlamaBackend,
    Proposal,
    ReplayBackend,
    Turn,
    get_backend,
    register_backend,
)
from ._commands import CommandResult, check_command, run_command
from ._demo import DemoResult, demo_paths, run_demo
from ._outcome import run_outcome, runs_outcome
from ._precheck import ActionChecker, ModelCall, StepCheck, texts_to_check
from ._runner import AgentRunner, CallLog, RunResult, Step
from ._setup import make_runner
from ._workspace import ConfinementError, Workspace

__all__ = [
    "ACTION_GRAMMAR",
    "KINDS",
    "Action",
    "ActionChecker",
    "AgentRunner",
    "Backend",
    "CallLog",
    "CommandResult",
    "ConfinementError",
    "DemoResult",
    "LlamaBackend",
    "ModelCall",
    "Proposal",
    "ReplayBackend",
    "RunResult",
    "Step",
    "StepCheck",
    "Turn",
    "Workspace",
    "check_command",
    "demo_paths",
    "get_backend",
    "make_runner",
    "parse_action",
    "register_backend",
    "run_command",
    "run_demo",
    "run_outcome",
    "runs_outcome",
    "texts_to_check",
]
