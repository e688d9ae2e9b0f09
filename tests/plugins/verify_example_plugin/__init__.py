"""A third-party plugin, as a user would write one: it only imports ``verify``'s public API.

Installed by tests/test_plugins.py (a ``dist-info`` with an entry point in group ``verify`` on
the path of a fresh process), never imported by the suite directly. It adds:

- ``csv``: a report format, one row per claim;
- ``ini-todo``: a gate language for ``.ini`` files that blocks an added ``TODO``;
- ``example-hash``: a deterministic bag-of-words embedder;
- ``example-overlap``: an entailment model reading word overlap.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from checks.entailment import EntailmentModel
from reports import Outcome
from retrieval import Embedder
from verify.gate import Context, FileChange, Finding, LanguagePlugin
from verify.plugins import hookimpl

_WORD = re.compile(r"\w+")


def render_csv(outcome: Outcome, **options: Any) -> str:
    """One row per claim: id, verdict, score, claim text, first evidence as path:line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "verdict", "score", "claim", "evidence"])
    for v in outcome.verdicts:
        where = f"{v.evidence[0].source}:{v.evidence[0].start_line}" if v.evidence else ""
        # a cell starting with = + - @ is a formula to a spreadsheet: quote it as text
        text = v.claim.text
        if text[:1] in ("=", "+", "-", "@"):
            text = "'" + text
        writer.writerow([v.claim.id, v.label, f"{v.score:.2f}", text, where])
    return out.getvalue()


class IniTodo(LanguagePlugin):
    name: ClassVar[str] = "ini-todo"
    suffixes: ClassVar[tuple[str, ...]] = (".ini",)

    def check(self, files: Sequence[FileChange], ctx: Context) -> list[Finding]:
        return [
            Finding("ini/todo", "block", f.path, n, f"an unfinished setting: {text.strip()!r}")
            for f in files
            for n, text in sorted(f.added.items())
            if "TODO" in text
        ]


class HashEmbedder(Embedder):
    name = "example-hash"
    dim = 256

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


class Overlap(EntailmentModel):
    name = "example-overlap"

    def predict_batch(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        rows = []
        for premise, hypothesis in pairs:
            have = set(_WORD.findall(premise.lower()))
            want = set(_WORD.findall(hypothesis.lower())) or {""}
            p = len(want & have) / len(want)
            rows.append([p, 1.0 - p, 0.0])
        return np.array(rows, dtype=np.float32)


@hookimpl
def register_report_formats(register: Any) -> None:
    register("csv", render_csv)


@hookimpl
def register_gate_languages(register: Any) -> None:
    register(IniTodo)


@hookimpl
def register_embedders(register: Any) -> None:
    register("example-hash", HashEmbedder)


@hookimpl
def register_entailment_models(register: Any) -> None:
    register("example-overlap", Overlap)
