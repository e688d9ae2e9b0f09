"""Plugins: installed packages that add embedders, entailment models, LLMs, agent backends,
gate languages and report formats, through pluggy hooks (``VerifySpec``) and the entry-point
group ``verify`` (the pattern of simonw/llm).

A plugin package declares, in its ``pyproject.toml``::

    [project.entry-points.verify]
    my_plugin = "my_plugin"

and implements the hooks it needs::

    from verify.plugins import hookimpl

    @hookimpl
    def register_report_formats(register):
        register("csv", render_csv)

``load_plugins()`` (the CLI calls it at start; library code calls it once) imports them and
fills the registries. docs/plugins.md has the whole contract.
"""

from ._hookspecs import PROJECT, VerifySpec, hookimpl, hookspec
from ._load import load_plugins, plugin_manager

__all__ = ["PROJECT", "VerifySpec", "hookimpl", "hookspec", "load_plugins", "plugin_manager"]
