"""The per-claim stages of the cascade: objects with a name and one method, in one order.

Each stage reads what the ones before it left in a ``ClaimState`` and adds its own part: the
alignment result, the signals, the scorer's probabilities, the label with its evidence and
reason, the judge's answer, the deterministic guards. ``STAGES`` is their order, the only place
it is written; ``Policy.stages`` may leave out the optional ones (``OPTIONAL``). They cannot be
reordered: each reads what the one before wrote, and the guards come after the judge so that
no model can undo them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from ..alignment import RULES, disabled_rules
from ..entailment import Entailment, Window
from ..evidence import Candidate
from ..judge import JudgeAnswer
from ..scorer import Scorer
from ..types import Claim, Evidence, Label, Usage, Verdict
from ._alignment_stage import AlignmentResult, run_alignment
from ._signals import signals

if TYPE_CHECKING:
    from ._cascade import Policy

__all__ = ["OPTIONAL", "STAGES", "ClaimState", "Stage", "StageContext", "check_stages", "stages"]


@dataclass
class ClaimState:
    """One claim on its way through the stages."""

    claim: Claim
    cands: list[Candidate]
    ent: Entailment
    aligned: AlignmentResult | None = None
    sig: dict[str, float] = field(default_factory=dict)
    probs: dict[str, float] = field(default_factory=dict)
    label: Label = "unverifiable"
    score: float = 0.0
    evidence: list[Candidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the parts of ``reason``, in order
    #: the stage that set the label, with the rules behind it: "alignment[ports]",
    #: "scorer[agree: durations]", "scorer", "entailment", "judge", "guards[unstated-numbers]"
    decided_by: str = ""
    usage: Usage = field(default_factory=Usage)

    @property
    def text(self) -> str:
        return self.claim.check_text

    @property
    def alignment(self) -> AlignmentResult:
        if self.aligned is None:
            raise RuntimeError("the alignment stage has not run")
        return self.aligned

    def verdict(self) -> Verdict:
        return Verdict(
            self.claim,
            self.label,
            float(min(1.0, max(0.0, self.score))),
            tuple(_dedupe(c.evidence() for c in self.evidence[:3])),
            "; ".join(
                [f"decided by {self.decided_by}", *self.notes] if self.decided_by else self.notes
            ),
        )


@dataclass(frozen=True)
class StageContext:
    """What a stage may use besides the claim: the policy, the scorer, the judge (asked
    through the cascade, which stops it at the deadline; None: no judge) and ``done(stage)``,
    which raises ``CheckTimeout`` once a deadline has passed."""

    policy: Policy
    scorer: Scorer
    judge: Callable[[str, list[Candidate]], JudgeAnswer] | None
    done: Callable[[str], None]


class Stage(ABC):
    name: ClassVar[str]
    #: whether the deadlines are checked when the stage returns
    timed: ClassVar[bool] = True

    @abstractmethod
    def run(self, state: ClaimState, ctx: StageContext) -> None:
        """Read ``state``, add this stage's part to it."""


class AlignmentStage(Stage):
    """Deterministic: the claim's values against the sentences about its subject."""

    name = "alignment"

    def run(self, state: ClaimState, ctx: StageContext) -> None:
        with disabled_rules(ctx.policy.disable_rules):
            state.aligned = run_alignment(state.text, state.cands)


class SignalsStage(Stage):
    """Sentence-level features, the entailment probabilities among them."""

    name = "signals"

    def run(self, state: ClaimState, ctx: StageContext) -> None:
        state.sig = signals(state.text, state.cands, state.alignment, state.ent)


class ScorerStage(Stage):
    """P(supported), P(contradicted), P(unverifiable) from the signals."""

    name = "scorer"

    def run(self, state: ClaimState, ctx: StageContext) -> None:
        state.probs = ctx.scorer.predict(state.sig)


class VerdictStage(Stage):
    """The label, its score, the evidence to cite and the reason: a conflicting value decides
    outright; else the scorer, read with the entailment model (``_label``). A conflict or an
    agreement found only by imprecise rules (``Rule.precise``: names) is weighed with the
    entailment model's reading instead (``_overruled``)."""

    name = "verdict"
    timed = False

    def run(self, state: ClaimState, ctx: StageContext) -> None:
        aligned, probs, ent = state.alignment, state.probs, state.ent
        p_sup = probs["supported"]
        notes = [f"scorer p(supported)={p_sup:.2f} p(contradicted)={probs['contradicted']:.2f}"]
        if ent.entailing is not None:
            notes.append(_entailment_note(ent))
        found = aligned.conflict or aligned.agree
        overruled = _overruled(aligned, ent, ctx.policy)
        if overruled is not None and found is not None:
            state.label = overruled
            state.score = ent.entail if overruled == "supported" else min(p_sup, 0.1)
            state.decided_by = _named("entailment", aligned.rules)
            said = "differ" if aligned.conflict else "agree"
            notes.insert(
                0,
                f"alignment: {', '.join(_deciding(aligned.rules))} {said} "
                f"({found[0].source}:{found[0].line}), weighed with the entailment model",
            )
            state.evidence = [*_cited(ent, overruled), *state.cands[:2]]
        elif aligned.conflict is not None:
            cand, al = aligned.conflict
            state.label, state.score = "contradicted", min(p_sup, 0.1)
            state.decided_by = _named("alignment", aligned.rules)
            notes.insert(0, f"alignment: {al.explain} ({cand.source}:{cand.line})")
            state.evidence = [cand]
        else:
            agree = aligned.agree
            state.label, by = _label(probs, ctx.policy, ent, agreed=agree is not None)
            agreeing = ("agree: " + ", ".join(aligned.rules),) if agree and aligned.rules else ()
            state.decided_by = _named(by, agreeing if by == "scorer" else ())
            state.score = p_sup + probs["contradicted"] if agree is not None else p_sup
            evidence = [agree[0]] if agree else []
            cited = (*_cited(ent, state.label), *state.cands[:2])
            state.evidence = evidence + [c for c in cited if c not in evidence]
            if agree:
                notes.insert(0, f"alignment: values agree with {agree[0].source}:{agree[0].line}")
        if aligned.superseded_note:
            notes.append(f"superseded: {aligned.superseded_note}")
        state.notes = notes


class JudgeStage(Stage):
    """Optional: the LLM judge, asked only where the scorer is unsure and no value conflicts."""

    name = "judge"
    timed = False  # checked only when the judge was asked

    def run(self, state: ClaimState, ctx: StageContext) -> None:
        lo, hi = ctx.policy.judge_band
        p_sup = state.probs["supported"]
        if ctx.judge is None or state.alignment.conflict is not None or not lo <= p_sup <= hi:
            return
        answer = ctx.judge(state.text, state.cands[:4])
        state.usage = answer.usage
        state.label, state.score = answer.label, _blend(p_sup, answer.label)
        state.decided_by = self.name
        state.notes.append(f"judge: {answer.label} ({answer.why})")
        ctx.done(self.name)


class GuardsStage(Stage):
    """Deterministic, after the judge too: a number that no evidence states is never
    supported unless the entailment model reads a window as entailing the claim (a number
    written another way, "fourteenth" for "14th", is stated; one that was changed is not); a
    claim with no evidence says so. Measured on the dev sets, the guard without that
    exception cost balanced accuracy on every one (docs/ablation.md)."""

    name = "guards"
    timed = False

    def run(self, state: ClaimState, ctx: StageContext) -> None:
        unstated = state.alignment.unstated_numbers
        read_as_stated = state.ent.entail >= ctx.policy.entail_threshold
        if state.label == "supported" and unstated and not read_as_stated:
            state.label, state.score = "unverifiable", min(state.score, 0.4)
            state.decided_by = _named(self.name, ("unstated-numbers",))
            state.notes.insert(0, "alignment: no evidence states " + ", ".join(unstated))
        if state.label == "unverifiable" and not state.evidence:
            state.notes.append("no passage of the corpus is about this")


#: The per-claim stages, in the order they run.
STAGES: tuple[Stage, ...] = (
    AlignmentStage(),
    SignalsStage(),
    ScorerStage(),
    VerdictStage(),
    JudgeStage(),
    GuardsStage(),
)
#: Stages a policy may leave out.
OPTIONAL = frozenset({"judge", "guards"})
_NAMES = tuple(s.name for s in STAGES)


def check_stages(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` as a stage list; ``ValueError`` naming the fix if a name is unknown, a required
    stage is missing, or the order differs from ``STAGES``."""
    wanted = tuple(names)
    unknown = [n for n in wanted if n not in _NAMES]
    if unknown:
        raise ValueError(f"unknown stage(s) {', '.join(unknown)}; stages: {', '.join(_NAMES)}")
    missing = [n for n in _NAMES if n not in wanted and n not in OPTIONAL]
    if missing:
        optional = ", ".join(sorted(OPTIONAL))
        raise ValueError(f"stage(s) {', '.join(missing)} cannot be left out; only {optional} can")
    if list(wanted) != [n for n in _NAMES if n in wanted]:
        raise ValueError(f"stages run in the order {', '.join(_NAMES)}; list them in it")
    return wanted


def stages(names: Iterable[str]) -> list[Stage]:
    """The stage objects for ``names`` (already checked), in order."""
    keep = set(names)
    return [s for s in STAGES if s.name in keep]


def _label(
    probs: dict[str, float], policy: Policy, ent: Entailment, *, agreed: bool
) -> tuple[Label, str]:
    """The scorer's label, and the stage that decided it ("scorer"; "entailment" where the
    scorer's "contradicted" went to the entailment model's windows). Without a conflicting
    value, the mass it puts on "contradicted" means "on topic": where a sentence about the
    subject states the claim's values, that mass counts for support, and the claim is never
    called contradicted. Where no value agrees, a claim the scorer finds contradicted (close
    to its evidence, yet not the same) is read by the entailment model: contradicted only if
    its windows contradict the claim at least as strongly as they entail it; else supported
    if they entail it, else unverifiable."""
    if agreed:
        on_topic = probs["supported"] + probs["contradicted"]
        return ("supported" if on_topic >= policy.support_threshold else "unverifiable"), "scorer"
    if probs["supported"] >= policy.support_threshold:
        return "supported", "scorer"
    if probs["contradicted"] >= policy.contradict_threshold:
        by = "scorer" if ent.entailing is None and ent.contradicting is None else "entailment"
        if ent.contradict >= ent.entail:
            return "contradicted", by
        return ("supported" if ent.entail >= policy.entail_threshold else "unverifiable"), by
    return "unverifiable", "scorer"


def _overruled(aligned: AlignmentResult, ent: Entailment, policy: Policy) -> Label | None:
    """The entailment model's label where it overrules a finding of imprecise rules alone: a
    conflict of names that the windows entail (supported), an agreement of names that they
    contradict and do not entail (contradicted); None where the alignment stands."""
    if not _imprecise(aligned.rules):
        return None
    threshold = policy.entail_threshold
    entails = ent.entail >= threshold and ent.entail > ent.contradict
    if aligned.conflict is not None:
        return "supported" if entails else None
    contradicts = ent.contradict >= threshold and ent.entail < threshold
    return "contradicted" if aligned.agree is not None and contradicts else None


def _deciding(rules: Iterable[str]) -> list[str]:
    """The value and polarity rules among ``rules``: those of document structure
    ("header-lines", "superseded") only let a finding stand."""
    return [r for r in rules if r in RULES and RULES[r].kind != "structure"]


def _imprecise(rules: Iterable[str]) -> bool:
    """Whether the value and polarity rules among ``rules`` are all imprecise (and there is
    one)."""
    deciding = _deciding(rules)
    return bool(deciding) and not any(RULES[r].precise for r in deciding)


def _named(stage: str, rules: Iterable[str]) -> str:
    """``stage[rule, ...]``, or ``stage`` alone."""
    named = ", ".join(rules)
    return f"{stage}[{named}]" if named else stage


def _cited(ent: Entailment, label: Label) -> list[Candidate]:
    """The sentence whose window decided ``label``, to cite first."""
    window = {"supported": ent.entailing, "contradicted": ent.contradicting}.get(label)
    return [window.anchor] if window is not None else []


def _entailment_note(ent: Entailment) -> str:
    def at(window: Window | None) -> str:
        return f"{window.anchor.source}:{window.anchor.line}" if window else "-"

    return (
        f"entailment p(entails)={ent.entail:.2f} ({at(ent.entailing)}) "
        f"p(contradicts)={ent.contradict:.2f} ({at(ent.contradicting)})"
    )


def _blend(p_sup: float, judged: Label) -> float:
    return (p_sup + (1.0 if judged == "supported" else 0.0)) / 2


def _dedupe(items: Iterable[Evidence]) -> list[Evidence]:
    out: list[Evidence] = []
    for e in items:
        if e not in out:
            out.append(e)
    return out
