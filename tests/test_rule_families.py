"""Every hand-written rule family of the alignment stage can be switched off, for measurement.

Each family has a fixture (a claim and its evidence) that the family decides: switched off,
the stage's outcome changes. A test fails when a family is added without one. The switch
reaches the stage from ``Policy.disable_rules`` and from the config key ``disable_rules``;
an unknown family name is an error that names the known ones.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest
from fakes import FakeEvidence, cand, hand_scorer

from checks.alignment import FAMILIES, check_families, disabled_rules, enabled
from checks.cascade import Cascade, Policy, run_alignment
from checks.evidence import Candidate
from checks.types import Claim
from verify.checker import cascade_policy
from verify.config import load_config
from verify.errors import InputError

History = replace(
    cand("Pages were acknowledged within 10 minutes.", "docs/2024-03.md", cosine=0.95),
    heading="Postmortem: slow paging > Timeline",
)
#: family -> (claim, evidence, outcome with the family on, outcome with it off); an outcome
#: is "conflict", "agree" or "neither", or "unstated" (a number no evidence states)
FIXTURES: dict[str, tuple[str, list[Candidate], str, str]] = {
    "negation": ("Uploads are retried.", [cand("Uploads are never retried.")], "conflict", "agree"),
    "antonyms": (
        "Compression is enabled for uploads.",
        [cand("Compression is disabled for uploads.")],
        "conflict",
        "neither",
    ),
    "quantifiers": (
        "All uploads are scanned for malware.",
        [cand("Only some uploads are scanned for malware.")],
        "conflict",
        "agree",
    ),
    "universal-quantifier": (
        "All pull requests need two approvals.",
        [
            cand("Pull requests need two approvals.", cosine=0.95),
            cand("Pull requests to the release branch need three approvals.", line=2, cosine=0.8),
        ],
        "conflict",
        "agree",
    ),
    "conditions": (
        "The page is acknowledged.",
        [cand("If the page is not acknowledged, it escalates.")],
        "agree",
        "conflict",
    ),
    "instructions": (
        "The upload timeout can be overridden with FERRO_UPLOAD_TIMEOUT.",
        [cand("Do not raise the upload timeout during an incident without approval.")],
        "neither",
        "conflict",
    ),
    "unasserted": (
        "The transcode call is left without retries.",
        [cand("We discussed adding retries to the transcode call and decided against it.")],
        "neither",
        "conflict",
    ),
    "counterfactual": (
        "The transcode call is never retried.",
        [cand("Retrying the transcode call would have doubled the load.")],
        "agree",
        "conflict",
    ),
    "roles": (
        "Li Ming leads the Media team.",
        [cand("Owning team: Media (Team Ash), lead Sarah Fleming, deputy Li Ming.")],
        "conflict",
        "agree",
    ),
    "history-documents": (
        "Pages are acknowledged within 10 minutes.",
        [cand("Pages must be acknowledged within 5 minutes.", "docs/paging-policy.md"), History],
        "conflict",
        "agree",
    ),
    "history-asides": (
        "Raw uploads are kept for 30 days.",
        [cand("Raw uploads are kept (previously for 30 days) until the account closes.")],
        "neither",
        "agree",
    ),
    "header-lines": (
        "The paging policy dates from 2024-02-01.",
        [cand("Effective 2024-03-01.", "docs/paging-policy.md")],
        "conflict",
        "unstated",
    ),
    "continued-sentence": (
        "The signing key is rotated every 90 days.",
        [
            cand("The signing key is injected from the vault.", chunk_id="k", cosine=0.9),
            cand("It is rotated every 90 days.", line=2, chunk_id="k", cosine=0.3),
        ],
        "agree",
        "neither",
    ),
    "values-vouch": (
        "The gold tier has a 500 GB quota and a 30-day retention.",
        [cand("Tier: gold; Quota: 500 GB; Retention: 30 days", cosine=0.4)],
        "agree",
        "neither",
    ),
    "superseded": (
        "Raw uploads are kept for 14 days.",
        [
            cand("Raw uploads are kept for 14 days.", "docs/v2.md", cosine=0.95, superseded=True),
            cand("Raw uploads are kept for 30 days.", "docs/retention.md", cosine=0.9),
        ],
        "conflict",
        "agree",
    ),
    "unstated-numbers": (
        "The gateway runs 12 replicas.",
        [cand("The gateway runs replicas in each region.")],
        "unstated",
        "neither",
    ),
}
#: value kinds: the claim's value differs from the evidence's; off, neither is read (and a
#: number of the claim is still one no evidence states)
VALUES = {
    "durations": ("Sessions expire after 30 minutes.", "Sessions expire after 45 minutes."),
    "sizes": ("The upload limit is 10 MB.", "The upload limit is 20 MB."),
    "percentages": ("The error budget is 2%.", "The error budget is 5%."),
    "money": ("The monthly fee is $40.", "The monthly fee is $60."),
    "dates": ("The freeze starts on 2024-11-22.", "The freeze starts on 2024-11-25."),
    "versions": ("The gateway runs version 3.4.2.", "The gateway runs version 3.4.5."),
    "ports": ("The gateway listens on port 8443.", "The gateway listens on port 9443."),
    "status-codes": ("Oversized uploads return HTTP 413.", "Oversized uploads return HTTP 400."),
    "counts": ("The pool holds 30 connections.", "The pool holds 50 connections."),
    "numbers": ("The retry limit is 3.", "The retry limit is 5."),
    "identifiers": (
        "The limit is set by `upload.max_file_size_mb`.",
        "The limit is set by `upload.max_part_size_mb`.",
    ),
    "names": ("The gateway is owned by Team Ash.", "The gateway is owned by Team Birch."),
}
for _family, (_claim, _evidence) in VALUES.items():
    FIXTURES[_family] = (_claim, [cand(_evidence)], "conflict", "agree+unstated")
FIXTURES["identifiers"] = (*FIXTURES["identifiers"][:3], "neither")
FIXTURES["names"] = (*FIXTURES["names"][:3], "neither")


def outcome(claim: str, evidence: list[Candidate]) -> str:
    result = run_alignment(claim, evidence)
    if result.conflict is not None:
        return "conflict"
    if result.agree is not None:
        return "agree" if not result.unstated_numbers else "agree+unstated"
    return "unstated" if result.unstated_numbers else "neither"


def test_every_family_has_a_fixture_it_decides() -> None:
    assert set(FIXTURES) == set(FAMILIES)
    assert all(description.strip() for description in FAMILIES.values())


@pytest.mark.parametrize("family", list(FAMILIES))
def test_switching_a_family_off_changes_what_it_decides(family: str) -> None:
    claim, evidence, on, off = FIXTURES[family]
    assert outcome(claim, evidence) == on
    with disabled_rules({family}):
        assert not enabled(family)
        assert outcome(claim, evidence) == off
    assert enabled(family)
    assert outcome(claim, evidence) == on  # nothing cached across the switch


def test_switches_nest_and_are_local_to_their_context() -> None:
    seen: list[bool] = []
    with disabled_rules(["roles"]) as outer:
        assert outer == {"roles"}
        with disabled_rules(["negation"]) as inner:
            assert inner == {"roles", "negation"}
        assert enabled("negation") and not enabled("roles")
        worker = threading.Thread(target=lambda: seen.append(enabled("roles")))
        worker.start()
        worker.join()
    assert seen == [True]  # another thread's computation is untouched
    assert enabled("roles")


def test_an_unknown_family_is_an_error_naming_the_known_ones() -> None:
    known = r"unknown rule family rolez; known: negation, .*roles"
    with pytest.raises(ValueError, match=known), disabled_rules(["roles", "rolez"]):
        pass
    with pytest.raises(ValueError, match=known):
        enabled("rolez")
    with pytest.raises(ValueError, match=r"unknown rule families rolez, x; known: "):
        check_families(["x", "rolez", "roles"])
    assert enabled("roles")  # a refused switch turns nothing off


# -- from Policy and from the config ----------------------------------------------------------

CLAIM = "The gateway listens on port 8443."
SAYS_SUPPORTED = hand_scorer(intercept=(4.0, 0.0, 0.0))


def verdict(policy: Policy) -> str:
    evidence = FakeEvidence({CLAIM: [cand("The gateway listens on port 9443.")]})
    cascade = Cascade(evidence, scorer=SAYS_SUPPORTED, policy=policy)
    return cascade.check([Claim("c1", CLAIM, 0, len(CLAIM))]).verdicts[0].label


def test_policy_disable_rules_reaches_the_alignment_stage() -> None:
    assert verdict(Policy()) == "contradicted"
    # ports off: no conflicting port, and the claim's number is still stated by no evidence
    assert verdict(Policy(disable_rules=frozenset({"ports"}))) == "unverifiable"
    both = frozenset({"ports", "unstated-numbers"})
    assert verdict(Policy(disable_rules=both)) == "supported"
    assert verdict(Policy()) == "contradicted"


def test_an_unknown_family_in_a_policy_fails_closed() -> None:
    assert verdict(Policy(disable_rules=frozenset({"rolez"}))) == "error"


def test_config_disable_rules_is_validated_and_reaches_the_policy(tmp_path: Path) -> None:
    assert load_config(tmp_path)["disable_rules"] == []
    assert cascade_policy(load_config(tmp_path)).disable_rules == frozenset()
    (tmp_path / "verify.toml").write_text('disable_rules = ["roles", "unasserted"]\n')
    assert cascade_policy(load_config(tmp_path)).disable_rules == {"roles", "unasserted"}
    (tmp_path / "verify.toml").write_text('disable_rules = ["rolez"]\n')
    with pytest.raises(InputError, match=r"disable_rules: unknown rule family rolez; known: "):
        load_config(tmp_path)
    (tmp_path / "verify.toml").write_text('disable_rules = "roles"\n')
    with pytest.raises(InputError, match="disable_rules must be a list of strings"):
        load_config(tmp_path)
