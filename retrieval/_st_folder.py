"""A sentence-transformers folder read without sentence-transformers: tokenizer, encoder, pooling.

Importing sentence-transformers costs about 3 s on a 2-core machine (it pulls in scikit-learn
and transformers' training stack), more than both models of a check take to load without it.
The folders we embed with are a Transformer, a Pooling module and perhaps Normalize
(``modules.json``); ``open_encoder`` runs such a folder when its Transformer is a plain BERT
(on torch alone, ``_bert``), and the embedder hands any other folder (another architecture, a
Dense layer, another pooling) to sentence-transformers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._bert import Bert, read_bert

__all__ = ["Layout", "TransformerEncoder", "open_encoder", "read_layout"]

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
    """Pooled, unnormalised sentence vectors of a plain BERT read with ``layout``'s pooling,
    on torch alone (``_bert``), as sentence-transformers computes them (within float
    rounding)."""

    def __init__(self, layout: Layout, bert: Bert) -> None:
        self.layout = layout
        self._bert = bert
        self.dim = bert.hidden_size

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        import torch

        texts = [t.strip() for t in texts]
        if self.layout.lower_case:
            texts = [t.lower() for t in texts]
        with torch.inference_mode():
            tokens = self._bert.tokenize(
                texts, None, max_length=self.layout.max_length, cut="longest_first"
            )
            # CLS pooling reads the first token alone: the last layer computes only it
            hidden = self._bert.hidden(tokens, first_only=self.layout.pooling == "cls")
        if self.layout.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = tokens.mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
        out: npt.NDArray[np.float32] = pooled.float().numpy()
        return out


def open_encoder(folder: Path) -> TransformerEncoder | None:
    """The folder's encoder when it is a plain BERT with mean or CLS pooling (``read_layout``,
    ``read_bert``); None for any other folder, which sentence-transformers runs."""
    layout = read_layout(folder)
    bert = read_bert(layout.folder) if layout is not None else None
    return TransformerEncoder(layout, bert) if layout is not None and bert is not None else None
