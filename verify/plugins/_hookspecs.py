"""What a plugin may add: one hook per kind of thing, each handed the ``register`` to call.

A plugin is a module (or an object) with functions marked ``@hookimpl`` whose names are the
hook names below; it needs to implement only the hooks it uses. Each hook is called once per
process, when ``load_plugins`` runs (the CLI does at start), with the register function of
the matching registry, so a plugin's model or format is usable by name exactly as a built-in
one is (``--embedder NAME``, ``--entailment NAME``, ``--judge NAME``, ``--model NAME``,
``--format NAME``; a gate language by its file suffixes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from verify.gate import LanguagePlugin

__all__ = ["PROJECT", "VerifySpec", "hookimpl", "hookspec"]

#: The pluggy project name, and the entry-point group plugins are installed under.
PROJECT = "verify"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class VerifySpec:
    """The hooks (see docs/plugins.md for a worked example of each)."""

    @hookspec
    def register_embedders(self, register: Callable[[str, Callable[[], Any]], None]) -> None:
        """Call ``register(name, factory)`` for each ``retrieval.Embedder`` this plugin adds;
        ``factory()`` returns a new embedder (loading its model lazily)."""

    @hookspec
    def register_entailment_models(
        self, register: Callable[[str, Callable[[], Any]], None]
    ) -> None:
        """Call ``register(name, factory)`` for each ``checks.entailment.EntailmentModel``."""

    @hookspec
    def register_generators(self, register: Callable[[str, Callable[[], Any]], None]) -> None:
        """Call ``register(name, factory)`` for each ``checks.llm.Generator`` (an LLM usable
        as ``--judge NAME`` and as the agent's ``--model NAME``)."""

    @hookspec
    def register_backends(self, register: Callable[[str, Callable[[], Any]], None]) -> None:
        """Call ``register(name, factory)`` for each ``verify.agent.Backend`` (an agent that
        is not one LLM call per step)."""

    @hookspec
    def register_gate_languages(self, register: Callable[[type[LanguagePlugin]], Any]) -> None:
        """Call ``register(cls)`` for each ``verify.gate.LanguagePlugin`` subclass; it handles
        the file suffixes it declares."""

    @hookspec
    def register_report_formats(self, register: Callable[[str, Callable[..., str]], None]) -> None:
        """Call ``register(name, render)`` for each report format: ``render(outcome, *,
        color, title, version) -> str`` turns a ``reports.Outcome`` into the report,
        escaping every string of agent or corpus text for its format."""
