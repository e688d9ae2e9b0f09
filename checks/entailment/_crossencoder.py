"""A Hugging Face cross-encoder (``[CLS] premise [SEP] hypothesis [SEP]`` -> labels) on torch.

The bundled one is our MiniLM fine-tune (``checks/entailment/model``, model card beside it),
run as a plain BERT on torch alone (``retrieval.read_bert``); any sequence-classification
folder whose ``id2label`` names ``entailment`` and ``neutral`` and/or ``contradiction`` (or
``not_entailment``) works too, another architecture on transformers. Loaded lazily, offline,
once; run in fp32, or in bf16 where the CPU has it (``retrieval.resolve_precision``).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from retrieval import (
    PRECISIONS,
    Bert,
    compute_in,
    offline,
    quiet_transformers,
    read_bert,
    resolve_precision,
)

from ._base import LABELS, EntailmentError, EntailmentModel, Probabilities

if TYPE_CHECKING:
    import torch

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
    """A plain BERT folder (the bundled one) runs on torch alone (``retrieval.read_bert``: no
    transformers import); any other architecture on transformers'
    ``AutoModelForSequenceClassification``. ``precision`` is one of ``PRECISIONS``; after
    ``load``, ``computes`` is what it resolved to (``fp32`` or ``bf16``)."""

    def __init__(
        self,
        path: Path,
        *,
        name: str | None = None,
        threads: int | None = None,
        precision: str = "auto",
    ):
        self.path = path
        self.name = name or f"path:{path}"
        self.threads = threads
        if precision not in PRECISIONS:
            raise EntailmentError(
                f"entailment model {self.name!r}: unknown precision {precision!r}; "
                f"use one of {', '.join(PRECISIONS)}"
            )
        self.precision = precision
        self.computes = ""  # set by load()
        self._run: _Runner | None = None
        self._columns: list[int] = []  # our label k <- the model's output column(s)

    def load(self) -> None:
        if self._run is not None:
            return
        if not (self.path / "config.json").is_file():
            raise EntailmentError(
                f"entailment model {self.name!r}: no config.json in {self.path}; "
                "reinstall verify or pass a model folder with --entailment DIR"
            )
        offline()
        import torch

        if self.threads:
            torch.set_num_threads(self.threads)
        bert = read_bert(self.path)
        run = _BertRunner(bert) if bert is not None and bert.classifies else _AutoRunner(self.path)
        self._columns = _columns(run.id2label, self.name)
        self.computes = resolve_precision(self.precision)
        self._run = run

    def predict_batch(self, pairs: Sequence[tuple[str, str]]) -> Probabilities:
        """A hypothesis longer than half the model's window cannot be read whole beside any
        premise: it gets P(neutral) = 1 (nothing read entails it), never a verdict on a
        part of it."""
        import torch

        self.load()
        run = self._run
        if run is None:  # load() sets it or raises
            raise EntailmentError(f"entailment model {self.name!r} is not loaded")
        out = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        lengths = run.lengths([h for _, h in pairs])
        readable = [i for i, n in enumerate(lengths) if n <= MAX_TOKENS // 2]
        unreadable = [i for i, n in enumerate(lengths) if n > MAX_TOKENS // 2]
        out[unreadable, LABELS.index("neutral")] = 1.0
        if not readable:
            return out
        with torch.inference_mode(), compute_in(self.computes):
            logits = run.logits([pairs[i][0] for i in readable], [pairs[i][1] for i in readable])
            probs = torch.softmax(logits.float(), dim=-1).numpy()
        for column, label in enumerate(self._columns):
            out[readable, label] += probs[:, column]
        return out


class _Runner(Protocol):
    id2label: dict[int, str]

    def lengths(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text, without special tokens."""

    def logits(self, premises: Sequence[str], hypotheses: Sequence[str]) -> torch.Tensor:
        """The model's logits for the pairs, premises cut to fit ``MAX_TOKENS``."""


class _BertRunner:
    def __init__(self, bert: Bert) -> None:
        self.bert = bert
        self.id2label = {int(k): str(v) for k, v in bert.config.get("id2label", {}).items()}

    def lengths(self, texts: Sequence[str]) -> list[int]:
        return self.bert.lengths(texts)

    def logits(self, premises: Sequence[str], hypotheses: Sequence[str]) -> torch.Tensor:
        tokens = self.bert.tokenize(premises, hypotheses, max_length=MAX_TOKENS, cut="only_first")
        return self.bert.logits(self.bert.hidden(tokens, first_only=True))


class _AutoRunner:
    def __init__(self, path: Path) -> None:
        import torch
        import transformers

        quiet_transformers()
        self._tokenizer: Any = transformers.AutoTokenizer.from_pretrained(
            path, local_files_only=True
        )
        self._model: Any = transformers.AutoModelForSequenceClassification.from_pretrained(
            path, local_files_only=True, dtype=torch.float32
        )
        self._model.eval()
        self.id2label = {int(k): str(v) for k, v in self._model.config.id2label.items()}

    def lengths(self, texts: Sequence[str]) -> list[int]:
        found = self._tokenizer(list(texts), add_special_tokens=False, return_length=True)
        return [int(n) for n in found["length"]]

    def logits(self, premises: Sequence[str], hypotheses: Sequence[str]) -> torch.Tensor:
        batch = self._tokenizer(
            list(premises),
            list(hypotheses),
            truncation="only_first",
            max_length=MAX_TOKENS,
            padding=True,
            return_tensors="pt",
        )
        logits: torch.Tensor = self._model(**batch).logits
        return logits


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
