"""A Hugging Face cross-encoder (``[CLS] premise [SEP] hypothesis [SEP]`` -> labels) on torch.

The bundled one is our MiniLM fine-tune (``checks/entailment/model``, model card beside it);
any sequence-classification folder whose ``id2label`` names ``entailment`` and ``neutral``
and/or ``contradiction`` (or ``not_entailment``) works too. Loaded lazily, offline, once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ._base import LABELS, EntailmentError, EntailmentModel, Probabilities

__all__ = ["MAX_TOKENS", "CrossEncoder", "bundled_model_dir"]

MAX_TOKENS = 256  # per pair; longer premises are cut from their end, never the hypothesis
# label names other models use for our three columns
_ALIASES = {
    "entailment": "entailment",
    "entails": "entailment",
    "neutral": "neutral",
    "not_entailment": "neutral",
    "non-entailment": "neutral",
    "contradiction": "contradiction",
    "contradicts": "contradiction",
}


def bundled_model_dir() -> Path:
    """The folder of the bundled weights, inside the installed ``checks`` package."""
    return Path(str(resources.files("checks.entailment") / "model"))


class CrossEncoder(EntailmentModel):
    def __init__(self, path: Path, *, name: str | None = None, threads: int | None = None):
        self.path = path
        self.name = name or f"path:{path}"
        self.threads = threads
        self._model: Any = None
        self._tokenizer: Any = None
        self._columns: list[int] = []  # our label k <- the model's output column(s)

    def load(self) -> None:
        if self._model is not None:
            return
        if not (self.path / "config.json").is_file():
            raise EntailmentError(
                f"entailment model {self.name!r}: no config.json in {self.path}; "
                "reinstall verify or pass a model folder with --entailment DIR"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import torch
        import transformers

        transformers.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        transformers.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        if self.threads:
            torch.set_num_threads(self.threads)
        tokenizer = transformers.AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            self.path, local_files_only=True, dtype=torch.float32
        )
        model.eval()
        self._columns = _columns(model.config.id2label, self.name)
        self._tokenizer, self._model = tokenizer, model

    def predict_batch(self, pairs: Sequence[tuple[str, str]]) -> Probabilities:
        """A hypothesis longer than half the model's window cannot be read whole beside any
        premise: it gets P(neutral) = 1 (nothing read entails it), never a verdict on a
        part of it."""
        import torch

        self.load()
        out = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        lengths = self._tokenizer(
            [h for _, h in pairs], add_special_tokens=False, return_length=True
        )["length"]
        readable = [i for i, n in enumerate(lengths) if n <= MAX_TOKENS // 2]
        unreadable = [i for i, n in enumerate(lengths) if n > MAX_TOKENS // 2]
        out[unreadable, LABELS.index("neutral")] = 1.0
        if not readable:
            return out
        batch = self._tokenizer(
            [pairs[i][0] for i in readable],
            [pairs[i][1] for i in readable],
            truncation="only_first",
            max_length=MAX_TOKENS,
            padding=True,
            return_tensors="pt",
        )
        with torch.inference_mode():
            logits = self._model(**batch).logits.float()
            probs = torch.softmax(logits, dim=-1).numpy()
        for column, label in enumerate(self._columns):
            out[readable, label] += probs[:, column]
        return out


def _columns(id2label: dict[int, str], name: str) -> list[int]:
    """For each output column of the model, the index in ``LABELS`` it adds to."""
    labels = [str(id2label[i]).lower() for i in sorted(id2label)]
    try:
        columns = [LABELS.index(_ALIASES[label]) for label in labels]
    except KeyError:
        columns = []
    if 0 not in columns or len(columns) < 2:
        raise EntailmentError(
            f"entailment model {name!r} has labels {labels}; it needs 'entailment' and "
            "'neutral', 'contradiction' or 'not_entailment' in config.json's id2label"
        )
    return columns
