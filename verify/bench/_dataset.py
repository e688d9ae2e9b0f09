"""A labelled dataset folder, of one of two kinds.

- an *index* dataset: ``corpus/`` or ``corpus.jsonl``, plus ``claims.jsonl`` (``id``,
  ``claim``, ``label`` supported / contradicted / unverifiable): claims are checked against
  the index of the corpus;
- a *context* dataset: ``claims.jsonl`` alone, each line carrying ``"context": [str, ...]``:
  each claim is checked against its own context; labels supported / unsupported.

A line may carry ``"question"``: the claim is then read as the answer to it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ._metrics import BINARY, LABELS3

__all__ = ["Dataset", "LabelledClaim", "load_dataset"]

_LABEL_ALIASES = {
    "supports": "supported",
    "support": "supported",
    "refutes": "contradicted",
    "refuted": "contradicted",
    "contradict": "contradicted",
    "nei": "unverifiable",
    "not_enough_info": "unverifiable",
    "unsupported": "unverifiable",
}


@dataclass(frozen=True)
class LabelledClaim:
    id: str
    claim: str
    label: str
    split: str = ""
    context: tuple[str, ...] | None = None  # a context dataset: the claim's own passages
    question: str | None = None  # the claim is the answer to it


@dataclass(frozen=True)
class Dataset:
    name: str
    folder: Path
    corpus: Path | None  # None: a context dataset
    claims: tuple[LabelledClaim, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        """The gold labels: supported / unsupported for a context dataset, else three."""
        return LABELS3 if self.corpus is not None else BINARY

    def default_index(self) -> Path:
        digest = hashlib.sha1(str(self.folder.resolve()).encode()).hexdigest()[:8]
        return Path(".verify") / "bench" / f"{self.name}-{digest}"


def load_dataset(folder: Path, *, split: str | None = None) -> Dataset:
    if not folder.is_dir():
        raise InputError(f"dataset {str(folder)!r} is not a folder")
    corpus: Path | None = folder / "corpus"
    if not (folder / "corpus").is_dir():
        corpus = folder / "corpus.jsonl"
        if not corpus.exists():
            corpus = None  # a context dataset, if every line carries its context
    path = folder / "claims.jsonl"
    if not path.is_file():
        raise InputError(f"dataset {str(folder)!r} has no claims.jsonl")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    claims = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = _claim(json.loads(line), with_context=corpus is None)
        except _NoContext:
            raise InputError(
                f"dataset {str(folder)!r} has neither corpus/ nor corpus.jsonl, and "
                f'{path}:{n} carries no "context" (a context dataset needs one on every line)'
            ) from None
        except (KeyError, TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            raise InputError(f"{path}:{n}: malformed claim line ({exc})") from exc
        except RecursionError:
            raise InputError(f"{path}:{n}: malformed claim line (nested too deeply)") from None
        if split is None or item.split == split:
            claims.append(item)
    if not claims:
        raise InputError(f"{path}: no claims" + (f" in split {split!r}" if split else ""))
    return Dataset(folder.resolve().name, folder, corpus, tuple(claims))


class _NoContext(Exception):
    pass


def _claim(rec: Any, *, with_context: bool) -> LabelledClaim:
    """A claim line; ``with_context``: of a context dataset (binary labels, a context)."""
    label = str(rec["label"]).lower()
    label = _LABEL_ALIASES.get(label, label)
    if label not in LABELS3:
        raise ValueError(f"unknown label {rec['label']!r}")
    question = rec.get("question")
    if question is not None and not isinstance(question, str):
        raise ValueError('"question" must be a string')
    item = LabelledClaim(
        str(rec["id"]), str(rec["claim"]), label, str(rec.get("split", "")), question=question
    )
    if not with_context:
        return item
    if "context" not in rec:
        raise _NoContext
    context = rec["context"]
    if not isinstance(context, list) or not all(isinstance(c, str) for c in context):
        raise ValueError('"context" must be a list of strings')
    # binary gold: anything not supported is unsupported
    binary = "supported" if label == "supported" else "unsupported"
    return dataclasses.replace(item, label=binary, context=tuple(context))
