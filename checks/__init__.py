"""Claim extraction, value alignment, evidence and the verdict cascade.

Subpackages: ``extraction``, ``alignment``, ``evidence``, ``cascade``, ``scorer``, ``judge``,
``llm``; result types in ``checks.types``. Imports only ``retrieval`` of ours.
"""

from ._errors import CheckError, CheckTimeout

__all__ = ["CheckError", "CheckTimeout"]
