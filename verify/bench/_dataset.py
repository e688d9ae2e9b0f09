"""A labelled dataset folder: ``corpus/`` or ``corpus.jsonl``, plus ``claims.jsonl``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

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


@dataclass(frozen=True)
class Dataset:
    name: str
    folder: Path
    corpus: Path
    claims: tuple[LabelledClaim, ...]

    def default_index(self) -> Path:
        digest = hashlib.sha1(str(self.folder.resolve()).encode()).hexdigest()[:8]
        return Path(".verify") / "bench" / f"{self.name}-{digest}"


def load_dataset(folder: Path, *, split: str | None = None) -> Dataset:
    if not folder.is_dir():
        raise InputError(f"dataset {str(folder)!r} is not a folder")
    corpus = folder / "corpus"
    if not corpus.is_dir():
        corpus = folder / "corpus.jsonl"
    if not corpus.exists():
        raise InputError(f"dataset {str(folder)!r} has neither corpus/ nor corpus.jsonl")
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
            rec = json.loads(line)
            label = str(rec["label"]).lower()
            label = _LABEL_ALIASES.get(label, label)
            if label not in ("supported", "contradicted", "unverifiable"):
                raise ValueError(f"unknown label {rec['label']!r}")
            item = LabelledClaim(
                str(rec["id"]), str(rec["claim"]), label, str(rec.get("split", ""))
            )
        except (KeyError, TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            raise InputError(f"{path}:{n}: malformed claim line ({exc})") from exc
        except RecursionError:
            raise InputError(f"{path}:{n}: malformed claim line (nested too deeply)") from None
        if split is None or item.split == split:
            claims.append(item)
    if not claims:
        raise InputError(f"{path}: no claims" + (f" in split {split!r}" if split else ""))
    return Dataset(folder.resolve().name, folder, corpus, tuple(claims))
