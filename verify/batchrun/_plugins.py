"""Plugins named for one run: ``VERIFY_PLUGINS`` and ``--plugin``, loaded in every process.

The CLI loads installed plugins (entry-point group ``verify``) at its start, but a worker
process or a Ray actor of ``verify batch`` never runs the CLI: each calls ``load`` before it
builds its checker. A spec is ``module`` (imported and registered as a plugin, so its
``@hookimpl`` functions run) or ``module:function`` (imported, then ``function()`` called,
for code that registers by hand: ``retrieval.register_embedder``, ...). The module must be
importable where the worker runs (on every Ray node: installed, or on ``PYTHONPATH``).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from types import ModuleType

from ..errors import InputError

__all__ = ["ENV", "load", "specs"]

#: Comma-separated plugin specs every ``verify batch`` process loads.
ENV = "VERIFY_PLUGINS"


def specs(given: Iterable[str] = ()) -> tuple[str, ...]:
    """The specs of ``VERIFY_PLUGINS`` then ``given`` (``--plugin``), each once, in order."""
    named = [s.strip() for s in os.environ.get(ENV, "").split(",")] + [s.strip() for s in given]
    return tuple(dict.fromkeys(s for s in named if s))


def load(plugin_specs: Iterable[str]) -> None:
    """Load the installed plugins, then each spec (see the module docstring); a spec that
    does not import or whose function fails is an ``InputError`` naming it (exit 2)."""
    from ..plugins import load_plugins

    modules: list[ModuleType] = []
    for spec in plugin_specs:
        name, _, function = spec.partition(":")
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            raise InputError(
                f"plugin {spec!r}: cannot import {name!r} ({type(exc).__name__}: {exc}); "
                f"install it or put it on PYTHONPATH ({ENV}, --plugin)"
            ) from exc
        if not function:
            modules.append(module)
            continue
        register = getattr(module, function, None)
        if not callable(register):
            raise InputError(f"plugin {spec!r}: {name} has no function {function!r}")
        try:
            register()
        except Exception as exc:
            raise InputError(
                f"plugin {spec!r} failed: {type(exc).__name__}: {exc}; fix or drop it"
            ) from exc
    load_plugins(modules)
