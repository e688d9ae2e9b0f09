"""Text generators: one abstract method, ``generate``; the llama.cpp one is the default.

Every call the checks make has a deadline. A generator that can stop itself at one sets
``interruptible = True`` and is handed ``timeout`` (seconds); when it runs out it raises
``CheckTimeout``. Any other generator is never handed ``timeout``: ``generate_within`` runs
each of its calls in a worker process that is killed at the deadline (so state it changes in
that call stays in the worker).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "Generation",
    "Generator",
    "Message",
    "generator_names",
    "get_generator",
    "register_generator",
]

Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": str}


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    model: str
    seconds: float = 0.0


class Generator(ABC):
    name: str = "generator"
    #: True if ``generate`` takes ``timeout`` and stops itself (raising ``CheckTimeout``)
    interruptible: bool = False

    @abstractmethod
    def generate(
        self,
        messages: Sequence[Message],
        *,
        grammar: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> Generation:
        """One chat completion; ``grammar`` is GBNF that the output must match.

        An ``interruptible`` generator also takes ``timeout: float | None`` (seconds; None: no
        limit) and raises ``CheckTimeout`` once it has run that long."""

    def load(self) -> None:  # noqa: B027 - optional hook
        """Load the model; idempotent."""


_FACTORIES: dict[str, Callable[[], Generator]] = {}


def register_generator(name: str, factory: Callable[[], Generator]) -> None:
    """Make ``name`` usable wherever a model is named (``--model``, ``--judge``)."""
    _FACTORIES[name] = factory


def generator_names() -> list[str]:
    """The names registered with ``register_generator``."""
    return sorted(_FACTORIES)


def get_generator(name: str) -> Generator:
    """A registered generator by name, or a llama.cpp one for a GGUF path."""
    if name in _FACTORIES:
        return _FACTORIES[name]()
    from ._llama import LlamaCppGenerator

    return LlamaCppGenerator(name)
