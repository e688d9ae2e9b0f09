"""Every check of a test session in one report (``--verify-report FILE``).

The report is an ``Outcome`` like any other, rendered by ``reports``: its claims are the
claims of every check, each named ``<test id>::<claim id>`` (``<test id>#2`` for a test's
second check); its text is each checked text under a line naming its test, with
the claims' spans moved along so that the HTML page highlights them in place; its decision
is ``block`` when any check blocked; ``checks`` lists each check's test, decision and claims.
The format is the file's suffix.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reports import JSON, Outcome

__all__ = ["REPORT_FORMATS", "Checked", "report_format", "session_outcome", "write_report"]

#: File suffix -> ``reports`` format.
REPORT_FORMATS: dict[str, str] = {
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".sarif": "sarif",
    ".xml": "junit",
    ".md": "md",
    ".txt": "text",
}


@dataclass(frozen=True)
class Checked:
    """One check of the session: where it ran (a test id, or ``check <n>`` outside a test)
    and its outcome."""

    label: str
    outcome: Outcome


def report_format(path: Path) -> str:
    """The format ``path``'s suffix names; a ``ValueError`` naming the choices otherwise."""
    fmt = REPORT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(REPORT_FORMATS)
        raise ValueError(
            f"--verify-report {str(path)!r}: unknown report type {path.suffix or '(none)'!r}; "
            f"end the file name in one of {known}"
        )
    return fmt


def session_outcome(checked: list[Checked]) -> Outcome:
    """The checks of a session as one ``Outcome``."""
    from checks.types import Usage
    from reports import Outcome

    verdicts = []
    parts: list[str] = []
    checks: list[JSON] = []
    usage = Usage()
    offset = 0
    for check in checked:
        head = f"## {check.label}\n"
        offset += len(head)
        ids: list[JSON] = []
        for v in check.outcome.verdicts:
            claim = replace(
                v.claim,
                id=f"{check.label}::{v.claim.id}",
                start=v.claim.start + offset,
                end=v.claim.end + offset,
            )
            verdicts.append(replace(v, claim=claim))
            ids.append(claim.id)
        body = check.outcome.text + "\n\n"
        parts += [head, body]
        offset += len(body)
        usage = usage + check.outcome.usage
        checks.append({"test": check.label, "decision": check.outcome.decision, "claims": ids})
    blocked = any(c.outcome.decision == "block" for c in checked)
    return Outcome(
        tuple(verdicts),
        "block" if blocked else "pass",
        usage=usage,
        text="".join(parts),
        extra={"checks": checks},
    )


def write_report(path: Path, checked: list[Checked]) -> None:
    """Render the session's checks in the format of ``path``'s suffix and write them
    atomically."""
    from reports import render, write_atomic

    text = render(session_outcome(checked), report_format(path), title="verify: pytest session")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
