"""The number format a model computes in: fp32, or bf16 where the CPU has it.

A transformer's time goes to its matrix products. On a CPU with native bf16 (AVX-512 BF16 or
AMX) those run about 1.6x faster under ``torch.autocast`` (layer norms and softmax stay fp32):
the embedder's cosines move by about 0.002, the bundled entailment model's probabilities by
at most about 0.02 (both measured in docs/entailment.md). Without native bf16 the products are
emulated and slower than fp32, so ``auto`` keeps fp32 there. ``fp32`` gives the same numbers on
every machine, to float rounding. Both models take their setting from the config
(``embedder_precision``, ``entailment_precision``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["PRECISIONS", "compute_in", "native_bf16", "resolve_precision"]

PRECISIONS = ("auto", "fp32", "bf16")


def native_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices natively (AVX-512 BF16 or AMX tiles)."""
    import torch

    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # a torch without these probes: assume not
        return False


def resolve_precision(precision: str) -> str:
    """``fp32`` or ``bf16`` for a setting of ``PRECISIONS`` (``auto``: bf16 where native)."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    if precision == "auto":
        return "bf16" if native_bf16() else "fp32"
    return precision


@contextlib.contextmanager
def compute_in(precision: str) -> Iterator[None]:
    """Run the enclosed CPU forward pass in ``precision``: ``bf16`` under autocast, anything
    else (``fp32``) as it is."""
    if precision != "bf16":
        yield
        return
    import torch

    with torch.autocast("cpu", dtype=torch.bfloat16):
        yield
