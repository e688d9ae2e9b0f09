"""A BERT encoder in plain torch, read from a Hugging Face model folder.

Both models of a check are BERTs (the MiniLM embedder and the entailment cross-encoder).
transformers needs about 2.5 s on a 2-core machine to import its modeling stack and its
tokenizer classes before either can run; this reads ``config.json``, ``model.safetensors`` and
``tokenizer.json`` with torch, safetensors and tokenizers alone, so a check's models load in
about a second. ``read_bert`` returns None for a folder that is not a plain BERT (another
architecture, position embeddings or activation), which its callers hand to transformers.
The forward pass is transformers' (``BertModel`` with scaled-dot-product attention, and
``BertForSequenceClassification``'s pooler and classifier): tests hold the two together.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

__all__ = ["Bert", "Tokens", "read_bert"]

_PREFIX = "bert."  # weights of a sequence-classification model sit under it


@dataclass(frozen=True)
class Tokens:
    """A padded batch: word-piece ids, attention mask and segment ids, each (batch, length)."""

    ids: torch.Tensor
    mask: torch.Tensor
    types: torch.Tensor


class Bert:
    def __init__(
        self, config: dict[str, Any], weights: dict[str, torch.Tensor], tokenizer: Any
    ) -> None:
        self.config = config
        self.hidden_size = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self._w = weights
        self._tokenizer = tokenizer
        # truncation and padding are settings of the one tokenizer: set and used under a lock
        self._lock = threading.Lock()

    @property
    def classifies(self) -> bool:
        """Whether the folder holds a sequence-classification head (pooler and classifier)."""
        return "classifier.weight" in self._w and "pooler.dense.weight" in self._w

    def lengths(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text, without special tokens and uncut."""
        tok = self._tokenizer
        with self._lock:
            tok.no_truncation()
            tok.no_padding()
            found = tok.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in found]

    def tokenize(
        self, first: Sequence[str], second: Sequence[str] | None, *, max_length: int, cut: str
    ) -> Tokens:
        """``first`` (with ``second`` as pairs when given) as one padded batch, each cut to
        ``max_length`` word pieces by the strategy ``cut`` ("longest_first", "only_first")."""
        import torch

        tok = self._tokenizer
        inputs: list[Any] = list(first) if second is None else list(zip(first, second, strict=True))
        with self._lock:
            tok.enable_truncation(max_length, strategy=cut)
            tok.enable_padding(pad_id=self._pad_id())
            enc = tok.encode_batch(inputs)
        return Tokens(
            torch.tensor([e.ids for e in enc], dtype=torch.long),
            torch.tensor([e.attention_mask for e in enc], dtype=torch.long),
            torch.tensor([e.type_ids for e in enc], dtype=torch.long),
        )

    def hidden(self, tokens: Tokens, *, first_only: bool = False) -> torch.Tensor:
        """The last layer's hidden states, (batch, length, hidden_size). With ``first_only``,
        only the first token's, (batch, 1, hidden_size): all a classifier reads. The last
        layer then attends from that token alone and runs its feed-forward for it alone, a
        sixth less work on a 6-layer model, with the same values."""
        import torch

        w = self._w
        length = tokens.ids.shape[1]
        x = (
            w["embeddings.word_embeddings.weight"][tokens.ids]
            + w["embeddings.position_embeddings.weight"][torch.arange(length)]
            + w["embeddings.token_type_embeddings.weight"][tokens.types]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        blocked = tokens.mask[:, None, None, :] == 0
        bias = torch.zeros(blocked.shape, dtype=x.dtype).masked_fill(
            blocked, torch.finfo(x.dtype).min
        )
        for i in range(self.layers):
            last = first_only and i == self.layers - 1
            x = self._layer(f"encoder.layer.{i}.", x, bias, x[:, :1] if last else x)
        return x

    def _layer(
        self, p: str, x: torch.Tensor, bias: torch.Tensor, rows: torch.Tensor
    ) -> torch.Tensor:
        """One encoder layer: ``rows`` (all of ``x``, or its first token) attend to ``x``."""
        import torch.nn.functional as F

        size = self.hidden_size
        per_head = size // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(t.shape[0], t.shape[1], self.heads, per_head).transpose(1, 2)

        q = split(self._linear(rows, f"{p}attention.self.query"))
        k, v = (split(self._linear(x, f"{p}attention.self.{n}")) for n in ("key", "value"))
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        a = a.transpose(1, 2).reshape(rows.shape[0], rows.shape[1], size)
        h = self._norm(
            self._linear(a, f"{p}attention.output.dense") + rows, f"{p}attention.output.LayerNorm"
        )
        inner = F.gelu(self._linear(h, f"{p}intermediate.dense"))
        return self._norm(self._linear(inner, f"{p}output.dense") + h, f"{p}output.LayerNorm")

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """The classification head over the first token: pooler (tanh), then classifier."""
        import torch

        pooled = torch.tanh(self._linear(hidden[:, 0], "pooler.dense"))
        return self._linear(pooled, "classifier")

    def _linear(self, x: torch.Tensor, name: str) -> torch.Tensor:
        import torch.nn.functional as F

        return F.linear(x, self._w[f"{name}.weight"], self._w.get(f"{name}.bias"))

    def _norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        import torch.nn.functional as F

        return F.layer_norm(
            x, (self.hidden_size,), self._w[f"{name}.weight"], self._w[f"{name}.bias"], self.eps
        )

    def _pad_id(self) -> int:
        pad = self.config.get("pad_token_id")
        return int(pad) if pad is not None else 0


def read_bert(folder: Path) -> Bert | None:
    """The folder's model when it is a plain BERT with its weights in ``model.safetensors`` and
    its tokenizer in ``tokenizer.json``; None otherwise."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    plain = (
        isinstance(config, dict)
        and config.get("model_type") == "bert"
        and config.get("hidden_act", "gelu") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
    )
    weights_file, tokenizer_file = folder / "model.safetensors", folder / "tokenizer.json"
    if not plain or not weights_file.is_file() or not tokenizer_file.is_file():
        return None
    import torch
    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    weights = {
        k.removeprefix(_PREFIX): t.to(torch.float32) for k, t in load_file(weights_file).items()
    }
    if "embeddings.word_embeddings.weight" not in weights:
        return None
    return Bert(config, weights, Tokenizer.from_file(str(tokenizer_file)))
