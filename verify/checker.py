"""From text to an ``Outcome``: extract claims, run the cascade, apply the block policy.

The one place that wires an evidence source, a scorer and an optional judge together for
``check``, ``run``, ``gate`` and ``bench``: every cascade is built by ``make_cascade``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from checks.cascade import Cascade, CascadeResult, Policy
from checks.entailment import EntailmentError, EntailmentModel, get_entailment
from checks.evidence import ContextEvidence, EvidenceSource, IndexEvidence
from checks.extraction import answer_claims, extract_claims
from checks.judge import Judge, LlmJudge
from checks.llm import Generator, LlamaCppGenerator, get_generator
from checks.types import Claim
from reports import Outcome
from retrieval import Embedder, Index, get_embedder

from .config import Config
from .errors import InputError, InternalError
from .policy import BlockPolicy, decide

__all__ = [
    "Checker",
    "cascade_policy",
    "context_evidence",
    "entailment_model",
    "evidence_from",
    "extraction_failed",
    "judge_from",
    "make_cascade",
    "open_index",
]


def cascade_policy(config: Config) -> Policy:
    return Policy(
        support_threshold=float(config["support_threshold"]),
        contradict_threshold=float(config["contradict_threshold"]),
        claim_timeout=float(config["claim_timeout"]),
        run_timeout=float(config["run_timeout"]),
        disable_rules=frozenset(config["disable_rules"]),
        entailment_windows=int(config["entailment_windows"]),
        stages=tuple(config["stages"]),
    )


def make_cascade(
    evidence: EvidenceSource,
    config: Config,
    *,
    judge: Judge | None = None,
    started: float | None = None,
) -> Cascade:
    """The verdict cascade on ``evidence`` with the policy of ``config``: every command's
    cascade is built here. ``started``: when ``run_timeout`` starts counting
    (``time.monotonic``) [default: at the cascade's first check]."""
    return Cascade(
        evidence,
        judge=judge,
        entailment=entailment_model(str(config["entailment"]), str(config["entailment_precision"])),
        policy=cascade_policy(config),
        started=started,
    )


@lru_cache(maxsize=4)
def entailment_model(name: str, precision: str = "auto") -> EntailmentModel:
    """The entailment model ``name`` names (config ``entailment``, ``--entailment``), computing
    in ``precision`` (config ``entailment_precision``), one per process: every cascade of a
    command shares it, and it loads at the first check. A name that is neither registered nor
    a folder is an ``InputError`` (exit 2)."""
    try:
        return get_entailment(name, precision=precision)
    except EntailmentError as exc:
        raise InputError(f"--entailment: {exc}") from exc


def evidence_from(
    index_dir: Path, contexts: Sequence[Path], embedder: str, precision: str = "auto"
) -> EvidenceSource:
    """Passages given with ``--context`` if any, else the index at ``index_dir``; the
    embedder computes in ``precision`` (config ``embedder_precision``)."""
    if contexts:
        passages = []
        for path in contexts:
            try:
                passages.append((path.name, path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read context file {str(path)!r}: {exc}") from exc
        return ContextEvidence(passages, get_embedder(embedder, precision=precision))
    return IndexEvidence(Index.open(index_dir, precision=precision))


def open_index(
    folder: Path, embedder: Embedder, shared: Callable[[str], Embedder] = get_embedder
) -> Index:
    """The index at ``folder``, read with ``embedder`` when it was built with that model, else
    with ``shared(name)`` of the model it names (a caller that keeps one instance per name
    loads each model once)."""
    index = Index.open(folder, embedder=embedder)
    name = index.meta.get("embedder")
    if name != embedder.name:  # built with another model
        index.close()
        index = Index.open(folder, embedder=shared(name)) if name else Index.open(folder)
    return index


def context_evidence(texts: Sequence[str], embedder: Embedder) -> ContextEvidence:
    """A claim's own passages as its only evidence (a batch line's or a bench claim's
    ``context``), cited as ``context[0]``, ``context[1]``, ..."""
    return ContextEvidence([(f"context[{i}]", t) for i, t in enumerate(texts)], embedder)


def extraction_failed(exc: BaseException, where: str = "") -> InternalError:
    """The error for claim extraction that raised (on ``where``, a place in a change)."""
    on = f" on {where}" if where else ""
    return InternalError(f"claim extraction failed{on}: {type(exc).__name__}: {exc}".rstrip(": "))


def _judge_generator(name: str) -> Generator:
    """The judge's generator; a GGUF path is checked now, not when a claim first needs it
    (a missing model would otherwise pass unnoticed whenever no claim is uncertain)."""
    generator = get_generator(name)
    if isinstance(generator, LlamaCppGenerator) and generator.path is not None:
        path = generator.path
        try:
            with path.open("rb") as fh:
                magic = fh.read(4)
        except OSError as exc:
            raise InputError(
                f"--judge {name!r}: cannot read the model file "
                f"({exc.strerror or exc}); pass an existing .gguf"
            ) from exc
        if magic != b"GGUF":
            raise InputError(f"--judge {name!r} is not a GGUF model file; pass a .gguf")
    return generator


def judge_from(name: str | None) -> Judge | None:
    """The judge ``--judge NAME`` asks for (a GGUF path or a registered generator), or None.
    A GGUF that cannot be read is an ``InputError`` now (exit 2)."""
    return LlmJudge(_judge_generator(name)) if name else None


@dataclass
class Checker:
    cascade: Cascade
    policy: BlockPolicy  # which verdicts block, and how many may

    @classmethod
    def build(
        cls,
        evidence: EvidenceSource,
        config: Config,
        *,
        judge: str | None = None,
        policy: BlockPolicy | None = None,
        started: float | None = None,
    ) -> Checker:
        """``started``: when the run began (``time.monotonic``) [default: when the command
        loaded ``config``]; ``run_timeout`` counts from it."""
        cascade = make_cascade(
            evidence,
            config,
            judge=judge_from(judge),
            started=config.started if started is None else started,
        )
        return cls(cascade, policy or BlockPolicy.from_config(config))

    def check_claims(self, claims: Sequence[Claim]) -> CascadeResult:
        return self.cascade.check(claims)

    def check_text(self, text: str, question: str | None = None) -> Outcome:
        """Claims of ``text`` (read as the answer to ``question`` if given) and their
        verdicts. A failure to extract them is an ``InternalError`` naming extraction (exit
        3: an unread text never passes)."""
        try:
            claims = (
                extract_claims(text).claims if question is None else answer_claims(text, question)
            )
        except Exception as exc:
            raise extraction_failed(exc) from exc
        result = self.cascade.check(claims)
        return Outcome(
            tuple(result.verdicts),
            decide(result.verdicts, self.policy),
            usage=result.usage,
            text=text,
            blocking=self.policy.block,
        )
