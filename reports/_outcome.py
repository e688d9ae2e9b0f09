"""What a report renders: one command's whole answer (``Outcome``), with the gate's findings
and its change (``Finding``, ``DiffHunk``, ``DiffLine``).

``verify check``/``batch``/``run``/``gate``/``demo`` each build an ``Outcome``; every format
renders one, and its JSON is the shape README and docs/architecture.md fix. ``DiffHunk`` and
``DiffLine`` carry the gate's diff to the reviewer's HTML page; they are no part of the JSON.
The claims, evidence and verdicts inside are the core types of ``checks.types``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from checks.types import BLOCKING_DEFAULT, LABELS, Decision, Evidence, Label, Usage, Verdict

__all__ = ["JSON", "DiffHunk", "DiffLine", "Finding", "Outcome"]

#: A value JSON can carry: what a command adds to its answer besides verdicts and findings.
JSON: TypeAlias = bool | int | float | str | list["JSON"] | dict[str, "JSON"] | None


@dataclass(frozen=True)
class Finding:
    """A gate finding on a line of a change (rule ids are documented in README)."""

    rule: str
    severity: Literal["block", "warn"]
    path: str
    line: int
    message: str
    evidence: tuple[Evidence, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "evidence": [e.to_json() for e in self.evidence],
        }


@dataclass(frozen=True)
class DiffLine:
    """One line of a hunk; ``old``/``new`` are its numbers in the file before/after."""

    kind: Literal["context", "add", "remove"]
    old: int | None
    new: int | None
    text: str


@dataclass(frozen=True)
class DiffHunk:
    """A hunk of the gate's change, or the change's description (``source``), for a reviewer.

    ``header`` is the ``@@`` line, or a note in its place ("new file", "binary file").
    ``omitted`` counts the hunk's lines left out so that a page stays readable.
    """

    path: str
    header: str
    lines: tuple[DiffLine, ...] = ()
    omitted: int = 0
    source: Literal["diff", "description"] = "diff"


@dataclass(frozen=True)
class Outcome:
    """The answer of one ``check``/``run``/``gate``: verdicts, findings, the decision."""

    verdicts: tuple[Verdict, ...]
    decision: Decision
    findings: tuple[Finding, ...] = ()
    usage: Usage = field(default_factory=Usage)
    text: str = ""  # the checked text, so renderers can highlight claims in place
    #: the command's own keys of its JSON answer, after the common ones: ``run`` its
    #: ``steps``, ``gate`` its ``changed_lines``, ... (README, "JSON output")
    extra: Mapping[str, JSON] = field(default_factory=dict)
    hunks: tuple[DiffHunk, ...] = ()  # gate: the change itself, for HTML only (not in JSON)
    #: the verdicts that blocked under the policy that decided (``--block``): reports mark
    #: those, not the default set
    blocking: frozenset[Label] = BLOCKING_DEFAULT

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(LABELS, 0)
        for v in self.verdicts:
            counts[v.label] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "decision": self.decision,
            "claims": [v.to_json() for v in self.verdicts],
            "summary": self.summary(),
            "usage": self.usage.to_json(),
        }
        if self.findings:
            out["findings"] = [f.to_json() for f in self.findings]
        out.update(self.extra)
        return out
