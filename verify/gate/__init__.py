"""``verify gate``: may a change written by an agent merge? Findings on its lines, and why.

    from verify.gate import GateOptions, load_from_git, run_gate
    change = load_from_git(Path("."), "origin/main", None)
    outcome = run_gate(change, load_config(), GateOptions())
    print(render(outcome, "md"))

Rules (ids and severities in ``RULES``, examples in docs/gate.md): hallucinated code
references (``code/*``, per language plugin; Python via ``ast``), hallucinated dependencies
(``deps/*``), the description against the diff (``description/*``), claims in changed prose
against the corpus (``prose/*``), and tokens per verified changed line (``budget/*``).
Add a language with ``register_language`` (see ``LanguagePlugin``).
"""

from reports import Finding

from . import _python as _python  # registers the Python plugin
from ._budget import ledger_usage, read_usage
from ._change import Change, is_doc_path, is_test_path, load_from_git, load_from_patch
from ._description import Statement, read_description
from ._diff import DiffError, FileChange, Hunk, Patch, apply_hunks, parse_patch
from ._gate import GATE_POLICY, GateOptions, code_findings, run_gate
from ._languages import (
    Context,
    LanguagePlugin,
    LogicChange,
    PlainPlugin,
    ProseBlock,
    languages,
    plugin_for,
    register_language,
)
from ._packages import Environment, closest, known_packages, normalize, osa_distance
from ._rules import RULES, Rule
from ._snapshot import DirSnapshot, GitSnapshot, MemorySnapshot, Overlay, Snapshot

__all__ = [
    "GATE_POLICY",
    "RULES",
    "Change",
    "Context",
    "DiffError",
    "DirSnapshot",
    "Environment",
    "FileChange",
    "Finding",
    "GateOptions",
    "GitSnapshot",
    "Hunk",
    "LanguagePlugin",
    "LogicChange",
    "MemorySnapshot",
    "Overlay",
    "Patch",
    "PlainPlugin",
    "ProseBlock",
    "Rule",
    "Snapshot",
    "Statement",
    "apply_hunks",
    "closest",
    "code_findings",
    "is_doc_path",
    "is_test_path",
    "known_packages",
    "languages",
    "ledger_usage",
    "load_from_git",
    "load_from_patch",
    "normalize",
    "osa_distance",
    "parse_patch",
    "plugin_for",
    "read_description",
    "read_usage",
    "register_language",
    "run_gate",
]
