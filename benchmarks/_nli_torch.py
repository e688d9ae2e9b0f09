"""The torch side of ``train_entailment.py``: pairs as token ids, length-pooled batches,
padding, the loss that trains 3-way and binary pairs together, and the device and precision
a run uses. torch and the tokenizer are passed in, so importing this loads neither.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._nli_data import BINARY, Pair

__all__ = [
    "autocast",
    "batches",
    "collate",
    "device_of",
    "encode",
    "has_bf16",
    "loss_of",
    "save_atomic",
]


def encode(tokenizer: Any, pairs: Sequence[Pair], max_length: int) -> list[list[int]]:
    """Token ids of each pair; the premise is cut first when the two do not fit."""
    enc = tokenizer(
        [p.premise for p in pairs],
        [p.hypothesis for p in pairs],
        truncation="only_first",
        max_length=max_length,
    )
    return [list(ids) for ids in enc["input_ids"]]


def batches(n: int, lengths: Sequence[int], size: int, seed: int) -> list[list[int]]:
    """Index batches for one epoch: shuffled, then sorted by length within pools of 50
    batches so that padding stays small; the batch order is shuffled again."""
    rng = random.Random(seed)
    order = list(range(n))
    rng.shuffle(order)
    out: list[list[int]] = []
    pool = size * 50
    for start in range(0, n, pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        out += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def collate(ids: Sequence[Sequence[int]], sep: int, torch: Any) -> dict[str, Any]:
    width = -(-max(len(x) for x in ids) // 8) * 8  # few distinct shapes: kernels are reused
    input_ids = torch.zeros((len(ids), width), dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    types = torch.zeros((len(ids), width), dtype=torch.long)
    for row, x in enumerate(ids):
        input_ids[row, : len(x)] = torch.tensor(x)
        mask[row, : len(x)] = 1
        first_sep = list(x).index(sep)
        types[row, first_sep + 1 : len(x)] = 1
    return {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": types}


def loss_of(logits: Any, labels: Any, torch: Any) -> Any:
    """3-way cross-entropy; a binary pair (label -1) counts only entailment against the rest."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    three = labels >= 0
    p_not = torch.logsumexp(logp[:, 1:], dim=-1)  # log(P(neutral) + P(contradiction))
    picked = torch.where(
        three,
        logp.gather(1, labels.clamp(min=0).unsqueeze(1)).squeeze(1),
        torch.where(labels == BINARY, p_not, logp[:, 0]),
    )
    return -picked.mean()


def soft_loss(logits: Any, target: Any, torch: Any) -> Any:
    """Cross-entropy against a teacher's probabilities (distillation): its gradient is that
    of KL(teacher || student)."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    return -(target * logp).sum(dim=-1).mean()


def predict_probs(
    model: Any,
    ids: Sequence[Sequence[int]],
    sep: int,
    batch: int,
    dev: Any,
    torch: Any,
    precision: str = "auto",
) -> Any:
    """The model's probabilities for every pair of token ids, shape (len(ids), labels), on
    the CPU; batched by length, computed in ``precision`` (``auto``: bf16 where the hardware
    has it). Leaves the model in eval mode."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = torch.zeros((len(ids), model.config.num_labels), dtype=torch.float32)
    model.eval()
    with torch.inference_mode(), autocast(precision, dev, torch):
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            inputs = {k: v.to(dev) for k, v in collate([ids[i] for i in idx], sep, torch).items()}
            out[idx] = torch.softmax(model(**inputs).logits.float(), dim=-1).cpu()
    return out


def save_atomic(obj: Any, path: Path, torch: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


def device_of(name: str, torch: Any) -> Any:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def autocast(precision: str, dev: Any, torch: Any) -> Any:
    if precision == "bf16" or (precision == "auto" and has_bf16(dev, torch)):
        return torch.autocast(dev.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def has_bf16(dev: Any, torch: Any) -> bool:
    if dev.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    try:  # AMX / AVX512-BF16: oneDNN makes bf16 matmuls fast on such CPUs
        mkldnn = torch.backends.mkldnn.is_available()
        return bool(mkldnn and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False
