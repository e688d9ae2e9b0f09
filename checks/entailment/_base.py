"""Entailment models: one abstract method, ``predict_batch``; batching and checks on top.

A model reads (premise, hypothesis) pairs and gives, per pair, probabilities in ``LABELS``
order: does the premise entail the hypothesis, say nothing about it, or contradict it. Models
are registered by name (``register_entailment``), so tests and plugins use the path the bundled
one does; ``get_entailment`` also takes a model folder (``--entailment DIR``).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .._errors import CheckError, CheckTimeout

__all__ = [
    "DEFAULT_ENTAILMENT",
    "LABELS",
    "EntailmentError",
    "EntailmentModel",
    "Probabilities",
    "default_entailment",
    "get_entailment",
    "register_entailment",
]

LABELS = ("entailment", "neutral", "contradiction")
DEFAULT_ENTAILMENT = "bundled"
Probabilities = npt.NDArray[np.float32]  # (pairs, 3), rows in LABELS order, each sums to 1


class EntailmentError(CheckError):
    """An entailment model could not be loaded or gave unusable output."""


class EntailmentModel(ABC):
    name: str = "entailment"

    @abstractmethod
    def predict_batch(self, pairs: Sequence[tuple[str, str]]) -> Probabilities:
        """Probabilities for one batch of (premise, hypothesis) pairs, shape (len(pairs), 3)."""

    def load(self) -> None:  # noqa: B027 - optional hook, fakes need nothing
        """Load the model; called before the first batch. Idempotent."""

    def predict(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        batch_size: int = 32,
        timeout: float | None = None,
    ) -> Probabilities:
        """Probabilities for any number of pairs, in the order given (batched by length).
        Output that is not a probability per label is an ``EntailmentError``: a verdict never
        rests on a NaN. Past ``timeout`` seconds (None: no limit), counted from the call, no
        further batch starts: ``CheckTimeout``."""
        until = None if timeout is None else time.monotonic() + timeout
        out = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        if not pairs:
            return out
        try:
            self.load()
        except EntailmentError:
            raise
        except Exception as exc:  # any model that fails to load: say which, and the fix
            raise EntailmentError(
                f"could not load entailment model {self.name!r}: {type(exc).__name__}: {exc}; "
                "reinstall verify or pass a model folder with --entailment DIR"
            ) from exc
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        for start in range(0, len(order), batch_size):
            if until is not None and time.monotonic() > until:
                raise CheckTimeout(
                    f"entailment model {self.name!r} was stopped at its deadline of "
                    f"{timeout:.3g}s after {start} of {len(pairs)} pairs"
                )
            idx = order[start : start + batch_size]
            probs = np.asarray(self.predict_batch([pairs[i] for i in idx]), dtype=np.float32)
            if probs.shape != (len(idx), len(LABELS)):
                raise EntailmentError(
                    f"entailment model {self.name!r} returned shape {probs.shape} for a batch "
                    f"of {len(idx)}; expected ({len(idx)}, {len(LABELS)})"
                )
            if not np.isfinite(probs).all() or (probs < -1e-6).any():
                raise EntailmentError(
                    f"entailment model {self.name!r} gave non-finite or negative "
                    "probabilities; its weights are damaged: reinstall verify or retrain them"
                )
            out[idx] = probs
        return out


_FACTORIES: dict[str, Callable[[], EntailmentModel]] = {}


def register_entailment(name: str, factory: Callable[[], EntailmentModel]) -> None:
    """Make ``name`` usable wherever an entailment model is named (``--entailment``)."""
    _FACTORIES[name] = factory


@cache
def default_entailment(precision: str = "auto") -> EntailmentModel:
    """The bundled model (``checks/entailment/model``), one per process and precision
    (``auto``, ``fp32``, ``bf16``: ``retrieval.resolve_precision``), loaded lazily."""
    from ._crossencoder import CrossEncoder, bundled_model_dir

    return CrossEncoder(bundled_model_dir(), name=DEFAULT_ENTAILMENT, precision=precision)


def get_entailment(name: str | None = None, *, precision: str = "auto") -> EntailmentModel:
    """An entailment model by registered name, ``bundled`` (the default, shared by the
    process: ``default_entailment``), or a Hugging Face cross-encoder folder. ``precision``
    applies to the bundled model and folders; a registered model computes as it does."""
    from ._crossencoder import CrossEncoder

    name = name or DEFAULT_ENTAILMENT
    if name in _FACTORIES:
        return _FACTORIES[name]()
    if name == DEFAULT_ENTAILMENT:
        return default_entailment(precision)
    folder = Path(name)
    if folder.is_dir():
        if not (folder / "config.json").is_file():
            raise EntailmentError(
                f"entailment model folder {name!r} holds no config.json; pass a folder with "
                "config.json, model.safetensors and tokenizer.json"
            )
        return CrossEncoder(folder.resolve(), precision=precision)
    known = ", ".join(sorted({DEFAULT_ENTAILMENT, *_FACTORIES}))
    raise EntailmentError(
        f"unknown entailment model {name!r}: not a folder; use one of {known} "
        "or a folder holding config.json, model.safetensors and tokenizer.json"
    )
