"""Test doubles that go through the same interfaces as the real thing.

``HashEmbedder`` is a deterministic bag-of-words embedder: each lowercased word token is hashed
into one of 384 dimensions, and the vector is L2-normalised. Texts that share words are close,
texts that share none are orthogonal, and nothing is loaded from disk. It records what it was
asked to embed, so tests can count re-embedding, and it can be told to fail or to be slow.

For the agent: ``ScriptedBackend`` (a ``verify.agent.Backend``) queues canned actions and
records what it was asked; ``ScriptedCascade`` labels claims by words instead of evidence and
can be told to raise or to be slow; ``RecordingCallLog`` implements the runner's ``CallLog``
protocol in memory.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

import retrieval
from checks.cascade import SIGNALS, Cascade, CascadeResult
from checks.entailment import LABELS, EntailmentModel, register_entailment
from checks.evidence import Candidate, EvidenceSource
from checks.judge import Judge, JudgeAnswer
from checks.llm import Generation, Generator, Message
from checks.scorer import CLASSES, Scorer
from checks.types import Claim, Label, Usage, Verdict
from verify.agent import Action, Backend, Proposal, Turn

if TYPE_CHECKING:  # the subprocess tests import this module without pytest
    import pytest

__all__ = [
    "CORPUS_FILES",
    "CORPUS_RECORDS",
    "FAKE_EMBEDDER",
    "FAKE_ENTAILMENT",
    "SMALL_MAX_BYTES",
    "Built",
    "EmbedderCrashed",
    "FakeClock",
    "FakeEntailment",
    "FakeEvidence",
    "FakeGenerator",
    "FakeJudge",
    "HashEmbedder",
    "cand",
    "deny_reading",
    "hand_scorer",
    "register",
    "write_bad_files",
    "write_corpus",
]

FAKE_EMBEDDER = "fake-hash"
_WORD = re.compile(r"\w+")


class EmbedderCrashed(RuntimeError):
    """Raised by a ``HashEmbedder`` told to fail, standing in for a model crash."""


class HashEmbedder(retrieval.Embedder):
    name = FAKE_EMBEDDER
    dim = 384

    def __init__(self, *, fail_after: int | None = None, delay: float = 0.0) -> None:
        self.fail_after = fail_after  # raise once this many texts have been embedded
        self.delay = delay  # seconds to sleep per batch
        self.calls = 0  # embed_batch calls
        self.texts: list[str] = []  # every text embedded, in order

    def embed_batch(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls += 1
        if self.fail_after is not None and len(self.texts) + len(texts) > self.fail_after:
            raise EmbedderCrashed(f"fake embedder told to fail after {self.fail_after} texts")
        if self.delay:
            time.sleep(self.delay)
        self.texts.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        unit: npt.NDArray[np.float32] = (out / norms).astype(np.float32)
        return unit


FAKE_ENTAILMENT = "fake-overlap"


class FakeEntailment(EntailmentModel):
    """Entailment by words: a premise holding every word of the hypothesis entails it (0.9),
    one holding all but a word flagged ``not``/``never``/``no`` contradicts it (0.9), anything
    else is neutral. Records every pair it reads; ``fail`` makes it raise, ``nan`` makes it
    return NaN, as a broken model would."""

    name = FAKE_ENTAILMENT

    def __init__(self, *, fail: Exception | None = None, nan: bool = False) -> None:
        self.fail, self.nan = fail, nan
        self.pairs: list[tuple[str, str]] = []

    def predict_batch(self, pairs: Sequence[tuple[str, str]]) -> npt.NDArray[np.float32]:
        if self.fail is not None:
            raise self.fail
        self.pairs.extend(pairs)
        out = np.full((len(pairs), len(LABELS)), 0.05, dtype=np.float32)
        for row, (premise, hypothesis) in enumerate(pairs):
            have = set(_WORD.findall(premise.lower()))
            need = set(_WORD.findall(hypothesis.lower()))
            missing = need - have
            if not missing:
                out[row, LABELS.index("entailment")] = 0.9
            elif missing <= {"not", "never", "no"}:
                out[row, LABELS.index("contradiction")] = 0.9
            else:
                out[row, LABELS.index("neutral")] = 0.9
        return np.full_like(out, np.nan) if self.nan else out


class ConstantEntailment(EntailmentModel):
    """The same P(entails) and P(contradicts) for every pair, the rest neutral."""

    def __init__(self, entail: float, contradict: float) -> None:
        self.row = np.zeros(len(LABELS), dtype=np.float32)
        self.row[[LABELS.index("entailment"), LABELS.index("contradiction")]] = entail, contradict
        self.row[LABELS.index("neutral")] = 1.0 - entail - contradict

    def predict_batch(self, pairs: Sequence[tuple[str, str]]) -> npt.NDArray[np.float32]:
        return np.tile(self.row, (len(pairs), 1))


def register() -> None:
    """Make ``--embedder fake-hash``, indexes built with it, and ``--entailment
    fake-overlap`` usable, by the public paths."""
    retrieval.register_embedder(FAKE_EMBEDDER, HashEmbedder)
    register_entailment(FAKE_ENTAILMENT, FakeEntailment)


# -- a small corpus about a fictional service, with distinct words per file ------------

CORPUS_FILES: dict[str, str] = {
    "docs/gateway.md": """\
# Upload Gateway

The upload gateway accepts chunked uploads from customers.

## Ports

The gateway listens on port 8443 for HTTPS traffic.
Health checks are served on port 9100.

## Restarting

To restart the gateway, drain the node first, then run the restart script.
""",
    "docs/retention.md": """\
# Data Retention

Raw uploads are kept for fourteen days after transcoding finishes.

Audit logs are kept for four hundred days.
""",
    "config/service.yaml": """\
gateway:
  listen_port: 8443
  max_body_mb: 512
transcoder:
  workers: 6
  queue: ffmpeg-jobs
""",
    "src/quota.py": '''\
"""Quota accounting for tenants."""

LIMIT = 100


def remaining_quota(used: int) -> int:
    """How many uploads a tenant has left today."""
    return LIMIT - used


class QuotaLedger:
    def charge(self, tenant: str) -> None:
        pass
''',
    "notes.txt": """\
Oncall rotation changes every Monday at noon.

Escalate pager incidents to the duty manager after thirty minutes.
""",
}

CORPUS_RECORDS = [
    {"id": "faq-1", "title": "Billing", "text": "Invoices are emailed on the first business day."},
    {"id": "faq-2", "title": "Regions", "text": "Storage is replicated across three regions."},
]


def write_corpus(root: Path) -> Path:
    """Write the standard test corpus under ``root``; returns ``root``."""
    for rel, text in CORPUS_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    lines = [json.dumps(r) for r in CORPUS_RECORDS]
    (root / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@dataclass
class Built:
    """An index built by the ``built_index`` fixture, and how."""

    folder: Path
    report: retrieval.BuildReport
    embedder: HashEmbedder


# -- bad input: every kind of file the loader must skip, with the reason it must give ------


def write_bad_files(root: Path, outside: Path) -> dict[str, str]:
    """Add unindexable files under ``root``; returns {source: words its skip reason holds}.

    ``outside`` is a folder beside (not under) ``root`` for a link to lead into. The file
    ``locked.md`` is readable on disk: make it unreadable with ``deny_reading``.
    """
    root.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    (root / "nul.txt").write_bytes(b"text then a NUL\x00 byte")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (root / "latin1.md").write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    (root / "empty.md").write_bytes(b"")
    (root / "blank.txt").write_text("  \n\t\n\n", encoding="utf-8")
    (root / "huge.txt").write_text("big words " * 400, encoding="utf-8")  # 4000 bytes
    (root / "locked.md").write_text("# Locked\n\nNobody may read this.\n", encoding="utf-8")
    (outside / "secret.md").write_text("# Secret\n\nOutside the corpus.\n", encoding="utf-8")
    (root / "escape.md").symlink_to(outside / "secret.md")
    (root / "dangling.md").symlink_to(root / "no-such-file.md")
    (root / "linked-dir").symlink_to(outside, target_is_directory=True)
    os.mkfifo(root / "pipe.txt")
    return {
        "nul.txt": "binary",
        "logo.png": "binary",
        "latin1.md": "invalid UTF-8",
        "empty.md": "empty",
        "blank.txt": "empty",
        "huge.txt": "huge",
        "locked.md": "unreadable",
        "escape.md": "outside the corpus root",
        "dangling.md": "broken link",
        "linked-dir": "link to a folder",
        "pipe.txt": "not a regular file",
    }


#: A cap that ``huge.txt`` of ``write_bad_files`` exceeds and every good file fits.
SMALL_MAX_BYTES = 2000


def deny_reading(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make files called ``name`` fail to read with EACCES, as chmod 000 would for non-root.

    Tests run as root, for whom chmod 000 changes nothing; so the read itself is made to fail.
    """
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == name:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)


# -- the verdict cascade's doubles: evidence, scorer, judge, generator, clock ---------------
# Each goes through the public interface the real one implements (EvidenceSource, Scorer,
# Judge, Generator) and records what it was asked.


def cand(
    text: str,
    source: str = "docs/a.md",
    line: int = 1,
    *,
    cosine: float = 0.9,
    rank: int = 0,
    superseded: bool = False,
    chunk_id: str = "",
    heading: str = "",
    before: str = "",
    after: str = "",
) -> Candidate:
    """A candidate evidence sentence; ``chunk_id`` defaults to ``source#line``."""
    return Candidate(
        text,
        source,
        line,
        chunk_id or f"{source}#{line}",
        cosine,
        rank,
        superseded,
        heading,
        before,
        after,
    )


class FakeEvidence(EvidenceSource):
    """Returns, for each claim, the candidates given for its check text (best cosine first).

    ``fail`` makes ``candidates`` raise it and ``fail_embed`` makes ``embed`` raise it, as a
    broken index or embedder would. ``asked`` records the check texts of every call.
    """

    def __init__(
        self,
        by_text: Mapping[str, Sequence[Candidate]] | None = None,
        *,
        fail: Exception | None = None,
        fail_embed: Exception | None = None,
    ) -> None:
        self.by_text = dict(by_text or {})
        self.fail = fail
        self.fail_embed = fail_embed
        self.asked: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if self.fail_embed is not None:
            raise self.fail_embed
        return np.zeros((len(texts), 8), dtype=np.float32)

    def candidates(
        self, claims: Sequence[Claim], vectors: npt.NDArray[np.float32]
    ) -> list[list[Candidate]]:
        assert len(vectors) == len(claims)
        self.asked.append([c.check_text for c in claims])
        if self.fail is not None:
            raise self.fail
        return [sorted(self.by_text.get(c.check_text, ()), key=lambda x: -x.cosine) for c in claims]


def hand_scorer(
    supported: Mapping[str, float] | None = None,
    contradicted: Mapping[str, float] | None = None,
    unverifiable: Mapping[str, float] | None = None,
    *,
    intercept: Sequence[float] = (0.0, 0.0, 0.0),
    features: Sequence[str] = SIGNALS,
) -> Scorer:
    """A ``Scorer`` with weights chosen by the test: logit(class) = intercept + sum(w * signal).

    No standardisation (mean 0, scale 1), so a test can compute the probabilities itself.
    """
    names = tuple(features)
    coef = np.zeros((len(CLASSES), len(names)))
    for row, weights in enumerate((supported, contradicted, unverifiable)):
        for name, weight in (weights or {}).items():
            coef[row, names.index(name)] = weight
    return Scorer(
        names,
        np.zeros(len(names)),
        np.ones(len(names)),
        coef,
        np.array(intercept, dtype=np.float64),
    )


class FakeJudge(Judge):
    """Answers from ``answers`` (by claim text, else ``default``), recording every question.

    Each answer's usage is distinct (prompt ``100 + n``, completion ``10 + n`` for the n-th
    call), so a test can tell a sum from a count. ``fail_on`` claims raise; ``on_ask`` runs
    before answering (e.g. to move a fake clock, as a slow model would).
    """

    def __init__(
        self,
        answers: Mapping[str, Label] | None = None,
        *,
        default: Label = "supported",
        fail_on: Sequence[str] = (),
        on_ask: Callable[[str], None] | None = None,
    ) -> None:
        self.answers = dict(answers or {})
        self.default = default
        self.fail_on = set(fail_on)
        self.on_ask = on_ask
        self.asked: list[tuple[str, tuple[Candidate, ...]]] = []
        self.usages: list[Usage] = []

    def judge(
        self, claim: str, evidence: Sequence[Candidate], *, timeout: float | None = None
    ) -> JudgeAnswer:
        self.asked.append((claim, tuple(evidence)))
        if self.on_ask is not None:
            self.on_ask(claim)
        if claim in self.fail_on:
            raise RuntimeError(f"fake judge crashed on {claim!r}")
        n = len(self.asked)
        usage = Usage(100 + n, 10 + n)
        self.usages.append(usage)
        label = self.answers.get(claim, self.default)
        return JudgeAnswer(label, f"fake judge says {label}", usage)


class FakeGenerator(Generator):
    """Replies with the queued texts in turn (the last one repeats), recording each request.
    Interruptible (it answers at once), so it runs in-process and its records stay here."""

    name = "fake-generator"
    interruptible = True

    def __init__(
        self, replies: Sequence[str], *, prompt_tokens: int = 50, completion_tokens: int = 12
    ) -> None:
        self.replies = list(replies)
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.calls: list[dict[str, object]] = []

    def generate(
        self,
        messages: Sequence[Message],
        *,
        grammar: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
        timeout: float | None = None,
    ) -> Generation:
        self.calls.append(
            {
                "messages": [dict(m) for m in messages],
                "grammar": grammar,
                "max_tokens": max_tokens,
                "temperature": temperature,
            }
        )
        text = self.replies[min(len(self.calls), len(self.replies)) - 1]
        return Generation(text, self.prompt_tokens, self.completion_tokens, self.name)


class FakeClock:
    """A monotonic clock a test moves by hand; ``step`` is added after every reading."""

    def __init__(self, start: float = 1000.0, step: float = 0.0) -> None:
        self.now = start
        self.step = step
        self.readings = 0

    def __call__(self) -> float:
        self.readings += 1
        now = self.now
        self.now += self.step
        return now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- the agent: a scripted backend, a scripted cascade, a fake judge, an in-memory ledger ------


def answer(text: str) -> Action:
    return Action("answer", text=text)


def search(query: str) -> Action:
    return Action("search", query=query)


def write(path: str, content: str, reason: str = "") -> Action:
    return Action("write_file", path=path, content=content, reason=reason)


def command(*argv: str, reason: str = "") -> Action:
    return Action("run_command", argv=argv, reason=reason)


@dataclass(frozen=True)
class ProposeCall:
    """What the backend was asked at one step (copies, not live lists)."""

    task: str
    context: tuple[str, ...]
    history: tuple[Turn, ...]


class ScriptedBackend(Backend):
    """Hands out queued actions one per ``propose`` (None when the queue is empty).

    Every proposal gets distinct token counts, so a test can tell which ledger row belongs to
    which call: the n-th call handed out (agent or sample) has ``100 + 7n`` prompt and
    ``10 + n`` completion tokens. ``handed`` lists (purpose, proposal) in order. An item of
    the script may be a ready ``Proposal`` (a malformed output, say); ``delay`` makes every
    ``propose`` that slow.
    """

    def __init__(
        self,
        script: Sequence[Action | Proposal],
        *,
        name: str = "fake-agent",
        sample_texts: Sequence[str] = ("The gateway listens on port 8443.",),
        delay: float = 0.0,
    ) -> None:
        self.script = list(script)
        self.name = name
        self.sample_texts = list(sample_texts)
        self.delay = delay
        self.calls: list[ProposeCall] = []
        self.sample_calls: list[tuple[str, int]] = []
        self.handed: list[tuple[str, Proposal]] = []

    def _proposal(self, purpose: str, action: Action, model: str) -> Proposal:
        n = len(self.handed)
        proposal = Proposal(action, json.dumps(action.to_json()), model, 100 + 7 * n, 10 + n, 0.001)
        self.handed.append((purpose, proposal))
        return proposal

    def propose(
        self,
        task: str,
        context: Sequence[str],
        history: Sequence[Turn],
        *,
        timeout: float | None = None,
    ) -> Proposal | None:
        self.calls.append(ProposeCall(task, tuple(context), tuple(history)))
        if self.delay:
            time.sleep(self.delay)
        if not self.script:
            return None
        item = self.script.pop(0)
        if isinstance(item, Proposal):
            self.handed.append(("agent", item))
            return item
        return self._proposal("agent", item, self.name)

    def samples(
        self, task: str, context: Sequence[str], n: int, *, timeout: float | None = None
    ) -> list[Proposal]:
        self.sample_calls.append((task, n))
        return [
            self._proposal(
                "sample",
                answer(self.sample_texts[i % len(self.sample_texts)]),
                f"{self.name}-sampler",
            )
            for i in range(n)
        ]


class InjectedFault(RuntimeError):
    """Raised by a double told to fail, standing in for a bug or crash inside a check."""


class NoEvidence(EvidenceSource):
    """An evidence source for cascades that never ask for evidence; fails if asked."""

    def candidates(
        self, claims: Sequence[Claim], vectors: npt.NDArray[np.float32]
    ) -> list[list[Candidate]]:
        raise AssertionError("NoEvidence was asked for candidates")

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        raise AssertionError("NoEvidence was asked to embed")


class ScriptedCascade(Cascade):
    """Labels each claim by the words in it, not by evidence, and records the claims.

    A claim holding one of ``false`` is contradicted, one of ``unsure`` unverifiable, any
    other supported. ``raise_on``: a word whose claim makes ``check`` raise InjectedFault
    (a check that breaks); ``delay``: seconds each ``check`` takes.
    """

    def __init__(
        self,
        *,
        false: Sequence[str] = ("9999",),
        unsure: Sequence[str] = (),
        raise_on: str | None = None,
        delay: float = 0.0,
    ) -> None:
        super().__init__(NoEvidence())
        self.false = tuple(false)
        self.unsure = tuple(unsure)
        self.raise_on = raise_on
        self.delay = delay
        self.seen: list[str] = []

    def check(self, claims: Sequence[Claim]) -> CascadeResult:
        self.seen.extend(c.text for c in claims)
        if self.delay:
            time.sleep(self.delay)
        verdicts = []
        for claim in claims:
            if self.raise_on is not None and self.raise_on in claim.text:
                raise InjectedFault(f"scripted cascade told to fail on {self.raise_on!r}")
            label: Label = "supported"
            if any(w in claim.text for w in self.false):
                label = "contradicted"
            elif any(w in claim.text for w in self.unsure):
                label = "unverifiable"
            score = {"supported": 0.95, "contradicted": 0.02}.get(label, 0.3)
            verdicts.append(Verdict(claim, label, score, (), f"scripted: {label}"))
        return CascadeResult(verdicts)


@dataclass
class RecordingCallLog:
    """The runner's ``CallLog`` protocol, kept in lists."""

    runs: list[dict[str, object]] = field(default_factory=list)
    calls: list[dict[str, object]] = field(default_factory=list)
    actions: list[dict[str, object]] = field(default_factory=list)
    finished: list[dict[str, object]] = field(default_factory=list)

    def start_run(
        self,
        *,
        run_id: str,
        task: str,
        agent: str,
        user: str,
        team: str = "",
        source: str = "verify",
    ) -> None:
        self.runs.append({"run_id": run_id, "task": task, "agent": agent, "user": user})

    def record_call(
        self,
        *,
        run_id: str,
        purpose: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        seconds: float,
        verdict: str = "",
        output: str = "",
        step: int | None = None,
    ) -> int:
        self.calls.append(
            {
                "run_id": run_id,
                "purpose": purpose,
                "model": model,
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "verdict": verdict,
                "output": output,
                "step": step,
            }
        )
        return len(self.calls)

    def record_action(
        self,
        *,
        run_id: str,
        step: int,
        kind: str,
        decision: str,
        executed: bool,
        claims_supported: int,
        claims_total: int,
        summary: str = "",
    ) -> None:
        self.actions.append(
            {
                "run_id": run_id,
                "step": step,
                "kind": kind,
                "decision": decision,
                "executed": executed,
            }
        )

    def begin_action(
        self,
        *,
        run_id: str,
        step: int,
        kind: str,
        decision: str,
        claims_supported: int,
        claims_total: int,
        summary: str = "",
    ) -> int:
        """Phase one: the row reads ``executed: None`` (outcome unknown) until finished."""
        self.actions.append(
            {"run_id": run_id, "step": step, "kind": kind, "decision": decision, "executed": None}
        )
        return len(self.actions) - 1

    def finish_action(self, action_id: int, *, executed: bool, decision: str) -> None:
        row = self.actions[action_id]
        if row["executed"] is not None:
            raise ValueError(f"action {action_id} already has its outcome")
        row.update(executed=executed, decision=decision)

    def finish_run(
        self, *, run_id: str, decision: str, verified_units: float | None = None
    ) -> None:
        self.finished.append({"run_id": run_id, "decision": decision})
