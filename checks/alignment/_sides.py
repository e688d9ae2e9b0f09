"""One sentence read once: its values, their layout and contexts, its polarity.

``side(text)`` is cached: an evidence sentence is read once however many claims meet it
(once per set of rule families switched off: they change what is read).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ._context import Layout, context, layout
from ._polarity import Polarity, polarity
from ._switches import disabled
from ._values import Value, extract_values

__all__ = ["Side", "side"]


@dataclass(frozen=True)
class Side:
    """A sentence with its values, their layout and contexts (by value index), its polarity."""

    text: str
    values: list[Value]
    lay: Layout
    contexts: list[dict[str, float]]
    pol: Polarity


def side(text: str) -> Side:
    return _side(text, disabled())


@lru_cache(maxsize=4096)
def _side(text: str, off: frozenset[str]) -> Side:
    values = extract_values(text)
    lay = layout(text, values)
    return Side(text, values, lay, [context(lay, i) for i in range(len(values))], polarity(text))
