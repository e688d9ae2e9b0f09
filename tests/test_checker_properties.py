"""Properties of the whole checker on a small corpus, with the real MiniLM embedder.

The corpus (a handful of Markdown sentences with numbers, owners and ports) is indexed once
per module with ``retrieval.build_index``; every property then runs the checker exactly as
``verify check`` wires it (``Checker.build`` over ``IndexEvidence``, default config, the
committed scorer). Examples are few: each one embeds with the real model. Extraction needs
no model and runs more examples.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import retrieval
from checks.evidence import IndexEvidence
from checks.extraction import extract_claims
from checks.types import LABELS
from reports import Outcome
from verify.checker import Checker
from verify.config import Config

CORPUS = {
    "gateway.md": (
        "Gateway",
        ["The upload gateway listens on port 8443.", "Health checks are served on port 9100."],
    ),
    "retention.md": (
        "Retention",
        ["Raw uploads are kept for 14 days.", "Audit logs are retained for 400 days."],
    ),
    "owners.md": (
        "Owners",
        ["The billing service is owned by Priya Raman.", "The search cluster has 12 nodes."],
    ),
    "operations.md": (
        "Operations",
        ["The transcoder runs 6 workers.", "The nightly backup starts at 02:00 UTC."],
    ),
}
SENTENCES = [s for _, body in CORPUS.values() for s in body]
WITH_NUMBERS = [s for s in SENTENCES if re.search(r"\d", s)]
VOCABULARY = {w.lower() for s in SENTENCES for w in re.findall(r"[A-Za-z]+", s)}

SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def write_corpus(root: Path, extra: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, (title, body) in CORPUS.items():
        (root / name).write_text(f"# {title}\n\n" + "\n\n".join(body) + "\n", encoding="utf-8")
    for name, text in (extra or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@dataclass
class World:
    embedder: retrieval.Embedder
    checker: Checker
    supported_alone: list[str]  # corpus sentences the checker supports on the base corpus


def checker_for(folder: Path, embedder: retrieval.Embedder) -> tuple[Checker, retrieval.Index]:
    index = retrieval.Index.open(folder, embedder=embedder)
    return Checker.build(IndexEvidence(index), Config()), index


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("props")
    embedder = retrieval.get_embedder()  # the bundled all-MiniLM-L6-v2
    retrieval.build_index([write_corpus(root / "corpus")], root / "index", embedder)
    checker, index = checker_for(root / "index", embedder)
    outcome = checker.check_text(" ".join(SENTENCES))
    supported = [v.claim.text for v in outcome.verdicts if v.label == "supported"]
    yield World(embedder, checker, supported)
    index.close()


def labels(outcome: Outcome) -> list[str]:
    return [v.label for v in outcome.verdicts]


# -- a claim copied verbatim from the corpus is supported -------------------------------------


@pytest.mark.model
def test_every_corpus_sentence_is_supported(world: World) -> None:
    assert world.supported_alone == SENTENCES


@pytest.mark.model
@SETTINGS
@given(
    st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=4, unique=True),
    st.sampled_from([" ", "\n", "\n\n", "\n- "]),
)
def test_verbatim_corpus_sentences_are_supported_in_any_mix(
    world: World, picked: list[str], sep: str
) -> None:
    outcome = world.checker.check_text(sep.join(picked))
    assert [v.claim.text for v in outcome.verdicts] == picked
    assert labels(outcome) == ["supported"] * len(picked), [v.reason for v in outcome.verdicts]
    assert outcome.decision == "pass"
    for v in outcome.verdicts:  # and the evidence quoted is the sentence itself
        assert any(v.claim.text in e.quote for e in v.evidence), v.evidence


# -- changing its number makes it not supported ------------------------------------------------


@st.composite
def renumbered(draw: st.DrawFn) -> tuple[str, str, int, int]:
    """A corpus sentence with one of its numbers replaced by a different number."""
    sentence = draw(st.sampled_from(WITH_NUMBERS))
    numbers = list(re.finditer(r"\d+", sentence))
    m = draw(st.sampled_from(numbers))
    new = draw(st.integers(0, 99_999).filter(lambda n: n != int(m.group())))
    changed = sentence[: m.start()] + str(new) + sentence[m.end() :]
    return sentence, changed, m.start(), m.start() + len(str(new))


@pytest.mark.model
@SETTINGS
@given(renumbered())
def test_changing_a_number_makes_the_claim_not_supported(
    world: World, case: tuple[str, str, int, int]
) -> None:
    _, changed, start, end = case
    outcome = world.checker.check_text(changed)
    touched = [v for v in outcome.verdicts if v.claim.start <= start and end <= v.claim.end]
    assert touched, f"no claim covers the changed number in {changed!r}"
    for v in touched:
        assert v.label != "supported", f"{changed!r} was supported: {v.reason}"
        assert v.label != "error", v.reason


# -- adding unrelated documents never flips a supported claim ----------------------------------

_UNRELATED_WORDS = st.sampled_from(
    [
        "tomato",
        "basil",
        "orchid",
        "greenhouse",
        "compost",
        "sourdough",
        "glacier",
        "comet",
        "violin",
        "harbour",
        "lighthouse",
        "marathon",
        "pottery",
        "falcon",
        "meadow",
        "saffron",
    ]
).filter(lambda w: w not in VOCABULARY)
_RANDOM_WORDS = st.text("abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=9).filter(
    lambda w: w not in VOCABULARY
)


@st.composite
def unrelated_sentence(draw: st.DrawFn) -> str:
    a, b = draw(_UNRELATED_WORDS), draw(st.one_of(_UNRELATED_WORDS, _RANDOM_WORDS))
    n = draw(st.integers(1, 5000))
    template = draw(
        st.sampled_from(
            [
                "The {a} near the {b} needs {n} litres of water.",
                "Every {a} in the {b} weighs {n} grams.",
                "Our {a} club meets {n} times beside the {b}.",
                "{A} and {b} grow well after {n} hours of sunlight.",
            ]
        )
    )
    return template.format(a=a, A=a.capitalize(), b=b, n=n)


unrelated_documents = st.dictionaries(
    st.sampled_from(["garden.md", "kitchen.md", "sky.md", "club.md", "notes/misc.md"]),
    st.lists(unrelated_sentence(), min_size=1, max_size=4).map(
        lambda xs: "# Notes\n\n" + "\n\n".join(xs) + "\n"
    ),
    min_size=1,
    max_size=3,
)


@pytest.mark.model
@settings(SETTINGS, max_examples=5)
@given(unrelated_documents)
def test_adding_unrelated_documents_never_flips_a_supported_claim(
    world: World, extra: dict[str, str]
) -> None:
    with tempfile.TemporaryDirectory(prefix="verify-props-") as tmp:
        root = Path(tmp)
        retrieval.build_index(
            [write_corpus(root / "corpus", extra)], root / "index", world.embedder
        )
        checker, index = checker_for(root / "index", world.embedder)
        try:
            outcome = checker.check_text(" ".join(world.supported_alone))
        finally:
            index.close()
            shutil.rmtree(root / "index", ignore_errors=True)
    flipped = [
        (v.claim.text, v.label, v.reason) for v in outcome.verdicts if v.label != "supported"
    ]
    assert not flipped


# -- scores stay in [0, 1] ---------------------------------------------------------------------

_phrases = st.one_of(
    st.sampled_from(SENTENCES),
    renumbered().map(lambda case: case[1]),
    unrelated_sentence(),
    st.builds(
        lambda s: s.replace(" is ", " is not ").replace(" are ", " are never "),
        st.sampled_from(SENTENCES),
    ),
    st.builds(lambda s: "All " + s[0].lower() + s[1:], st.sampled_from(SENTENCES)),
)


@pytest.mark.model
@SETTINGS
@given(st.lists(_phrases, min_size=1, max_size=4))
def test_scores_stay_in_the_unit_interval(world: World, parts: list[str]) -> None:
    outcome = world.checker.check_text(" ".join(parts))
    assert outcome.verdicts
    for v in outcome.verdicts:
        assert 0.0 <= v.score <= 1.0, v
        assert v.label in LABELS and v.label != "error", v.reason
        assert all(e.start_line >= 1 and e.source in {*CORPUS} for e in v.evidence)


# -- extraction never loses or invents text spans ----------------------------------------------

_separators = st.sampled_from([" ", "\n", "\n\n", "\n- ", "\n1. ", "  ", "\n> "])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SENTENCES), _separators), min_size=1, max_size=6))
def test_extraction_never_loses_or_invents_text(parts: list[tuple[str, str]]) -> None:
    text = "".join(sep + s for s, sep in parts)
    result = extract_claims(text)
    spans = sorted(
        [(c.start, c.end, c.text) for c in result.claims]
        + [(s.start, s.end, s.text) for s in result.skipped]
    )
    end = 0
    for start, stop, piece in spans:  # exact, ordered, never overlapping
        assert end <= start < stop <= len(text) and piece == text[start:stop]
        end = stop
    # never loses: every sentence put in comes out as a claim, whole
    offset = 0
    for s, sep in parts:
        offset += len(sep)
        assert any(c.start <= offset and offset + len(s) <= c.end for c in result.claims), s
        offset += len(s)
    # never invents: every word a claim is checked as comes from the text
    source_words = {w.lower() for w in re.findall(r"\w+", text)}
    for c in result.claims:
        assert {w.lower() for w in re.findall(r"\w+", c.check_text)} <= source_words, c
