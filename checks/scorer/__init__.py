"""The learned stage of the cascade: signals in, class probabilities out."""

from ._model import CLASSES, Scorer, claim_key, default_scorer

__all__ = ["CLASSES", "Scorer", "claim_key", "default_scorer"]
