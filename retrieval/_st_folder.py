"""A sentence-transformers folder read with transformers alone: tokenizer, encoder, pooling.

Importing sentence-transformers costs about 3 s on a 2-core machine (it pulls in scikit-learn
and its training stack); without it a check loads both its models in 3.1 s instead of 5.0 s
(`verify bench`'s load time, SciFact dev index). The folders we
embed with are a Transformer, a Pooling module and perhaps Normalize (``modules.json``), which
transformers runs directly; ``read_layout`` says when a folder is that simple, and the
embedder hands any other folder (a Dense layer, another pooling) to sentence-transformers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Layout", "TransformerEncoder", "read_layout"]

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
_MODES = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}


@dataclass(frozen=True)
class Layout:
    folder: Path  # the Transformer module's folder: config.json, weights, tokenizer
    pooling: str  # "mean" or "cls"
    max_length: int  # word pieces per text; longer texts are cut
    lower_case: bool


def read_layout(folder: Path) -> Layout | None:
    """The folder's modules when they are a Transformer then mean or CLS pooling (then perhaps
    Normalize); None for anything else, or a file that cannot be read as expected."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        kinds = [str(m["type"]) for m in modules]
        if kinds not in ([_TRANSFORMER, _POOLING], [_TRANSFORMER, _POOLING, _NORMALIZE]):
            return None
        encoder = folder / str(modules[0]["path"])
        pooling = json.loads(
            (folder / str(modules[1]["path"]) / "config.json").read_text(encoding="utf-8")
        )
        on = [mode for key, mode in _MODES.items() if pooling.get(key)]
        others = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
        if len(on) != 1 or len(others) != 1:
            return None
        config = json.loads((encoder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        if set(config) - {"max_seq_length", "do_lower_case"}:  # tokenizer or model arguments
            return None
        return Layout(
            encoder, on[0], int(config["max_seq_length"]), bool(config.get("do_lower_case"))
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


class TransformerEncoder:
    """Pooled, unnormalised sentence vectors of ``layout``'s model, as sentence-transformers
    computes them (within float rounding)."""

    def __init__(self, layout: Layout) -> None:
        import torch
        import transformers

        self.layout = layout
        self._tokenizer: Any = transformers.AutoTokenizer.from_pretrained(
            layout.folder, local_files_only=True
        )
        self._model: Any = transformers.AutoModel.from_pretrained(
            layout.folder, local_files_only=True, dtype=torch.float32
        )
        self._model.eval()
        self.dim = int(self._model.config.hidden_size)

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        import torch

        texts = [t.strip() for t in texts]
        if self.layout.lower_case:
            texts = [t.lower() for t in texts]
        batch = self._tokenizer(
            texts,
            padding=True,
            truncation="longest_first",
            max_length=self.layout.max_length,
            return_tensors="pt",
        )
        with torch.inference_mode():
            hidden = self._model(**batch).last_hidden_state
        if self.layout.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        out: npt.NDArray[np.float32] = pooled.float().numpy()
        return out
