"""Passages a text is checked against instead of the index: the RAG case.

A ``Context`` names its passages (``context[0]``, ``context[1]``, ... for a list, the keys of
a mapping) so that evidence is cited as ``name:line``, and embeds them once however many
texts are checked against it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checks.evidence import ContextEvidence
    from reports import Outcome

    from ._session import Block, Verifier

__all__ = ["Context", "Passages", "named_passages"]

#: What ``context=`` takes: one passage, a list of them, or ``{name: passage}``.
Passages = str | Sequence[str] | Mapping[str, str]


def named_passages(passages: Passages) -> tuple[tuple[str, str], ...]:
    """``passages`` as ``(name, text)`` pairs; anything but text is a ``TypeError``."""
    if isinstance(passages, str):
        passages = [passages]
    if isinstance(passages, Mapping):
        pairs = [(str(name), text) for name, text in passages.items()]
    elif isinstance(passages, Sequence):
        pairs = [(f"context[{i}]", text) for i, text in enumerate(passages)]
    else:
        raise TypeError(
            f"context must be a list of passages (str) or a mapping of name to passage, "
            f"not {type(passages).__name__}"
        )
    for name, text in pairs:
        if not isinstance(text, str):
            raise TypeError(f"context passage {name} must be a str, not {type(text).__name__}")
    return tuple(pairs)


class Context:
    """Passages bound to a ``Verifier``; what the ``verify_context`` fixture returns."""

    def __init__(self, verifier: Verifier, passages: Passages) -> None:
        self.verifier = verifier
        self.passages = named_passages(passages)
        self._evidence: ContextEvidence | None = None

    def evidence(self) -> ContextEvidence:
        """The passages as an evidence source, embedded at the first check, then kept."""
        if self._evidence is None:
            from checks.evidence import ContextEvidence

            self._evidence = ContextEvidence(list(self.passages), self.verifier.embedder())
        return self._evidence

    def check(self, text: str, *, block: Block = None, question: str | None = None) -> Outcome:
        """The verdicts on ``text`` against these passages (see ``Verifier.check``)."""
        return self.verifier.check(text, context=self, block=block, question=question)

    def assert_grounded(
        self, text: str, *, block: Block = None, question: str | None = None
    ) -> Outcome:
        """``assert_grounded(text, context=these passages)``."""
        __tracebackhide__ = True
        return self.verifier.assert_grounded(text, context=self, block=block, question=question)

    def __repr__(self) -> str:
        return f"Context({', '.join(name for name, _ in self.passages)})"
