"""Stage 2, semantic: sentence-level signals of support, as one flat mapping of floats.

A pure function of the claim, its candidates (best cosine first) and the alignment stage's
result; the learned scorer reads exactly these names (``SIGNALS``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set

from ..alignment import Alignment
from ..entailment import Entailment
from ..evidence import Candidate
from ..language import content_stems
from ._alignment_stage import AlignmentResult

__all__ = ["SIGNALS", "signals"]

SIGNALS = (
    "cos1",
    "cos3",
    "cover1",
    "cover3",
    "rare_cover",
    "subject",
    "value_cover",
    "has_values",
    "conflict",
    "agree",
    "negation",
    "quantifier",
    "conflict_subject",
    "agree_subject",
    "unmatched_values",
    "negation_any",
    "unstated_numbers",
    "entail",
    "contradict",
)
_SPECIFIC = re.compile(r"[\d_./:@-]|^[A-Z]")


def _specific_tokens(text: str) -> set[str]:
    """Tokens that name something (numbers, identifiers, proper nouns), case-folded."""
    out = set()
    for i, tok in enumerate(re.findall(r"[\w./:@-]+", text)):
        tok = tok.strip(".:-")
        if len(tok) > 1 and (_SPECIFIC.search(tok) if i else re.search(r"[\d_./:@]", tok)):
            out.add(tok.lower())
    return out


def _recall(need: Set[str], have: Set[str]) -> float:
    return len(need & have) / len(need) if need else 1.0


def signals(
    claim_text: str,
    cands: Sequence[Candidate],
    aligned: AlignmentResult,
    entailed: Entailment | None = None,
) -> dict[str, float]:
    """``entailed``: the entailment stage's reading of the claim [default: nothing entails
    or contradicts it]."""
    entailed = entailed or Entailment()
    claim_stems = content_stems(claim_text)
    top = list(cands[:3])
    cos = [c.cosine for c in cands]
    union3 = set().union(*(content_stems(c.text) for c in top)) if top else set()
    specific = _specific_tokens(claim_text)
    have_specific = set().union(
        *(
            _specific_tokens(c.text) | {t.lower() for t in re.findall(r"[\w./:@-]+", c.text)}
            for c in cands[:6]
        )
    )
    return {
        "cos1": cos[0] if cos else 0.0,
        "cos3": sum(cos[:3]) / 3 if cos else 0.0,
        "cover1": _recall(claim_stems, content_stems(top[0].text)) if top else 0.0,
        "cover3": _recall(claim_stems, union3),
        "rare_cover": _recall(specific, have_specific),
        "subject": aligned.best_subject,
        "value_cover": aligned.value_coverage,
        "has_values": float(aligned.values_in_claim > 0),
        "conflict": float(aligned.conflict is not None),
        "agree": float(aligned.agree is not None),
        "negation": float(aligned.negation_mismatch),
        "quantifier": float(aligned.quantifier_mismatch),
        "conflict_subject": max(
            (a.subject_overlap for _, a in aligned.examined if a.verdict_hint == "conflict"),
            default=0.0,
        ),
        "agree_subject": max(
            (a.subject_overlap for _, a in aligned.examined if a.verdict_hint == "agree"),
            default=0.0,
        ),
        "unmatched_values": _unmatched(aligned),
        "negation_any": float(any(a.negation_mismatch for _, a in _by_subject(aligned)[:3])),
        "unstated_numbers": float(bool(aligned.unstated_numbers)),
        "entail": entailed.entail,
        "contradict": entailed.contradict,
    }


def _by_subject(aligned: AlignmentResult) -> list[tuple[Candidate, Alignment]]:
    return sorted(aligned.examined, key=lambda ca: -ca[1].subject_overlap)


def _unmatched(aligned: AlignmentResult) -> float:
    """Share of the claim's values the sentence most about its subject does not state."""
    best = _by_subject(aligned)[:1]
    if not best or not aligned.values_in_claim:
        return 0.0
    return len(best[0][1].unmatched_claim_values) / aligned.values_in_claim
