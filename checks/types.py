"""The result types every layer above ``retrieval`` speaks: claims, evidence, verdicts.

``Claim`` is a checkable statement cut from a text (with its span there), ``Evidence`` a
pointer into the corpus, ``Verdict`` what the cascade decided about one claim, ``Usage`` the
tokens a model spent. What a command answers as a whole, gate findings and diffs included,
is a report's document: ``reports.Outcome``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "BLOCKING_DEFAULT",
    "LABELS",
    "Claim",
    "Decision",
    "Evidence",
    "Label",
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
