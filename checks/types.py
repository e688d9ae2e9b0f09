"""The result types every layer above ``retrieval`` speaks: claims, evidence, verdicts.

``Claim`` is a checkable statement cut from a text (with its span there), ``Evidence`` a
pointer into the corpus, ``Verdict`` what the cascade decided about one claim, and
``Outcome`` the whole answer of ``verify check``/``run``/``gate`` as docs/architecture.md fixes it.
``DiffHunk``/``DiffLine`` carry the gate's diff to the reviewer's HTML page; they are no part
of the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "BLOCKING_DEFAULT",
    "LABELS",
    "Claim",
    "Decision",
    "DiffHunk",
    "DiffLine",
    "Evidence",
    "Finding",
    "Label",
    "Outcome",
    "Usage",
    "Verdict",
]

Label = Literal["supported", "contradicted", "unverifiable", "error"]
Decision = Literal["pass", "block"]
LABELS: tuple[Label, ...] = ("supported", "contradicted", "unverifiable", "error")
#: Verdicts that block by default; ``error`` always blocks (the harness fails closed).
BLOCKING_DEFAULT: frozenset[Label] = frozenset({"contradicted", "unverifiable", "error"})


@dataclass(frozen=True)
class Claim:
    """One atomic statement; ``text == source[start:end]`` of the text it came from.

    ``standalone`` is the claim made self-contained for checking (a compound's second half
    gets its subject back: "X is 30s and retries 5 times" -> "X retries 5 times"); empty
    means ``text`` already stands alone.
    """

    id: str
    text: str
    start: int
    end: int
    standalone: str = ""

    @property
    def check_text(self) -> str:
        return self.standalone or self.text


@dataclass(frozen=True)
class Evidence:
    """A quoted passage of the corpus; ``source`` is relative to the corpus root."""

    source: str
    start_line: int
    end_line: int
    quote: str
    chunk_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "quote": self.quote,
            "chunk_id": self.chunk_id,
        }


@dataclass(frozen=True)
class Verdict:
    """What the cascade decided about ``claim``; ``score`` is P(supported) in [0, 1]."""

    claim: Claim
    label: Label
    score: float
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.claim.id,
            "text": self.claim.text,
            "verdict": self.label,
            "score": round(self.score, 4),
            "evidence": [e.to_json() for e in self.evidence],
            "reason": self.reason,
        }


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
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )

    def to_json(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}


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
    extra: dict[str, Any] = field(default_factory=dict)  # command-specific keys (steps, ...)
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
