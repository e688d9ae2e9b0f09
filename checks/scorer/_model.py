"""A small multinomial logistic regression over the cascade's signals; weights are JSON.

The weights file is produced by ``benchmarks/train_scorer.py`` (reproducible: fixed data,
fixed seed) and committed beside this module. It also lists the sha256 of every claim text
it was trained on, so ``verify bench`` can keep those out of its measurements.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt

from .._errors import CheckError

__all__ = ["CLASSES", "Scorer", "claim_key", "default_scorer"]

CLASSES = ("supported", "contradicted", "unverifiable")


def claim_key(text: str) -> str:
    """How a training claim is remembered: sha256 of its whitespace-normalised text."""
    return hashlib.sha256(" ".join(text.split()).lower().encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Scorer:
    features: tuple[str, ...]
    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    coef: npt.NDArray[np.float64]  # (classes, features)
    intercept: npt.NDArray[np.float64]
    trained_on: frozenset[str] = frozenset()
    meta: Mapping[str, object] | None = None

    def predict(self, signals: Mapping[str, float]) -> dict[str, float]:
        """Class probabilities for one claim's signals (a pure function of its inputs)."""
        return self.predict_many([signals])[0]

    def predict_many(self, rows: Sequence[Mapping[str, float]]) -> list[dict[str, float]]:
        x = np.array([[float(r[f]) for f in self.features] for r in rows], dtype=np.float64)
        with np.errstate(all="ignore"):  # overflow or NaN is caught just below, as an error
            z = ((x - self.mean) / self.scale) @ self.coef.T + self.intercept
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
        if not np.isfinite(p).all():
            # fail closed: a NaN would otherwise compare false everywhere and pass as a label
            bad = sorted({f for r in rows for f in self.features if not np.isfinite(r[f])})
            raise CheckError(
                "scorer gave non-finite probabilities ("
                + (
                    f"non-finite signal(s) {', '.join(bad)}"
                    if bad
                    else "its weights overflow or hold NaN"
                )
                + "); regenerate the weights with benchmarks/train_scorer.py"
            )
        return [dict(zip(CLASSES, map(float, row), strict=True)) for row in p]

    def to_json(self) -> dict[str, object]:
        return {
            "classes": list(CLASSES),
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
            "trained_on": sorted(self.trained_on),
            "meta": dict(self.meta or {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Scorer:
        try:
            if list(data["classes"]) != list(CLASSES):  # type: ignore[call-overload]
                raise ValueError(f"classes {data['classes']} != {list(CLASSES)}")
            return cls(
                tuple(data["features"]),  # type: ignore[arg-type]
                np.array(data["mean"], dtype=np.float64),
                np.array(data["scale"], dtype=np.float64),
                np.array(data["coef"], dtype=np.float64),
                np.array(data["intercept"], dtype=np.float64),
                frozenset(cast(Iterable[str], data.get("trained_on", ()))),
                dict(cast(Mapping[str, object], data.get("meta", {}))),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckError(
                f"scorer weights are malformed ({exc}); regenerate them with "
                "benchmarks/train_scorer.py"
            ) from exc

    @classmethod
    def load(cls, path: Path) -> Scorer:
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise CheckError(f"cannot read scorer weights {path}: {exc}") from exc


@lru_cache(maxsize=1)
def default_scorer() -> Scorer:
    """The committed weights (``checks/scorer/weights.json``)."""
    ref = resources.files("checks.scorer") / "weights.json"
    try:
        return Scorer.from_json(json.loads(ref.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckError(
            f"cannot read the bundled scorer weights ({exc}); reinstall verify "
            "or run benchmarks/train_scorer.py"
        ) from exc
