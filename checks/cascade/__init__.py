"""The verdict cascade: retrieval and entailment for all claims, then per claim the stages
(``STAGES``): alignment, signals, scorer, verdict, an optional judge, deterministic guards."""

from ._alignment_stage import AlignmentResult, run_alignment
from ._cascade import Cascade, CascadeResult, Policy
from ._signals import SIGNALS, signals
from ._stages import OPTIONAL, STAGES, ClaimState, Stage, StageContext, check_stages

__all__ = [
    "OPTIONAL",
    "SIGNALS",
    "STAGES",
    "AlignmentResult",
    "Cascade",
    "CascadeResult",
    "ClaimState",
    "Policy",
    "Stage",
    "StageContext",
    "check_stages",
    "run_alignment",
    "signals",
]
