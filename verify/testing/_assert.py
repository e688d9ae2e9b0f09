"""``assert_grounded``: the assertion a test writes, on the session's verifier."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ._context import Context, Passages
from ._session import Block, current_verifier

if TYPE_CHECKING:
    from reports import Outcome
    from retrieval import Index

__all__ = ["assert_grounded"]


def assert_grounded(
    text: str,
    *,
    context: Context | Passages | None = None,
    index: str | Path | Index | None = None,
    block: Block = None,
    question: str | None = None,
) -> Outcome:
    """Pass when every claim of ``text`` is within policy; else raise ``GroundingError`` (an
    ``AssertionError``) whose message shows each claim with its verdict, the reason and the
    evidence quotes under their ``path:line``.

    ``context``: passages to check against instead of an index (the RAG case): a string, a
    list of strings (cited as ``context[0]``, ...), ``{name: passage}``, or what the
    ``verify_context`` fixture made. ``index``: an index folder or an open
    ``retrieval.Index`` [default: ``--verify-index``, else ``index`` in ``[tool.verify]``].
    ``block``: the verdicts that fail the assertion, e.g. ``("contradicted",)`` [default: the
    config's ``block``, contradicted and unverifiable]; ``error`` (a model failure or
    timeout) always fails it. ``question``: read ``text`` as its answer ("Yes.", "In 1997.").
    Returns the ``Outcome`` (every verdict) when it passes.
    """
    __tracebackhide__ = True
    return current_verifier().assert_grounded(
        text, context=context, index=index, block=block, question=question
    )
