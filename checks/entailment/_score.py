"""How strongly the evidence entails or contradicts each claim: the best of its windows.

One model call for all claims of a check (pairs batched by length), so a text of many
claims costs one pass; each claim keeps the window that decided it, for the verdict to cite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..evidence import Candidate
from ._base import LABELS, EntailmentModel
from ._windows import Window, windows

__all__ = ["Entailment", "entailment"]

_ENT, _CON = LABELS.index("entailment"), LABELS.index("contradiction")


@dataclass(frozen=True)
class Entailment:
    entail: float = 0.0  # the highest P(entailment) of any window
    contradict: float = 0.0  # the highest P(contradiction) of any window
    entailing: Window | None = None  # the window with that P(entailment)
    contradicting: Window | None = None  # the window with that P(contradiction)


def entailment(
    model: EntailmentModel,
    claims: Sequence[str],
    cands: Sequence[Sequence[Candidate]],
    *,
    best: int = 4,
    timeout: float | None = None,
) -> list[Entailment]:
    """For each claim (with its candidates, best cosine first), the best of its windows.
    A claim without candidates has nothing that entails it: ``Entailment()``. Past
    ``timeout`` seconds (None: no limit) the model stops between batches: ``CheckTimeout``."""
    per_claim = [windows(c, best=best) for c in cands]
    pairs = [(w.text, claim) for claim, ws in zip(claims, per_claim, strict=True) for w in ws]
    probs = model.predict(pairs, timeout=timeout)
    out, at = [], 0
    for ws in per_claim:
        if not ws:
            out.append(Entailment())
            continue
        rows = probs[at : at + len(ws)]
        at += len(ws)
        e, c = int(rows[:, _ENT].argmax()), int(rows[:, _CON].argmax())
        out.append(Entailment(float(rows[e, _ENT]), float(rows[c, _CON]), ws[e], ws[c]))
    return out
