"""An answer read as the answer to its question (``checks.extraction.answer_claims``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.extraction import SHORT_WORDS, answer_claims, answer_statement, is_bare_answer


@pytest.mark.parametrize(
    ("question", "yes", "no"),
    [
        ("Is the port 8443?", "the port is 8443", "the port is not 8443"),
        ("Is Paris the capital of France?", "Paris is the capital of France", None),
        ("Are raw uploads kept for 30 days?", "raw uploads are kept for 30 days", None),
        ("Is the limit for uploads 5 GB?", "the limit for uploads is 5 GB", None),
        ("Is there a limit on uploads?", "there is a limit on uploads", None),
        ("Is the cache hit rate 90%?", "the cache hit rate is 90%", None),
        ("Has the key been rotated?", "the key has been rotated", "the key has not been rotated"),
        (
            "Does the gateway listen on port 8443?",
            "the gateway does listen on port 8443",
            "the gateway does not listen on port 8443",
        ),
        ("Did Roy Hodgson manage Fulham?", "Roy Hodgson did manage Fulham", None),
        (
            "Can the upload limit exceed 5 GB?",
            "the upload limit can exceed 5 GB",
            "the upload limit cannot exceed 5 GB",
        ),
        ("Will the job run nightly?", "the job will run nightly", "the job will not run nightly"),
    ],
)
def test_a_yes_or_no_turns_the_question_into_a_statement(
    question: str, yes: str, no: str | None
) -> None:
    assert answer_statement(question, "Yes.") == yes
    assert answer_statement(question, "yes") == yes
    if no is not None:
        assert answer_statement(question, "No.") == no
        assert answer_statement(question, "No, it is not.") == no


@pytest.mark.parametrize(
    "question",
    [
        "Is the gateway in Frankfurt?",  # where the subject ends is not mechanical
        "Are cats mammals?",
        "Is Python 3 supported?",  # a name's number is no predicate
        "Is the port 8443 or 9443?",  # a choice, not a yes/no
        "Isn't the port 8443?",  # a negative question
        "Is the port, as documented, 8443?",  # more than one clause
        "What port does the gateway use?",  # no auxiliary first
        "Is the port 8443",  # not a question
    ],
)
def test_a_yes_or_no_falls_back_to_question_and_answer(question: str) -> None:
    assert answer_statement(question, "Yes.") == f"{question} Yes."


@pytest.mark.parametrize(
    "question",
    [
        "Are both Diet Pepsi and Volvic carbonated drinks?",
        "Are Lucia di Lammermoor and The Bartered Bride both comic operas?",
        "Are all uploads scanned?",
    ],
)
def test_a_no_to_a_question_about_a_whole_group_denies_the_group(question: str) -> None:
    # "No" says not both (not all), which no statement with "not" before the predicate says
    assert answer_statement(question, "No.") == f"{question} No."
    assert answer_statement(question, "Yes.") != f"{question} Yes."


@pytest.mark.parametrize(
    "answer", ["No, the port is 9443.", "Yes and no.", "Yes, but only on weekdays."]
)
def test_a_yes_or_no_with_more_to_say_is_not_a_bare_yes_or_no(answer: str) -> None:
    assert answer_statement("Is the port 8443?", answer) == f"Is the port 8443? {answer}"


@pytest.mark.parametrize("answer", ["In 1997.", "Roy Hodgson", "Yes.", " 8443 ", "It is 8443."])
def test_a_bare_answer_is_one_claim_checked_with_its_question(answer: str) -> None:
    question = "Which port does  the gateway\nuse?"
    (claim,) = answer_claims(answer, question)
    assert claim.text == answer.strip() == answer[claim.start : claim.end]
    assert claim.id == "c1"
    assert claim.check_text == f"Which port does the gateway use? {answer.strip()}"
    assert is_bare_answer(answer)


def test_a_bare_yes_is_checked_as_the_statement() -> None:
    (claim,) = answer_claims("Yes.", "Is the port 8443?")
    assert (claim.text, claim.check_text) == ("Yes.", "the port is 8443")


def test_an_answer_that_stands_on_its_own_keeps_its_own_claims() -> None:
    answer = "The gateway listens on port 8443. Health checks use port 9100."
    claims = answer_claims(answer, "Which ports are open?")
    assert [c.text for c in claims] == [
        "The gateway listens on port 8443.",
        "Health checks use port 9100.",
    ]
    assert all(c.check_text == c.text for c in claims)
    assert not is_bare_answer(answer)


def test_a_long_answer_without_a_claim_is_read_with_its_question() -> None:
    answer = "Please check the documentation for the full details."
    assert len(answer.split()) > SHORT_WORDS
    (claim,) = answer_claims(answer, "Is it?")
    assert claim.check_text == f"Is it? {answer}"


def test_an_empty_answer_has_no_claim() -> None:
    assert answer_claims("  \n", "Is the port 8443?") == ()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_claims_span_the_answer_and_never_check_an_empty_text(answer: str, question: str) -> None:
    for claim in answer_claims(answer, question):
        assert answer[claim.start : claim.end] == claim.text
        assert claim.check_text.strip()
