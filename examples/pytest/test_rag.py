"""The RAG pipeline of rag.py, tested for grounded answers on the demo corpus (Ferrowave).

Run from the repository root, after indexing the demo corpus:

    verify index corpora/demo --index .verify/demo-index
    pytest examples/pytest --verify-index=.verify/demo-index --verify-report=demo-pytest.html

One test passes; the other is caught hallucinating (it fails, by design, showing why).
"""

from __future__ import annotations

import pytest
from rag import answer

from retrieval import Index
from verify.testing import assert_grounded

QUESTION = "How long are raw uploads kept after transcoding?"


class CannedModel:
    """Stands in for an LLM client: replies with a fixed text, records each prompt."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.reply


def test_an_answer_from_the_retrieved_passages_passes(docs: Index) -> None:
    model = CannedModel("Raw uploads are kept for 14 days after transcoding finishes.")
    result = answer(QUESTION, docs, model)
    assert "14 days" in model.prompts[0]  # the current policy was retrieved
    assert_grounded(result.text, context=result.passages)  # grounded in what it was shown


@pytest.mark.grounded  # the returned answer is checked against the whole index
def test_a_model_answering_from_stale_memory_is_caught(docs: Index) -> str:
    # 30 days was the rule of the superseded retention policy v3; the current one says 14
    return answer(QUESTION, docs, CannedModel("Raw uploads are kept for 30 days.")).text
