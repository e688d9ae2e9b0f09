"""How a text that is not grounded fails: ``GroundingError`` and the message pytest shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reports import Outcome

    from ..policy import BlockPolicy

__all__ = ["GroundingError", "failure_message"]


class GroundingError(AssertionError):
    """A text ``assert_grounded`` did not let through. ``outcome`` holds every verdict.

    An ``AssertionError``, so that pytest reports a failed test (never an error in the
    harness) and ``pytest.raises(AssertionError)`` catches it like any failed ``assert``.
    """

    __module__ = "verify.testing"  # as pytest names it in a failure: the public path

    def __init__(self, message: str, outcome: Outcome) -> None:
        super().__init__(message)
        self.outcome = outcome


def failure_message(outcome: Outcome, gate: BlockPolicy, *, what: str = "assert_grounded") -> str:
    """One line naming the claims that block and the policy, then every claim as the text
    report shows it: verdict, score, reason, and each evidence quote under its
    ``path:line`` (hidden characters made visible, so a hostile answer cannot rewrite the
    terminal)."""
    from reports import render

    blocking = [v for v in outcome.verdicts if v.label in gate.block]
    named = ", ".join(f"{v.claim.id} {v.label}" for v in blocking)
    policy = f"blocking verdicts: {', '.join(sorted(gate.block))}"
    if gate.max_blocking:
        policy += f"; {gate.max_blocking} tolerated"
    head = (
        f"{what}: {len(blocking)} of {len(outcome.verdicts)} claim(s) blocked ({named}); {policy}"
    )
    if any(v.label == "error" for v in outcome.verdicts):
        head += (
            "\nA verdict could not be computed (a model failure or a timeout, reason below): "
            "verify fails closed, so the text does not pass."
        )
    return render(outcome, "text", title=head).rstrip("\n")
