"""Entailment: does the evidence say what a claim says, say nothing of it, or deny it?

    from checks.entailment import entailment, get_entailment
    scores = entailment(get_entailment(), ["The gateway listens on 8443."], [candidates])
    print(scores[0].entail, scores[0].entailing.anchor.source)

The bundled model is a MiniLM cross-encoder trained for verify (``model/MODEL_CARD.md``,
recipe in ``benchmarks/train_entailment.py``); ``get_entailment(DIR)`` loads another one.
"""

from retrieval import PRECISIONS, native_bf16, resolve_precision

from ._base import (
    DEFAULT_ENTAILMENT,
    LABELS,
    EntailmentError,
    EntailmentModel,
    Probabilities,
    default_entailment,
    get_entailment,
    register_entailment,
)
from ._crossencoder import MAX_TOKENS, CrossEncoder, bundled_model_dir
from ._score import Entailment, entailment
from ._windows import MAX_WINDOW_CHARS, Window, windows

__all__ = [
    "DEFAULT_ENTAILMENT",
    "LABELS",
    "MAX_TOKENS",
    "MAX_WINDOW_CHARS",
    "PRECISIONS",
    "CrossEncoder",
    "Entailment",
    "EntailmentError",
    "EntailmentModel",
    "Probabilities",
    "Window",
    "bundled_model_dir",
    "default_entailment",
    "entailment",
    "get_entailment",
    "native_bf16",
    "register_entailment",
    "resolve_precision",
    "windows",
]
