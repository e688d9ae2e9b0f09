"""Every hand-written rule of the alignment stage is a named object with examples, and can be
switched off, for measurement.

Each rule's examples (a claim and its evidence, ``checks.alignment.RULES``) become tests here:
the stage concludes what the example says with the rule on, something else with it off, and
the rules the stage names for a conclusion include it where it decided one. A rule without an
example fails. The switch reaches the stage from ``Policy.disable_rules``, the config key
``disable_rules`` and ``--disable-rule``; an unknown rule name is an error naming the known ones.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakes import ConstantEntailment, FakeEntailment, FakeEvidence, FakeJudge, cand, hand_scorer

from checks.alignment import RULES, Example, check_rules, disabled_rules, enabled
from checks.cascade import Cascade, Policy, run_alignment
from checks.entailment import EntailmentModel
from checks.evidence import Candidate
from checks.types import Claim, Verdict
from verify.checker import cascade_policy
from verify.cli import cli
from verify.config import load_config
from verify.errors import InputError


def candidates(example: Example) -> list[Candidate]:
    return [
        replace(
            cand(
                p.text, p.source, p.line, cosine=p.cosine, superseded=p.superseded, chunk_id=p.chunk
            ),
            heading=p.heading,
        )
        for p in example.evidence
    ]


EXAMPLES = [
    pytest.param(rule.name, example, id=f"{rule.name}-{i}")
    for rule in RULES.values()
    for i, example in enumerate(rule.examples)
]


def outcome(claim: str, evidence: list[Candidate]) -> str:
    result = run_alignment(claim, evidence)
    if result.conflict is not None:
        return "conflict"
    if result.agree is not None:
        return "agree" if not result.unstated_numbers else "agree+unstated"
    return "unstated" if result.unstated_numbers else "neither"


def test_every_rule_has_a_name_a_description_and_an_example_it_decides() -> None:
    for name, rule in RULES.items():
        assert rule.name == name and rule.matches.strip()
        assert rule.examples, f"rule {name} has no example"
        assert all(e.on != e.off for e in rule.examples), f"an example of {name} decides nothing"


@pytest.mark.parametrize(("rule", "example"), EXAMPLES)
def test_switching_a_rule_off_changes_what_it_decides(rule: str, example: Example) -> None:
    evidence = candidates(example)
    assert outcome(example.claim, evidence) == example.on
    with disabled_rules({rule}):
        assert not enabled(rule)
        assert outcome(example.claim, evidence) == example.off
    assert enabled(rule)
    assert outcome(example.claim, evidence) == example.on  # nothing cached across the switch


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


def test_an_unknown_rule_is_an_error_naming_the_known_ones() -> None:
    known = r"unknown rule rolez; known: negation, .*roles"
    with pytest.raises(ValueError, match=known), disabled_rules(["roles", "rolez"]):
        pass
    with pytest.raises(ValueError, match=known):
        enabled("rolez")
    with pytest.raises(ValueError, match=r"unknown rules rolez, x; known: "):
        check_rules(["x", "rolez", "roles"])
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


def test_an_unknown_rule_in_a_policy_fails_closed() -> None:
    assert verdict(Policy(disable_rules=frozenset({"rolez"}))) == "error"


def test_config_disable_rules_is_validated_and_reaches_the_policy(tmp_path: Path) -> None:
    assert load_config(tmp_path)["disable_rules"] == []
    assert cascade_policy(load_config(tmp_path)).disable_rules == frozenset()
    (tmp_path / "verify.toml").write_text('disable_rules = ["roles", "unasserted"]\n')
    assert cascade_policy(load_config(tmp_path)).disable_rules == {"roles", "unasserted"}
    (tmp_path / "verify.toml").write_text('disable_rules = ["rolez"]\n')
    with pytest.raises(InputError, match=r"disable_rules: unknown rule rolez; known: "):
        load_config(tmp_path)
    (tmp_path / "verify.toml").write_text('disable_rules = "roles"\n')
    with pytest.raises(InputError, match="disable_rules must be a list of strings"):
        load_config(tmp_path)


# -- the rules a conclusion names --------------------------------------------------------------


@pytest.mark.parametrize(("rule", "example"), EXAMPLES)
def test_a_rule_that_decides_a_conflict_or_an_agreement_is_named_for_it(
    rule: str, example: Example
) -> None:
    """Where the example's conclusion (rule on) is a conflict or an agreement, the stage names
    the rule among those behind it; rules that only keep a conflict from being found
    ("conditions", "unasserted", ...) or guard a number are named by the stage that acts."""
    result = run_alignment(example.claim, candidates(example))
    if example.on in ("conflict", "agree") and example.off != "conflict":
        assert rule in result.rules
    elif example.on == "conflict":
        assert result.rules  # a conflict always names what found it
    else:
        assert rule not in result.rules


# -- the verdict's reason names the stage and the rules ----------------------------------------


def verdict_of(
    claim: str,
    evidence: str,
    *,
    scorer: tuple[float, float, float] = (4.0, 0.0, 0.0),
    judge: FakeJudge | None = None,
    cosine: float = 0.9,
    entailment: EntailmentModel | None = None,
) -> Verdict:
    """``claim``'s verdict against one evidence sentence, the scorer's logits fixed at
    ``scorer`` (supported, contradicted, unverifiable) [entailment: ``FakeEntailment``]."""
    cascade = Cascade(
        FakeEvidence({claim: [cand(evidence, "docs/gateway.md", cosine=cosine)]}),
        scorer=hand_scorer(intercept=scorer),
        judge=judge,
        entailment=entailment or FakeEntailment(),
    )
    return cascade.check([Claim("c1", claim, 0, len(claim))]).verdicts[0]


def reason(claim: str, evidence: str, **how: Any) -> str:
    return verdict_of(claim, evidence, **how).reason


def test_a_conflict_names_the_alignment_stage_and_the_value_rule() -> None:
    why = reason("The gateway listens on port 8443.", "The gateway serves HTTPS on port 9443.")
    assert why.startswith("decided by alignment[ports]; alignment: claim says port 8443")
    why = reason("Uploads to the gateway are retried.", "Uploads to the gateway are never retried.")
    assert why.startswith("decided by alignment[negation]; ")


def test_an_agreement_names_the_scorer_and_the_rules_that_read_the_values() -> None:
    why = reason("The gateway listens on port 8443.", "The gateway serves HTTPS on port 8443.")
    assert why.startswith("decided by scorer[agree: ports]; alignment: values agree with")


def test_names_alone_are_weighed_with_the_entailment_model() -> None:
    # a name is imprecise (a surname, a nickname): a conflict of names alone stands only
    # where the windows do not entail the claim
    owned = ("The gateway is owned by Team Ash.", "The gateway is owned by Team Birch.")
    assert not RULES["names"].precise and RULES["ports"].precise
    entailed = verdict_of(*owned, entailment=ConstantEntailment(0.9, 0.05))
    assert entailed.label == "supported"
    assert entailed.reason.startswith("decided by entailment[names]; alignment: names differ")
    neutral = verdict_of(*owned, entailment=ConstantEntailment(0.1, 0.1))
    assert neutral.label == "contradicted" and neutral.reason.startswith(
        "decided by alignment[names]"
    )
    # ... and an agreement of names alone does not support what the windows contradict
    same = ("The gateway is owned by Team Ash.", "The gateway is owned by Team Ash.")
    contradicted = verdict_of(*same, entailment=ConstantEntailment(0.1, 0.9))
    assert contradicted.label == "contradicted"
    assert contradicted.reason.startswith("decided by entailment[names]; alignment: names agree")
    assert verdict_of(*same, entailment=ConstantEntailment(0.1, 0.1)).label == "supported"


def test_precise_values_decide_whatever_the_entailment_model_reads() -> None:
    port = "The gateway listens on port 8443."
    entails, contradicts = ConstantEntailment(0.95, 0.0), ConstantEntailment(0.0, 0.95)
    wrong = verdict_of(port, "The gateway listens on port 9443.", entailment=entails)
    assert wrong.label == "contradicted" and wrong.reason.startswith("decided by alignment[ports]")
    right = verdict_of(port, "The gateway listens on port 8443.", entailment=contradicts)
    assert right.label == "supported" and right.reason.startswith("decided by scorer[agree: ports]")


def test_the_guard_names_itself_and_its_rule() -> None:
    claim, evidence = "The gateway runs 12 replicas.", "The gateway runs replicas in each region."
    why = reason(claim, evidence)
    assert why.startswith("decided by guards[unstated-numbers]; alignment: no evidence states 12")
    with disabled_rules({"unstated-numbers"}):
        assert reason(claim, evidence).startswith("decided by scorer; ")
    # nor may the judge's word alone support the number
    judged = reason(claim, evidence, scorer=(0.0, 0.0, 0.0), judge=FakeJudge(default="supported"))
    assert judged.startswith("decided by guards[unstated-numbers]; ")


def test_the_guard_lets_a_number_stand_where_the_entailment_model_reads_it_stated() -> None:
    # "a dozen", "twelve": a number the value reader misses, the model may read
    claim, evidence = "The gateway runs 12 replicas.", "The gateway runs replicas in each region."
    stated = verdict_of(claim, evidence, entailment=ConstantEntailment(0.9, 0.0))
    assert stated.label == "supported" and stated.reason.startswith("decided by scorer; ")
    below = ConstantEntailment(0.45, 0.0)  # under entail_threshold
    unsure = verdict_of(claim, evidence, entailment=below)
    assert unsure.label == "unverifiable"


def test_the_entailment_model_is_named_where_it_overrules_the_scorers_contradiction() -> None:
    # no value to align, no sentence close enough to agree; the scorer leans to
    # contradicted, the windows entail the claim
    why = reason(
        "The gateway serves HTTPS traffic.",
        "The gateway serves HTTPS traffic for every tenant.",
        scorer=(0.0, 4.0, 0.0),
        cosine=0.6,
    )
    assert why.startswith("decided by entailment; ")


def test_the_judge_is_named_where_it_decides() -> None:
    judge = FakeJudge(default="unverifiable")
    why = reason(
        "The gateway serves HTTPS traffic.", "Tenants pay monthly.", scorer=(0, 0, 0), judge=judge
    )
    assert judge.asked and why.startswith("decided by judge; ")


# -- from the command line ---------------------------------------------------------------------


def check_json(tmp_path: Path, *flags: str) -> tuple[int, dict[str, Any]]:
    passages = tmp_path / "retrieved.txt"
    passages.write_text("The upload gateway listens on port 8443 for HTTPS traffic.\n")
    result = CliRunner().invoke(
        cli,
        [
            *("check", "The upload gateway listens on port 9443.", "--context", str(passages)),
            *("--embedder", "fake-hash", "--entailment", "fake-overlap", "--json", *flags),
        ],
    )
    return result.exit_code, (json.loads(result.output) if result.output.strip() else {})


def test_disable_rule_on_the_command_line_switches_the_rule_off(tmp_path: Path) -> None:
    code, out = check_json(tmp_path)
    (verdict,) = out["claims"]
    assert code == 1 and verdict["verdict"] == "contradicted"
    assert verdict["reason"].startswith("decided by alignment[ports]; ")
    code, out = check_json(
        tmp_path, "--disable-rule", "ports", "--disable-rule", "unstated-numbers"
    )
    (verdict,) = out["claims"]
    assert verdict["verdict"] != "contradicted" and "ports" not in verdict["reason"]
    code, same = check_json(tmp_path, "--disable-rule", "ports,unstated-numbers")
    assert same["claims"][0]["verdict"] == verdict["verdict"]


def test_an_unknown_rule_on_the_command_line_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "x", "--disable-rule", "portz"])
    assert result.exit_code == 2
    assert "unknown rule portz; known: negation," in result.output
    assert "`verify rules` lists them" in result.output


def test_verify_rules_lists_every_rule_and_its_examples() -> None:
    text = CliRunner().invoke(cli, ["rules"])
    assert text.exit_code == 0
    assert [line.split()[0] for line in text.output.splitlines()] == list(RULES)
    weighed = [line.split()[0] for line in text.output.splitlines() if "[imprecise" in line]
    assert weighed == [name for name, rule in RULES.items() if not rule.precise] == ["names"]
    listed = json.loads(CliRunner().invoke(cli, ["rules", "--json"]).output)
    assert [r["name"] for r in listed] == list(RULES)
    assert all(r["examples"] and r["examples"][0]["claim"] for r in listed)
    assert [r["name"] for r in listed if not r["precise"]] == ["names"]
