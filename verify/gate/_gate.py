"""``run_gate``: every rule over one change, then the decision.

The rules run cheapest first: code references (per language plugin), dependencies, the
description, then the prose claims (the only rule that needs the index, built or updated
only if the change adds a checkable claim), and last the token budget, which counts the
lines the other rules left unblocked. The decision blocks on any ``block`` finding or a
verdict that could not be computed; ``warn`` findings and unverifiable claims never block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from checks.evidence import IndexEvidence
from checks.types import Usage
from reports import JSON, Finding, Outcome

from ..checker import Checker
from ..config import Config
from ..policy import BlockPolicy, decide
from ._budget import budget, verified_lines
from ._change import Change
from ._corpus import WithoutChange, gate_index
from ._dependencies import dependency_findings
from ._description import description_findings
from ._diff import FileChange
from ._hunks import review_hunks
from ._languages import Context, LanguagePlugin, plugin_for
from ._packages import Environment, declared
from ._prose import check_prose, prose_blocks

__all__ = ["GateOptions", "run_gate"]

#: what blocks in the gate: a contradicted prose claim (also a finding) or an error
GATE_POLICY = BlockPolicy(frozenset({"contradicted", "error"}), 0)


@dataclass
class GateOptions:
    index: Path | None = None  # an existing index; None: index the repository on the fly
    embedder: str = "minilm"
    embedder_precision: str = "auto"  # config embedder_precision
    judge: str | None = None  # a GGUF asked about prose claims the scorer is unsure of
    allow_packages: tuple[str, ...] = ()
    usage: Usage | None = None  # tokens the change cost (from --usage or --ledger)
    max_tokens_per_line: float | None = None
    findings: tuple[Finding, ...] = ()  # found before the rules ran (the ledger's budget)
    progress: Callable[[int, int], None] | None = None


def run_gate(change: Change, config: Config, options: GateOptions) -> Outcome:
    env = Environment.current(
        allow=options.allow_packages,
        before=[r.name for r in declared(change.base)],
        after=[r.name for r in declared(change.head)],
    )
    findings: list[Finding] = []
    findings += code_findings(change, env)
    findings += dependency_findings(change, env)
    findings += description_findings(change)

    def make_checker() -> Checker | None:
        index = gate_index(
            change.repo,
            change.head,
            options.index,
            options.embedder,
            options.progress,
            precision=options.embedder_precision,
        )
        if index is None:
            return None
        added = {f.path: set(f.added) for f in change.live_files()}
        evidence = WithoutChange(IndexEvidence(index), added)
        return Checker.build(evidence, config, judge=options.judge)

    prose = check_prose(change, prose_blocks(change), make_checker)
    findings += prose.findings
    changed, verified = verified_lines(change, findings)
    extra: dict[str, JSON] = {
        "change": change.label,
        "changed_files": len(change.files),
        "changed_lines": changed,
        "verified_lines": verified,
    }
    if options.usage is not None:
        figures, over = budget(options.usage, verified, options.max_tokens_per_line)
        extra.update(figures)
        findings += over
    findings += options.findings
    findings.sort(key=lambda f: (f.severity != "block", f.path, f.line, f.rule))
    decision = decide(prose.verdicts, GATE_POLICY, findings)
    if not findings:
        extra["findings"] = []  # docs/architecture.md: gate output always carries the key
    return Outcome(
        tuple(prose.verdicts),
        decision,
        tuple(findings),
        prose.usage,
        prose.text,
        extra,
        hunks=review_hunks(change, findings),  # for the reviewer's HTML page
        blocking=GATE_POLICY.block,
    )


def code_findings(change: Change, env: Environment) -> list[Finding]:
    """Each language plugin's findings on the files it handles."""
    groups: dict[type[LanguagePlugin], list[FileChange]] = {}
    for f in change.live_files():
        plugin = plugin_for(f.path)
        if plugin is not None and f.added:
            groups.setdefault(plugin, []).append(f)
    ctx = Context(change, env)
    out: list[Finding] = []
    for plugin, files in groups.items():
        out += plugin().check(files, ctx)
    return out
