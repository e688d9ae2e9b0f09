"""The verdict cascade with every dependency replaced through its real interface.

Evidence comes from ``FakeEvidence`` (an ``EvidenceSource``), probabilities from a ``Scorer``
whose weights each test chooses (so the expected class is never read off the committed
weights), and the optional judge is a ``FakeJudge`` that records what it was asked. The
deterministic alignment stage and the signals are the real ones.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np
import pytest
from fakes import FakeClock, FakeEvidence, FakeJudge, cand, hand_scorer
from hypothesis import given, settings
from hypothesis import strategies as st

from checks import CheckError
from checks.cascade import SIGNALS, Cascade, CascadeResult, Policy
from checks.evidence import Candidate
from checks.scorer import CLASSES, Scorer
from checks.types import LABELS, Claim, Usage

PORT = "The upload gateway listens on port 8443."
PORT_WRONG = "The upload gateway listens on port 9443."
HEALTH = "Health checks are served on port 9100."
KEPT_14 = "Raw uploads are kept for 14 days."
KEPT_30 = "Raw uploads are kept for 30 days."
BANANAS = "Bananas ripen faster next to apples."

#: The scorer says "supported" whatever the evidence: p(supported) = e^4 / (e^4 + 2).
SAYS_SUPPORTED = hand_scorer(intercept=(4.0, 0.0, 0.0))
#: p(supported) = sigmoid(10 * cos1 - 5): 0.5 at cos1 = 0.5, far out of (0.3, 0.7) at 0.05/0.95.
BY_COSINE = hand_scorer({"cos1": 10.0}, intercept=(-5.0, -40.0, 0.0))


def claim(text: str, n: int = 1) -> Claim:
    return Claim(f"c{n}", text, 0, len(text))


def claims(*texts: str) -> list[Claim]:
    return [claim(t, i) for i, t in enumerate(texts, 1)]


def softmax(
    scorer_weights: Mapping[str, Mapping[str, float]],
    intercept: tuple[float, ...],
    signals: Mapping[str, float],
) -> dict[str, float]:
    """The probabilities a hand-built scorer must give, computed here independently."""
    z = [
        b + sum(w * signals[f] for f, w in scorer_weights.get(c, {}).items())
        for c, b in zip(CLASSES, intercept, strict=True)
    ]
    top = max(z)
    e = [math.exp(x - top) for x in z]
    return {c: x / sum(e) for c, x in zip(CLASSES, e, strict=True)}


def in_unit_interval(result: CascadeResult) -> None:
    for v in result.verdicts:
        assert 0.0 <= v.score <= 1.0 and not math.isnan(v.score), v
        assert v.label in LABELS


# -- stage 1: a deterministic conflict decides -----------------------------------------------


def test_a_conflicting_value_is_contradicted_with_its_evidence_and_both_values_named() -> None:
    right = cand(PORT, "docs/gateway.md", 7, cosine=0.93, chunk_id="g-7")
    other = cand(HEALTH, "docs/gateway.md", 8, cosine=0.55, rank=1, chunk_id="g-8")
    evidence = FakeEvidence({PORT_WRONG: [right, other]})
    # the scorer would call it supported: the deterministic stage must win anyway
    result = Cascade(evidence, scorer=SAYS_SUPPORTED).check([claim(PORT_WRONG)])
    (v,) = result.verdicts
    assert v.label == "contradicted"
    assert v.evidence[0] == right.evidence()
    assert v.evidence[0].source == "docs/gateway.md" and v.evidence[0].start_line == 7
    assert "9443" in v.reason and "8443" in v.reason
    assert "docs/gateway.md:7" in v.reason
    assert v.score < Policy().support_threshold
    assert evidence.asked == [[PORT_WRONG]]
    in_unit_interval(result)


def test_agreeing_values_with_a_supporting_scorer_are_supported() -> None:
    right = cand(PORT, "docs/gateway.md", 7, cosine=0.97)
    result = Cascade(FakeEvidence({PORT: [right]}), scorer=SAYS_SUPPORTED).check([claim(PORT)])
    (v,) = result.verdicts
    assert v.label == "supported"
    assert right.evidence() in v.evidence
    assert "docs/gateway.md:7" in v.reason


def test_no_evidence_at_all_is_unverifiable_never_supported() -> None:
    says_unverifiable = hand_scorer(intercept=(0.0, 0.0, 4.0))
    result = Cascade(FakeEvidence(), scorer=says_unverifiable).check([claim(BANANAS)])
    (v,) = result.verdicts
    assert v.label == "unverifiable" and v.evidence == ()
    assert v.reason


def test_the_scorer_probabilities_are_the_softmax_of_the_weights_given() -> None:
    weights = {"supported": {"cos1": 3.0, "agree": 1.5}, "unverifiable": {"cover1": -2.0}}
    scorer = hand_scorer(
        weights["supported"], None, weights["unverifiable"], intercept=(0.2, -0.4, 0.1)
    )
    ev = FakeEvidence({PORT: [cand(PORT, cosine=0.8)], BANANAS: [cand(HEALTH, cosine=0.1)]})
    result = Cascade(ev, scorer=scorer).check(claims(PORT, BANANAS))
    for v, sig in zip(result.verdicts, result.signals, strict=True):
        assert set(sig) == set(SIGNALS)
        want = softmax(weights, (0.2, -0.4, 0.1), sig)
        got = scorer.predict(sig)
        assert got == pytest.approx(want)
        assert f"p(supported)={want['supported']:.2f}" in v.reason


# -- superseded documents ----------------------------------------------------------------------


def _retention() -> tuple[Candidate, Candidate]:
    old = cand(KEPT_14, "retention-v1.md", 3, cosine=0.97, superseded=True)
    current = cand(KEPT_30, "retention.md", 5, cosine=0.95, rank=1)
    return old, current


def test_a_superseded_document_loses_to_the_current_one() -> None:
    old, current = _retention()
    evidence = FakeEvidence({KEPT_14: [old, current]})
    result = Cascade(evidence, scorer=SAYS_SUPPORTED).check([claim(KEPT_14)])
    (v,) = result.verdicts
    # only the superseded document states 14 days; the current one says 30
    assert v.label == "contradicted", v.reason
    assert v.evidence[0] == current.evidence()
    assert "superseded" in v.reason and "retention-v1.md" in v.reason


def test_agreeing_with_the_current_document_says_the_superseded_one_was_overruled() -> None:
    old, current = _retention()
    evidence = FakeEvidence({KEPT_30: [old, current]})
    result = Cascade(evidence, scorer=SAYS_SUPPORTED).check([claim(KEPT_30)])
    (v,) = result.verdicts
    assert v.label == "supported", v.reason
    assert v.evidence[0] == current.evidence()
    assert "superseded" in v.reason and "retention-v1.md" in v.reason


def test_without_the_superseded_document_the_current_one_decides_alone() -> None:
    _, current = _retention()
    result = Cascade(FakeEvidence({KEPT_14: [current]}), scorer=SAYS_SUPPORTED).check(
        [claim(KEPT_14)]
    )
    assert result.verdicts[0].label == "contradicted"
    assert "superseded" not in result.verdicts[0].reason


# -- stage 4: the judge ------------------------------------------------------------------------


def _band_evidence() -> tuple[FakeEvidence, dict[str, float]]:
    """Three claims whose top cosine puts p(supported) under, inside and over (0.3, 0.7)."""
    texts = {
        "The archive job compresses logs nightly.": 0.05,
        "The archive job rotates logs weekly.": 0.5,
        "The archive job uploads logs hourly.": 0.95,
    }
    filler = "Unrelated filler sentence about the cafeteria menu."
    return FakeEvidence(
        {t: [cand(filler, "notes.md", 2, cosine=c)] for t, c in texts.items()}
    ), texts


def test_the_judge_is_asked_only_inside_the_uncertain_band_and_its_tokens_are_summed() -> None:
    evidence, texts = _band_evidence()
    judge = FakeJudge(default="contradicted")
    policy = Policy(judge_band=(0.3, 0.7))
    result = Cascade(evidence, scorer=BY_COSINE, judge=judge, policy=policy).check(claims(*texts))
    asked = [q for q, _ in judge.asked]
    for c, v, sig in zip(claims(*texts), result.verdicts, result.signals, strict=True):
        p = softmax({"supported": {"cos1": 10.0}}, (-5.0, -40.0, 0.0), sig)["supported"]
        in_band = 0.3 <= p <= 0.7
        assert (c.text in asked) == in_band, (c.text, p)
        if in_band:
            assert v.label == "contradicted" and "judge" in v.reason
        else:
            assert "judge" not in v.reason
    assert len(asked) == 1, "the test must put exactly one claim in the band"
    assert result.usage == sum(judge.usages, Usage())
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    in_unit_interval(result)


def test_the_judge_sees_the_claim_and_the_best_candidates() -> None:
    evidence, texts = _band_evidence()
    judge = FakeJudge()
    Cascade(evidence, scorer=hand_scorer(), judge=judge).check(claims(*texts))
    assert [q for q, _ in judge.asked] == list(texts)  # all in the band: p = 1/3 each
    for q, shown in judge.asked:
        assert list(shown) == evidence.by_text[q][: len(shown)] and shown


def test_the_judge_never_overrules_a_deterministic_conflict() -> None:
    right = cand(PORT, "docs/gateway.md", 7, cosine=0.93)
    evidence = FakeEvidence({PORT_WRONG: [right], BANANAS: [cand(HEALTH, cosine=0.2)]})
    judge = FakeJudge(default="supported")
    in_band = hand_scorer()  # p = 1/3 for every class: always inside (0.3, 0.7)
    result = Cascade(evidence, scorer=in_band, judge=judge).check(claims(PORT_WRONG, BANANAS))
    conflict, other = result.verdicts
    assert conflict.label == "contradicted" and "judge" not in conflict.reason
    assert [q for q, _ in judge.asked] == [BANANAS]  # the judge was live, just not asked
    assert other.label == "supported"
    assert result.usage == judge.usages[0]


# -- fail closed -------------------------------------------------------------------------------


class _ScorerFailingOn(Scorer):
    """Raises for the claim whose top candidate has cosine ``sentinel``."""

    sentinel = 0.123

    def predict(self, signals: Mapping[str, float]) -> dict[str, float]:
        if signals["cos1"] == pytest.approx(self.sentinel):
            raise ValueError("scorer blew up")
        return super().predict(signals)


def test_a_stage_that_raises_makes_only_that_claim_an_error() -> None:
    base = SAYS_SUPPORTED
    failing = _ScorerFailingOn(base.features, base.mean, base.scale, base.coef, base.intercept)
    ok_cands = {PORT: [cand(PORT, cosine=0.97)], KEPT_30: [cand(KEPT_30, cosine=0.96)]}
    evidence = FakeEvidence({**ok_cands, BANANAS: [cand(HEALTH, cosine=_ScorerFailingOn.sentinel)]})
    result = Cascade(evidence, scorer=failing).check(claims(PORT, BANANAS, KEPT_30))
    reference = Cascade(FakeEvidence(ok_cands), scorer=base).check(
        [claim(PORT, 1), claim(KEPT_30, 3)]
    )
    first, broken, third = result.verdicts
    assert broken.label == "error" and broken.score == 0.0 and broken.evidence == ()
    assert "ValueError" in broken.reason and "scorer blew up" in broken.reason
    assert [first, third] == reference.verdicts  # the others are exactly what they would be


def test_a_judge_that_raises_makes_only_its_claim_an_error() -> None:
    evidence, texts = _band_evidence()
    crashing = next(iter(texts))
    judge = FakeJudge(fail_on=[crashing])
    result = Cascade(evidence, scorer=hand_scorer(), judge=judge).check(claims(*texts))
    labels = [v.label for v in result.verdicts]
    assert labels[0] == "error" and "fake judge crashed" in result.verdicts[0].reason
    assert "error" not in labels[1:]
    assert result.usage == sum(judge.usages, Usage())  # the crashed call spent nothing counted


@pytest.mark.parametrize("where", ["candidates", "embed"])
def test_retrieval_raising_makes_every_claim_an_error(where: str) -> None:
    boom = OSError("index folder vanished")
    evidence = FakeEvidence(fail=boom) if where == "candidates" else FakeEvidence(fail_embed=boom)
    judge = FakeJudge()
    result = Cascade(evidence, scorer=SAYS_SUPPORTED, judge=judge).check(
        claims(PORT, KEPT_30, BANANAS)
    )
    assert [v.label for v in result.verdicts] == ["error"] * 3
    for v in result.verdicts:
        assert "retrieval failed" in v.reason and "index folder vanished" in v.reason
        assert v.score == 0.0
    assert judge.asked == [] and result.usage == Usage()


def test_a_clock_that_jumps_past_the_deadline_is_an_error_naming_it() -> None:
    clock = FakeClock(step=31.0)  # every reading is 31 s after the last
    evidence = FakeEvidence({PORT: [cand(PORT, cosine=0.97)]})
    policy = Policy(claim_timeout=30.0)
    result = Cascade(evidence, scorer=SAYS_SUPPORTED, policy=policy, clock=clock).check(
        claims(PORT, BANANAS)
    )
    for v in result.verdicts:
        assert v.label == "error"
        assert "deadline" in v.reason and "30s" in v.reason
    assert clock.readings >= 2


def test_a_slow_judge_times_out_only_its_own_claim() -> None:
    clock = FakeClock()
    evidence, texts = _band_evidence()
    slow = list(texts)[1]
    judge = FakeJudge(on_ask=lambda q: clock.advance(45.0 if q == slow else 1.0))
    policy = Policy(claim_timeout=30.0, judge_band=(0.0, 1.0))
    result = Cascade(evidence, scorer=hand_scorer(), judge=judge, policy=policy, clock=clock).check(
        claims(*texts)
    )
    labels = [v.label for v in result.verdicts]
    assert labels[1] == "error"
    assert "judge" in result.verdicts[1].reason and "deadline of 30s" in result.verdicts[1].reason
    assert labels[0] != "error" and labels[2] != "error"


def test_scorer_weights_that_do_not_match_the_signals_are_an_error() -> None:
    features = (*SIGNALS[:-1], "retired_signal")
    stale = hand_scorer(intercept=(4.0, 0.0, 0.0), features=features)
    result = Cascade(FakeEvidence({PORT: [cand(PORT)]}), scorer=stale).check(claims(PORT, BANANAS))
    assert [v.label for v in result.verdicts] == ["error", "error"]
    reason = result.verdicts[0].reason
    assert "retired_signal" in reason and SIGNALS[-1] in reason
    assert "train_scorer" in reason


def test_a_default_scorer_that_cannot_load_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> Scorer:
        raise CheckError("cannot read the bundled scorer weights")

    monkeypatch.setattr("checks.cascade._cascade.default_scorer", broken)
    result = Cascade(FakeEvidence({PORT: [cand(PORT)]})).check(claims(PORT))
    assert result.verdicts[0].label == "error"
    assert "bundled scorer weights" in result.verdicts[0].reason


@pytest.mark.parametrize("bad", ["intercept", "signal"])
def test_a_scorer_giving_nan_is_an_error_not_a_verdict(bad: str) -> None:
    scorer = hand_scorer(
        {"cos1": 1.0}, intercept=(math.nan, 0.0, 0.0) if bad == "intercept" else (0.0, 0.0, 0.0)
    )
    cosine = math.nan if bad == "signal" else 0.9
    evidence = FakeEvidence({PORT: [cand(HEALTH, cosine=cosine)]})
    result = Cascade(evidence, scorer=scorer).check(claims(PORT))
    (v,) = result.verdicts
    assert v.label == "error", v
    assert "scorer" in v.reason


def test_no_claims_no_work() -> None:
    evidence = FakeEvidence(fail=OSError("must not be called"))
    assert Cascade(evidence, scorer=SAYS_SUPPORTED).check([]).verdicts == []
    assert evidence.asked == []


# -- scores always in [0, 1] -------------------------------------------------------------------

_SENTENCES = [
    PORT,
    PORT_WRONG,
    HEALTH,
    KEPT_14,
    KEPT_30,
    BANANAS,
    "The upload gateway never listens on port 8443.",
    "All uploads are kept for at most 30 days.",
    "The billing service is owned by Priya Raman.",
]
_weights = st.floats(-30, 30, allow_nan=False)
_candidates = st.lists(
    st.builds(
        cand,
        st.sampled_from(_SENTENCES),
        st.sampled_from(["a.md", "b.md"]),
        st.integers(1, 9),
        cosine=st.floats(-1, 1),
        superseded=st.booleans(),
    ),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(st.sampled_from(_SENTENCES), min_size=1, max_size=4),
    cands=st.lists(_candidates, min_size=4, max_size=4),
    coef=st.lists(
        st.lists(_weights, min_size=len(SIGNALS), max_size=len(SIGNALS)), min_size=3, max_size=3
    ),
    intercept=st.lists(_weights, min_size=3, max_size=3),
    judged=st.sampled_from([None, "supported", "contradicted", "unverifiable"]),
)
def test_every_verdict_is_a_label_with_a_score_in_the_unit_interval(
    texts: list[str],
    cands: list[list[Candidate]],
    coef: list[list[float]],
    intercept: list[float],
    judged: str | None,
) -> None:
    n = len(SIGNALS)
    scorer = Scorer(SIGNALS, np.zeros(n), np.ones(n), np.array(coef), np.array(intercept))
    evidence = FakeEvidence({t: cands[i % 4] for i, t in enumerate(dict.fromkeys(texts))})
    judge = FakeJudge(default=judged) if judged else None  # type: ignore[arg-type]
    result = Cascade(evidence, scorer=scorer, judge=judge).check(claims(*texts))
    assert len(result.verdicts) == len(texts)
    in_unit_interval(result)
    for c, v in zip(claims(*texts), result.verdicts, strict=True):
        assert v.claim == c
        assert v.label != "error", v.reason  # nothing here may break a stage
        shown = {x.evidence() for x in evidence.by_text.get(c.text, [])}
        assert set(v.evidence) <= shown, "evidence is only ever what retrieval returned"


# -- a universal claim is contradicted by one counterexample ----------------------------
def test_a_universal_claim_is_contradicted_by_one_current_counterexample() -> None:
    from fakes import cand

    from checks.cascade import run_alignment

    evidence = [
        cand("Pull requests need one approval.", "release.md", 18, cosine=0.8),
        cand("Pull requests to checkout-service need two approvals.", "release.md", 19, cosine=0.8),
    ]
    universal = run_alignment("All pull requests need two approvals.", evidence)
    assert universal.conflict is not None and universal.conflict[0].line == 18
    some = run_alignment("Pull requests to checkout-service need two approvals.", evidence)
    assert some.conflict is None and some.agree is not None and some.agree[0].line == 19


def test_every_five_minutes_is_a_schedule_not_all_of_them() -> None:
    from fakes import cand

    from checks.cascade import run_alignment

    evidence = [
        cand(
            "The sweeper runs every 5 minutes and cancels orders pending for 20 minutes.",
            cosine=0.9,
        ),
        cand("Cancelling is allowed for 30 minutes after an order is created.", line=2, cosine=0.6),
    ]
    result = run_alignment(
        "The sweeper runs every five minutes and cancels orders pending for 20 minutes.", evidence
    )
    assert result.conflict is None and result.agree is not None


def test_a_header_line_is_read_with_its_documents_name() -> None:
    from fakes import cand

    from checks.cascade import run_alignment

    header = cand(
        "Incident date: 2024-03-12 (Tuesday)",
        "postmortems/postmortem-2024-03-12-checkout-reservation-timeouts.md",
        3,
        cosine=0.65,
    )
    claim = "The checkout reservation-timeout incident happened on 2024-03-21."
    result = run_alignment(claim, [header])
    assert result.conflict is not None and "2024-03-12" in result.conflict[1].explain
    # the same line in a record of corpus.jsonl (no file name to read) stays off-subject
    record = cand("Incident date: 2024-03-12 (Tuesday)", "corpus.jsonl#pm-7", 3, cosine=0.65)
    assert run_alignment(claim, [record]).conflict is None


def test_a_value_left_to_the_next_sentence_is_read_with_it() -> None:
    from fakes import cand

    from checks.cascade import run_alignment

    first = "The API key is provided as `API_KEY`, injected from Vault path `secret/pay/key`."
    second = cand("It is rotated every 90 days by the Payments team.", "pay.md", 32, cosine=0.4)
    claim = "The API key is injected from the Vault path secret/pay/key and rotated every 90 days."
    alone = run_alignment(claim, [cand(first, "pay.md", 32, cosine=0.72)])
    assert alone.agree is None and alone.unstated_numbers == ("90",)
    together = run_alignment(claim, [cand(first, "pay.md", 32, cosine=0.72), second])
    assert together.agree is not None and "90 days" in together.agree[0].text
    assert together.unstated_numbers == ()
    elsewhere = cand("It is rotated every 90 days.", "other.md", 32, cosine=0.4)
    assert run_alignment(claim, [cand(first, "pay.md", 32, cosine=0.72), elsewhere]).agree is None


def test_two_agreeing_values_vouch_for_a_row_the_embedder_is_unsure_of() -> None:
    from fakes import cand

    from checks.cascade import run_alignment

    row = "Severity: SEV1; Acknowledge within: 5 minutes; IC: assigned within 15 minutes"
    claim = (
        "SEV1 pages must be acknowledged within five minutes, with an IC within fifteen minutes."
    )
    assert run_alignment(claim, [cand(row, cosine=0.41)]).agree is not None
    assert run_alignment(claim, [cand(row, cosine=0.30)]).agree is None  # too far off
    one_value = "Acknowledge within: 5 minutes; Escalate after: 10 minutes"
    claim = "Pages are acknowledged within five minutes."
    assert run_alignment(claim, [cand(one_value, cosine=0.41)]).agree is None  # one value


def test_a_history_does_not_excuse_disagreeing_with_how_things_are_now() -> None:
    from fakes import cand

    from checks.cascade import run_alignment

    past = cand(
        "Events built up under the consumer group `search-indexer-v2`.",
        "postmortem-2024-08-27-search.md",
        11,
        cosine=0.8,
    )
    now = cand("The consumer group is `search-indexer-v3`.", "config-reference.md", 43, cosine=0.7)
    claim = "search-indexer consumes under the consumer group search-indexer-v2."
    result = run_alignment(claim, [past, now])
    assert result.conflict is not None and result.conflict[0].source == "config-reference.md"
    # the same two sentences, neither a history: the closer one decides, as before
    notes = cand(past.text, "notes.md", 11, cosine=0.8)
    assert run_alignment(claim, [notes, now]).conflict is None
    # a claim about the past that only the history states is still supported by it
    assert run_alignment("Events built up under search-indexer-v2.", [past]).agree is not None


# -- the stages, as objects in one order --------------------------------------------------------


def test_the_config_default_lists_every_stage_in_order() -> None:
    from checks.cascade import STAGES
    from verify.config import DEFAULTS

    assert DEFAULTS["stages"] == [s.name for s in STAGES]


@pytest.mark.parametrize(
    "names, problem",
    [
        (("alignment", "signals", "scorer"), "verdict cannot be left out"),
        (("alignment", "scorer", "signals", "verdict"), "order"),
        (("alignment", "signals", "scorer", "verdict", "oracle"), "unknown stage"),
    ],
)
def test_a_policy_may_leave_out_only_optional_stages_and_never_reorder(
    names: tuple[str, ...], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        Policy(stages=names)


def test_without_the_judge_stage_the_judge_is_never_asked() -> None:
    judge = FakeJudge(default="contradicted")
    claim = Claim("c1", "The gateway listens on port 8443.", 0, 33)
    evidence = FakeEvidence({claim.text: [cand("The gateway listens on port 8443.")]})
    everything = Policy(judge_band=(0.0, 1.0))
    asked = Cascade(evidence, scorer=hand_scorer(), judge=judge, policy=everything)
    assert "judge:" in asked.check([claim]).verdicts[0].reason and len(judge.asked) == 1
    stages = ("alignment", "signals", "scorer", "verdict", "guards")
    dropped = Cascade(
        evidence,
        scorer=hand_scorer(),
        judge=judge,
        policy=dataclasses.replace(everything, stages=stages),
    )
    assert "judge:" not in dropped.check([claim]).verdicts[0].reason and len(judge.asked) == 1
