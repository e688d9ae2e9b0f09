"""A tiny RAG pipeline: retrieve passages from the docs index, have a model answer from them.

``model`` is any callable from prompt to completion: your LLM client in real use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from retrieval import Index

Model = Callable[[str], str]


@dataclass(frozen=True)
class Answer:
    text: str
    passages: list[str]  # what the model was shown, in order


def answer(question: str, docs: Index, model: Model, *, k: int = 3) -> Answer:
    """Answer ``question`` from the ``k`` passages of ``docs`` that match it best."""
    passages = [hit.chunk.text for hit in docs.search(question, k=k)]
    prompt = (
        "Answer the question from these passages only.\n\n"
        + "\n\n".join(passages)
        + f"\n\nQuestion: {question}\nAnswer:"
    )
    return Answer(model(prompt).strip(), passages)
