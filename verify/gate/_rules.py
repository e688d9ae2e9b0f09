"""Every rule the gate reports, with its severity and what it means (docs/gate.md in full)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["RULES", "Rule"]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Literal["block", "warn"]
    summary: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("code/syntax-error", "block", "a changed Python file no longer parses"),
        Rule(
            "code/unknown-import",
            "block",
            "an import of a module that is neither in the repository, the standard library, "
            "nor an installed or declared dependency",
        ),
        Rule(
            "code/unknown-attribute",
            "block",
            "a name taken from the repository's own module or class that it does not define",
        ),
        Rule(
            "code/undefined-name",
            "block",
            "a name used on an added line that nothing in the file binds and is no builtin",
        ),
        Rule(
            "code/bad-call-signature",
            "block",
            "a call into the repository's own code with too many or too few arguments, or "
            "keyword names the function does not take",
        ),
        Rule(
            "deps/unknown-package",
            "block",
            "a dependency added to pyproject.toml or requirements*.txt that is not installed, "
            "not allow-listed and not a known PyPI name (closest known names given)",
        ),
        Rule("deps/bad-manifest", "block", "a changed pyproject.toml no longer parses"),
        Rule(
            "description/tests-claimed",
            "block",
            "the description says tests were added but the diff adds none",
        ),
        Rule(
            "description/no-behaviour-change",
            "block",
            "the description says docs only / refactor / no behaviour change but the code's "
            "logic changed",
        ),
        Rule(
            "description/names-untouched",
            "warn",
            "a file, function or config key the description names is not touched by the diff",
        ),
        Rule(
            "description/number-mismatch",
            "block",
            "a value the description states (a new default, a limit) appears on no changed line",
        ),
        Rule(
            "prose/contradicted",
            "block",
            "a claim in added docs, comments or docstrings that the corpus contradicts",
        ),
        Rule(
            "prose/unverifiable",
            "warn",
            "a claim in added docs, comments or docstrings that the corpus does not support",
        ),
        Rule(
            "budget/tokens-per-line",
            "block",
            "tokens spent per verified changed line above --max-tokens-per-unit",
        ),
        Rule(
            "budget/tokens-per-unit",
            "block",
            "a run behind the change, or its agent or user, spent more tokens per verified "
            "unit than --max-tokens-per-unit (with --ledger)",
        ),
    )
}
