"""The block policy: which verdicts block, how many are tolerated, and the resulting exit code."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from checks.types import BLOCKING_DEFAULT, LABELS, Decision, Label, Verdict
from reports import Finding

from .config import Config
from .errors import ExitCode, InputError

__all__ = ["BlockPolicy", "decide", "exit_code"]


@dataclass(frozen=True)
class BlockPolicy:
    block: frozenset[Label] = BLOCKING_DEFAULT
    max_blocking: int = 0

    @classmethod
    def from_config(
        cls, config: Config, *, block: Iterable[str] | None = None, max_blocking: int | None = None
    ) -> BlockPolicy:
        labels = list(block if block is not None else config["block"])
        bad = [x for x in labels if x not in LABELS]
        if bad:
            raise InputError(
                f"unknown verdict(s) {', '.join(bad)} in the block list; use {', '.join(LABELS)}"
            )
        # `error` always blocks: a verdict that could not be computed never passes
        return cls(
            frozenset(labels) | {"error"},
            config["max_blocking"] if max_blocking is None else max_blocking,
        )


def decide(
    verdicts: Sequence[Verdict], policy: BlockPolicy, findings: Sequence[Finding] = ()
) -> Decision:
    if any(v.label == "error" for v in verdicts):
        return "block"
    blocking = sum(v.label in policy.block for v in verdicts)
    if blocking > policy.max_blocking or any(f.severity == "block" for f in findings):
        return "block"
    return "pass"


def exit_code(verdicts: Sequence[Verdict], decision: Decision) -> ExitCode:
    """3 when any verdict could not be computed, else 1 for block, 0 for pass."""
    if any(v.label == "error" for v in verdicts):
        return ExitCode.INTERNAL
    return ExitCode.BLOCKED if decision == "block" else ExitCode.PASS
