"""Premises the model reads for one claim: sentence-aligned windows around its best candidates.

A window is a candidate sentence with the sentences before and after it in its passage (a
pronoun's referent, the row a table cell continues), under its document's title; when that
does not fit the model, the neighbours go first and the sentence stays whole. Besides, the
best few sentences read together make one more window, for a claim that joins two facts.
Only the candidates retrieval ranked best are read: scoring every sentence of a long context
costs a model call each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..evidence import Candidate

__all__ = ["MAX_WINDOW_CHARS", "Window", "windows"]

MAX_WINDOW_CHARS = 700  # about 170 word pieces: with a claim, inside the model's 256
_JOINED = 3  # sentences read together in the joint window


@dataclass(frozen=True)
class Window:
    text: str  # the premise
    anchor: Candidate  # the sentence it is built around: what a verdict cites


def windows(cands: Sequence[Candidate], *, best: int = 4) -> list[Window]:
    """Windows around the ``best`` candidates (best cosine first), then the joint window of
    the first few of them; no two windows read the same text."""
    top = _distinct(cands)[:best]
    out: dict[str, Window] = {}
    for cand in top:
        text = _around(cand)
        out.setdefault(text, Window(text, cand))
    if len(top) > 1:
        joint = " ".join(c.text for c in top[:_JOINED])
        if len(joint) <= MAX_WINDOW_CHARS:
            text = _titled(top[0], joint)
            out.setdefault(text, Window(text, top[0]))
    return list(out.values())


def _distinct(cands: Sequence[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    out = []
    for c in cands:
        key = " ".join(c.text.split())
        if key and key not in seen:
            seen.add(key)
            out.append(c)
    return out


def _around(cand: Candidate) -> str:
    text = cand.text
    for extra in (f"{cand.before} {text} {cand.after}", f"{cand.before} {text}"):
        if len(extra) <= MAX_WINDOW_CHARS:
            text = extra
            break
    return _titled(cand, text[: MAX_WINDOW_CHARS * 2].strip())


def _titled(cand: Candidate, text: str) -> str:
    """``text`` under its document's title, when the title is not already in it."""
    title = cand.heading.split(" > ")[0].strip()
    if not title or title.lower() in text.lower() or len(title) + len(text) > MAX_WINDOW_CHARS:
        return text
    return f"{title}. {text}"
