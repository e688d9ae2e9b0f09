"""Find the installed plugins (entry-point group ``verify``) and let each register its parts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import pluggy

from ..errors import InputError
from ._hookspecs import PROJECT, VerifySpec

__all__ = ["load_plugins", "plugin_manager"]

_lock = threading.Lock()
_manager: pluggy.PluginManager | None = None


def plugin_manager() -> pluggy.PluginManager:
    """The process's plugin manager, with the hook specs added (plugins not loaded)."""
    global _manager
    with _lock:
        if _manager is None:
            manager = pluggy.PluginManager(PROJECT)
            manager.add_hookspecs(VerifySpec)
            _manager = manager
        return _manager


def load_plugins(extra: Iterable[object] = ()) -> list[str]:
    """Load every installed plugin once, plus ``extra`` plugin objects, and call their hooks
    with the registries' register functions. Idempotent: a plugin already registered is not
    asked again. Returns the names of the plugins that registered something new.

    A plugin that fails to import or whose hook raises is an ``InputError`` (exit 2) naming
    it: the installation is broken, and a check must not run on half its parts.
    """
    manager = plugin_manager()
    before = set(manager.get_plugins())
    try:
        manager.load_setuptools_entrypoints(PROJECT)
    except Exception as exc:
        raise InputError(
            f"a plugin in entry-point group {PROJECT!r} failed to load: "
            f"{type(exc).__name__}: {exc}; fix or uninstall it"
        ) from exc
    for plugin in extra:
        if not manager.is_registered(plugin):
            manager.register(plugin)
    new = [p for p in manager.get_plugins() if p not in before]
    for plugin in new:
        _register_parts(manager, plugin)
    return [str(manager.get_name(p)) for p in new]


def _register_parts(manager: pluggy.PluginManager, plugin: object) -> None:
    from checks.entailment import register_entailment
    from checks.llm import register_generator
    from reports import register_format
    from retrieval import register_embedder

    from ..agent import register_backend
    from ..gate import register_language

    hooks: dict[str, Callable[..., Any]] = {
        "register_embedders": register_embedder,
        "register_entailment_models": register_entailment,
        "register_generators": register_generator,
        "register_backends": register_backend,
        "register_gate_languages": register_language,
        "register_report_formats": register_format,
    }
    name = manager.get_name(plugin)
    for hook, register in hooks.items():
        caller = manager.subset_hook_caller(
            hook, remove_plugins=[p for p in manager.get_plugins() if p is not plugin]
        )
        try:
            caller(register=register)
        except Exception as exc:
            raise InputError(
                f"plugin {name!r} failed in {hook}: {type(exc).__name__}: {exc}; "
                "fix or uninstall it"
            ) from exc
