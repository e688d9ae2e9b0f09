"""Verify before act: every proposed action is checked before it may take effect.

What is checked, per action: the claims in its text (an answer's text, a written file's
prose or its comments and docstrings, the stated reason of a command or write) against the
corpus as ``verify check`` does; then consistency checks — internal (two claims of the same
output that contradict each other), claim-vs-action (what the text says the action does must
match the action), and, for answers, agreement with extra samples (SelfCheckGPT-style, by
embedding similarity and deterministic value alignment). The policy denies by default:
``run_command`` only for allowlisted programs, ``write_file`` only inside the workspace.
"""

from __future__ import annotations

import ast
import io
import re
import time
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np

from checks.alignment import align
from checks.evidence import Candidate
from checks.judge import Judge, JudgeAnswer
from checks.types import Claim, Decision, Usage, Verdict
from reports import Finding
from retrieval import Embedder, split_prose

from ..checker import Checker
from ..policy import decide
from ._actions import Action
from ._commands import check_command
from ._workspace import ConfinementError, Workspace

__all__ = ["ActionChecker", "ModelCall", "StepCheck", "texts_to_check"]

_PROSE_SUFFIXES = {".md", ".markdown", ".txt", ".rst", ""}
_PATHISH = re.compile(
    r"(?<![\w@])((?:[\w.-]+/)+[\w.-]+|[\w-]+\.(?:md|txt|rst|py|ya?ml|toml|"
    r"json|sh|cfg|ini|js|ts))\b"
)
_BACKTICK = re.compile(r"`([^`\n]+)`")
SAMPLE_AGREEMENT = 0.55  # below this mean agreement a claim is flagged (warn)


@dataclass(frozen=True)
class ModelCall:
    """One model call a check made (the judge), for the ledger."""

    model: str
    usage: Usage
    seconds: float = 0.0


@dataclass
class StepCheck:
    decision: Decision
    verdicts: list[Verdict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    consistency: dict[str, float] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    calls: list[ModelCall] = field(default_factory=list)  # judge calls, one per model call

    @property
    def errored(self) -> bool:
        return any(v.label == "error" for v in self.verdicts)


def texts_to_check(action: Action) -> list[tuple[str, str]]:
    """(part name, text) pairs whose claims must hold before ``action`` may run."""
    if action.kind == "answer":
        return [("answer", action.text)]
    if action.kind == "write_file":
        suffix = PurePosixPath(action.path).suffix.lower()
        body = action.content if suffix in _PROSE_SUFFIXES else _comments(action.content, suffix)
        return [(p, t) for p, t in (("content", body), ("reason", action.reason)) if t.strip()]
    if action.kind == "run_command":
        return [("reason", action.reason)] if action.reason.strip() else []
    return []


def _comments(source: str, suffix: str) -> str:
    """Docstrings and comments of code: the prose in it that states facts."""
    parts: list[str] = []
    if suffix == ".py":
        try:
            tree = ast.parse(source)
            for node in ast.walk(tree):
                if isinstance(
                    node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
                ) and (doc := ast.get_docstring(node)):
                    parts.append(doc)
            for tok in tokenize.generate_tokens(io.StringIO(source).readline):
                if tok.type == tokenize.COMMENT:
                    parts.append(tok.string.lstrip("#").strip())
            return "\n".join(parts)
        except (SyntaxError, tokenize.TokenError, ValueError):
            pass
    for line in source.splitlines():
        s = line.strip()
        for mark in ("#", "//", "--", "/*", "*", ";"):
            if s.startswith(mark):
                parts.append(s.lstrip("#/-*; ").rstrip("*/ "))
                break
    return "\n".join(parts)


class ActionChecker:
    def __init__(
        self,
        checker: Checker,
        workspace: Workspace,
        *,
        allow_commands: Sequence[str],
        allow_actions: Sequence[str] = ("answer", "search", "write_file", "run_command"),
        embedder: Embedder | None = None,
    ) -> None:
        self.checker = checker
        self.workspace = workspace
        self.allow_commands = list(allow_commands)
        self.allow_actions = set(allow_actions)
        self.embedder = embedder
        cascade = checker.cascade
        if cascade.judge is not None and not isinstance(cascade.judge, _RecordingJudge):
            cascade.judge = _RecordingJudge(cascade.judge)
        self._judge = cascade.judge if isinstance(cascade.judge, _RecordingJudge) else None

    def check(self, action: Action, samples: Sequence[str] = ()) -> StepCheck:
        if self._judge is not None:
            self._judge.calls.clear()
        findings = self._policy(action)
        verdicts: list[Verdict] = []
        usage = Usage()
        for part, text in texts_to_check(action):
            outcome = self.checker.check_text(text)
            usage = usage + outcome.usage
            verdicts += [_rename(v, f"{part}.{v.claim.id}") for v in outcome.verdicts]
            findings += _internal_consistency(outcome.verdicts, part)
        findings += _claim_vs_action(action)
        consistency: dict[str, float] = {}
        if samples and self.embedder is not None and action.kind == "answer":
            consistency = self._sample_agreement(verdicts, samples)
            findings += [
                Finding(
                    "consistency/samples",
                    "warn",
                    "answer",
                    1,
                    f"claim {cid} agrees with the extra samples only {score:.2f} (SelfCheck)",
                )
                for cid, score in consistency.items()
                if score < SAMPLE_AGREEMENT
            ]
        decision = decide(verdicts, self.checker.policy, findings)
        calls = list(self._judge.calls) if self._judge is not None else []
        return StepCheck(decision, verdicts, findings, consistency, usage, calls)

    def _policy(self, action: Action) -> list[Finding]:
        where = action.path or (action.argv[0] if action.argv else action.kind)
        if action.kind not in self.allow_actions:
            return [
                Finding(
                    "policy/action",
                    "block",
                    where,
                    1,
                    f"action {action.kind} is not allowed by the policy",
                )
            ]
        try:
            if action.kind == "write_file":
                self.workspace.resolve(action.path)
            elif action.kind == "run_command":
                check_command(action.argv, self.allow_commands)
        except ConfinementError as exc:
            rule = "policy/workspace" if action.kind == "write_file" else "policy/command"
            return [Finding(rule, "block", where, 1, str(exc))]
        return []

    def _sample_agreement(
        self, verdicts: Sequence[Verdict], samples: Sequence[str]
    ) -> dict[str, float]:
        assert self.embedder is not None
        claims = [v.claim for v in verdicts]
        sample_sents = [[t[s:e] for s, e in split_prose(t)] or [t] for t in samples]
        if not claims or not any(sample_sents):
            return {}
        flat = [s for sents in sample_sents for s in sents]
        vecs = self.embedder.embed([c.check_text for c in claims] + flat)
        cv, sv = vecs[: len(claims)], vecs[len(claims) :]
        out: dict[str, float] = {}
        for i, claim in enumerate(claims):
            scores, offset = [], 0
            for sents in sample_sents:
                sims = sv[offset : offset + len(sents)] @ cv[i]
                best = int(np.argmax(sims))
                conflict = align(claim.check_text, sents[best]).verdict_hint == "conflict"
                scores.append(0.0 if conflict else max(0.0, float(sims[best])))
                offset += len(sents)
            out[claim.id] = sum(scores) / len(scores)
        return out


class _RecordingJudge(Judge):
    """The cascade's judge, unchanged, noting each call so the ledger gets one row per call."""

    def __init__(self, inner: Judge) -> None:
        self.inner = inner
        generator = getattr(inner, "generator", None)
        self.model = str(getattr(generator, "name", "") or type(inner).__name__)
        self.calls: list[ModelCall] = []

    def judge(
        self, claim: str, evidence: Sequence[Candidate], *, timeout: float | None = None
    ) -> JudgeAnswer:
        t0 = time.perf_counter()
        answer = self.inner.judge(claim, evidence, timeout=timeout)
        self.calls.append(ModelCall(self.model, answer.usage, time.perf_counter() - t0))
        return answer


def _rename(v: Verdict, new_id: str) -> Verdict:
    c = v.claim
    return Verdict(
        Claim(new_id, c.text, c.start, c.end, c.standalone), v.label, v.score, v.evidence, v.reason
    )


def _internal_consistency(verdicts: Sequence[Verdict], part: str) -> list[Finding]:
    out = []
    for i, a in enumerate(verdicts):
        for b in verdicts[i + 1 :]:
            al = align(a.claim.check_text, b.claim.check_text)
            if al.verdict_hint == "conflict" and al.subject_overlap >= 0.5:
                out.append(
                    Finding(
                        "consistency/internal",
                        "block",
                        part,
                        1,
                        f"{a.claim.text!r} and {b.claim.text!r} contradict each "
                        f"other: {al.explain}",
                    )
                )
    return out


def _claim_vs_action(action: Action) -> list[Finding]:
    said = f"{action.reason} {action.text}"
    if action.kind == "write_file":
        named = {m.group(1).strip("./") for m in _PATHISH.finditer(action.reason)}
        target = action.path.strip("./")
        if named and not any(
            n == target or n == PurePosixPath(target).name or target.endswith(n) for n in named
        ):
            return [
                Finding(
                    "consistency/action",
                    "block",
                    action.path,
                    1,
                    f"the reason names {', '.join(sorted(named))} but the action "
                    f"writes {action.path}",
                )
            ]
    if action.kind == "run_command":
        programs = {m.group(1).split()[0] for m in _BACKTICK.finditer(said) if m.group(1).split()}
        if programs and action.argv[0] not in programs:
            return [
                Finding(
                    "consistency/action",
                    "block",
                    action.argv[0],
                    1,
                    f"the reason names `{', '.join(sorted(programs))}` but the action "
                    f"runs {action.argv[0]}",
                )
            ]
    return []
