"""Plain rows for a batch write (``Ledger.add``): what the importers produce.

Each call and action carries a ``content_key`` (a sha256 of its normalised source record);
the ledger stores it under a UNIQUE constraint, so writing the same batch twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ActionRow", "CallRow", "RunRow"]


@dataclass(frozen=True)
class RunRow:
    run_id: str
    task: str = ""
    agent: str = ""
    user: str = ""
    team: str = ""
    source: str = "import"
    started_at: float = 0.0
    decision: str = ""


@dataclass(frozen=True)
class CallRow:
    run_id: str
    content_key: str
    purpose: str = "imported"
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    verdict: str = ""
    output: str = ""
    step: int | None = None
    created_at: float = 0.0


@dataclass(frozen=True)
class ActionRow:
    run_id: str
    content_key: str
    step: int
    kind: str
    decision: str
    executed: bool
    claims_supported: int = 0
    claims_total: int = 0
    lines: int = 0
    summary: str = ""
    created_at: float = 0.0
