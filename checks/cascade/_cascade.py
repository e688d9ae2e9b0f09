"""The verdict cascade, cheapest stage first; each stage that spoke is named in ``reason``.

For all claims of a check at once: retrieval, then entailment (a cross-encoder reads each
claim against sentence-aligned windows around its best candidates, in one batch). Then, per
claim, the stage objects of ``_stages`` in their one order (``STAGES``): deterministic
alignment (a current document disagreeing on a key value of the same subject makes the claim
``contradicted`` outright, unless only names disagree and the entailment model reads support),
sentence-level signals, the learned scorer, the verdict (the best window is cited), an
optional LLM judge asked only where the scorer is uncertain, and the deterministic guards
(a number no evidence states is not supported unless the entailment model reads it as
stated), which no judge overrules.
Evidence that disguises a word (look-alike letters, hidden characters: ``disguised``) is left
out before stage 1: it is not about the subject it imitates.
Any failure in any stage makes that claim's verdict ``error`` (fail closed), with a reason
naming the stage. Two deadlines: ``claim_timeout`` per claim, checked after every stage, and
``run_timeout`` for all the checks of one run (one command), counted from ``started``. The
judge's model call is stopped at the nearer of them, not only checked after it returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .._errors import CheckError, CheckTimeout
from ..entailment import Entailment, EntailmentModel, entailment, get_entailment
from ..evidence import Candidate, EvidenceSource
from ..extraction import disguised
from ..judge import Judge, JudgeAnswer
from ..scorer import Scorer, default_scorer
from ..types import Claim, Usage, Verdict
from ._signals import SIGNALS
from ._stages import STAGES, ClaimState, StageContext, check_stages, stages

__all__ = ["Cascade", "CascadeResult", "Policy"]


@dataclass(frozen=True)
class Policy:
    support_threshold: float = 0.4  # P(supported) at or above which a claim is supported
    contradict_threshold: float = 0.5  # P(contradicted) at or above which it is contradicted
    judge_band: tuple[float, float] = (0.3, 0.7)  # P(supported) range the judge is asked in
    claim_timeout: float = 30.0  # seconds per claim
    run_timeout: float | None = None  # seconds for every check of one run; None: no limit
    disable_rules: frozenset[str] = frozenset()  # alignment rules switched off (RULES)
    entailment_windows: int = 4  # candidate sentences read with their neighbours per claim
    #: P(entails), or P(contradicts), at or above which the entailment model's window reads as
    #: support (or contradiction): of a claim the scorer doubts, of a conflict or an agreement
    #: of names alone, of a number no evidence states in digits
    entail_threshold: float = 0.5
    stages: tuple[str, ...] = tuple(s.name for s in STAGES)  # per-claim stages that run

    def __post_init__(self) -> None:
        check_stages(self.stages)


@dataclass
class CascadeResult:
    verdicts: list[Verdict]
    usage: Usage = field(default_factory=Usage)
    signals: list[dict[str, float]] = field(default_factory=list)


class Cascade:
    def __init__(
        self,
        evidence: EvidenceSource,
        *,
        scorer: Scorer | None = None,
        judge: Judge | None = None,
        entailment: EntailmentModel | None = None,
        policy: Policy | None = None,
        clock: Callable[[], float] = time.monotonic,
        started: float | None = None,
    ) -> None:
        """``entailment``: the model that reads claims against their windows [default: the
        bundled one, loaded at the first check]."""
        self.evidence = evidence
        self.scorer = scorer
        self.judge = judge
        self.entailment = entailment
        self.policy = policy or Policy()
        self._clock = clock
        # when the run began, on ``clock``; None: at the first ``check``
        self._started = started

    def check(self, claims: Sequence[Claim]) -> CascadeResult:
        """Verdicts for ``claims``, in order. Never raises for one claim's failure."""
        if not claims:
            return CascadeResult([])
        run_deadline = self._run_deadline()
        try:
            self._in_time(run_deadline, "claim extraction and loading", per="run")
            scorer = self.scorer or default_scorer()
            missing = set(SIGNALS) ^ set(scorer.features)
            if missing:
                raise CheckError(
                    f"scorer weights do not match the signals ({', '.join(sorted(missing))}); "
                    "regenerate them with benchmarks/train_scorer.py"
                )
        except CheckTimeout as exc:
            return CascadeResult([_error(c, str(exc)) for c in claims])
        except Exception as exc:
            why = f"scorer unusable: {_what(exc)}"
            return CascadeResult([_error(c, why) for c in claims])
        step = "embedding the claims"
        try:
            vectors = self.evidence.embed([c.check_text for c in claims])
            self._in_time(run_deadline, f"retrieval ({step})", per="run")
            step = "searching the index"
            all_cands = [
                [c for c in cands if not disguised(c.text)]
                for cands in self.evidence.candidates(claims, vectors)
            ]
            self._in_time(run_deadline, f"retrieval ({step})", per="run")
        except CheckTimeout as exc:
            return CascadeResult([_error(c, str(exc)) for c in claims])
        except Exception as exc:  # retrieval failed: every claim is an error
            why = f"retrieval failed {step}: {_what(exc)}"
            return CascadeResult([_error(c, why) for c in claims])
        try:
            model = self.entailment = self.entailment or get_entailment()
            texts = [c.check_text for c in claims]
            timeout = None if run_deadline is None else run_deadline - self._clock()
            entailed = entailment(
                model, texts, all_cands, best=self.policy.entailment_windows, timeout=timeout
            )
            self._in_time(run_deadline, "entailment", per="run")
        except CheckTimeout as exc:
            return CascadeResult([_error(c, str(exc)) for c in claims])
        except Exception as exc:  # the model failed: no claim has a verdict
            why = f"check failed in the entailment stage: {_what(exc)}"
            return CascadeResult([_error(c, why) for c in claims])
        result = CascadeResult([])
        for claim, cands, ent in zip(claims, all_cands, entailed, strict=True):
            tracker = _Stage()
            try:
                verdict, sig, usage = self._one(claim, cands, ent, scorer, tracker, run_deadline)
            except Exception as exc:
                verdict, sig, usage = _error(claim, tracker.failed(exc)), {}, Usage()
            result.verdicts.append(verdict)
            result.signals.append(sig)
            result.usage = result.usage + usage
        return result

    def _run_deadline(self) -> float | None:
        if self.policy.run_timeout is None:
            return None
        if self._started is None:
            self._started = self._clock()
        return self._started + self.policy.run_timeout

    def _one(
        self,
        claim: Claim,
        cands: list[Candidate],
        ent: Entailment,
        scorer: Scorer,
        tracker: _Stage,
        run_deadline: float | None,
    ) -> tuple[Verdict, dict[str, float], Usage]:
        deadline = self._clock() + self.policy.claim_timeout

        def done(name: str) -> None:
            self._in_time(deadline, name)
            self._in_time(run_deadline, name, per="run")

        judge = self.judge
        ask = None
        if judge is not None:

            def ask(text: str, evidence: list[Candidate]) -> JudgeAnswer:
                return self._judged(judge, text, evidence, deadline, run_deadline)

        ctx = StageContext(self.policy, scorer, ask, done)
        state = ClaimState(claim, cands, ent)
        for stage in stages(self.policy.stages):
            tracker.name = stage.name
            stage.run(state, ctx)
            if stage.timed:
                done(stage.name)
        return state.verdict(), state.sig, state.usage

    def _judged(
        self,
        judge: Judge,
        text: str,
        evidence: list[Candidate],
        deadline: float,
        run_deadline: float | None,
    ) -> JudgeAnswer:
        """The judge's answer, its call stopped at whichever deadline comes first."""
        per, until = "claim", deadline
        if run_deadline is not None and run_deadline < deadline:
            per, until = "run", run_deadline
        try:
            return judge.judge(text, evidence, timeout=until - self._clock())
        except CheckTimeout as exc:
            raise CheckTimeout(
                f"judge was stopped at the per-{per} deadline of {self._limit(per):g}s ({exc})"
            ) from exc

    def _in_time(self, deadline: float | None, stage: str, *, per: str = "claim") -> None:
        if deadline is None or self._clock() <= deadline:
            return
        raise CheckTimeout(f"{stage} ran past the per-{per} deadline of {self._limit(per):g}s")

    def _limit(self, per: str) -> float | None:
        return self.policy.claim_timeout if per == "claim" else self.policy.run_timeout


class _Stage:
    """Which stage of one claim's check is running, so a failure can name it."""

    def __init__(self) -> None:
        self.name = "alignment"

    def failed(self, exc: Exception) -> str:
        if isinstance(exc, CheckTimeout):
            return f"check failed: {exc}"
        return f"check failed in the {self.name} stage: {_what(exc)}"


def _what(exc: Exception) -> str:
    """An exception as a reason: its message, with its type unless it is one of ours."""
    if isinstance(exc, CheckError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


def _error(claim: Claim, why: str) -> Verdict:
    return Verdict(claim, "error", 0.0, (), why)
