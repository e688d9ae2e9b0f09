"""The verdict cascade: alignment, sentence-level signals, learned scorer, optional judge."""

from ._alignment_stage import AlignmentResult, run_alignment
from ._cascade import Cascade, CascadeResult, Policy
from ._signals import SIGNALS, signals

__all__ = [
    "SIGNALS",
    "AlignmentResult",
    "Cascade",
    "CascadeResult",
    "Policy",
    "run_alignment",
    "signals",
]
