"""One sentence read once: its values, their layout and contexts, its polarity.

``side(text)`` is cached: an evidence sentence is read once however many claims meet it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ._context import Layout, context, layout
from ._polarity import Polarity, polarity
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


@lru_cache(maxsize=4096)
def side(text: str) -> Side:
    values = extract_values(text)
    lay = layout(text, values)
    return Side(text, values, lay, [context(lay, i) for i in range(len(values))], polarity(text))
