"""Rule 2: dependencies a change adds that no index would serve (or a squatter would).

A name added to a manifest passes if it is installed, was declared before the change, is
another project of this repository, is allow-listed, or is in the snapshot of known PyPI
names. Anything else blocks, with the known names closest to it by edit distance.
"""

from __future__ import annotations

import re
import tomllib

from reports import Finding

from ._change import Change
from ._packages import (
    Environment,
    ManifestError,
    closest,
    declared,
    is_manifest,
    known_packages,
    normalize,
    read_manifest,
)

__all__ = ["dependency_findings"]


def dependency_findings(change: Change, env: Environment) -> list[Finding]:
    manifests = [f for f in change.live_files() if is_manifest(f.path) and f.added]
    if not manifests:
        return []
    before = {r.key for r in declared(change.base)}
    local = _local_projects(change)
    out: list[Finding] = []
    for f in manifests:
        text = change.head.read(f.path)
        if text is None:
            continue
        try:
            requirements = read_manifest(f.path, text)
        except ManifestError as exc:
            out.append(Finding("deps/bad-manifest", "block", f.path, min(f.added), str(exc)))
            continue
        for req in requirements:
            if req.key in before or req.key in local or env.is_real_package(req.name):
                continue
            line = _added_line(f.added, req.name)
            if line is None:
                continue
            near = closest(req.name, [*known_packages(), *sorted(env.installed)])
            hint = (
                (
                    "; closest known: "
                    + ", ".join(f"{n} ({d} edit{'s' if d > 1 else ''})" for n, d in near)
                )
                if near
                else ""
            )
            out.append(
                Finding(
                    "deps/unknown-package",
                    "block",
                    f.path,
                    line,
                    f"dependency `{req.name}` is not installed, not declared before this "
                    f"change and not a known PyPI package{hint}; if it is real, add it to "
                    "--allow-packages",
                )
            )
    return out


def _added_line(added: dict[int, str], name: str) -> int | None:
    pattern = re.compile(r"(?<![\w.-])" + re.escape(name) + r"(?![\w.-])", re.I)
    return next((n for n, t in sorted(added.items()) if pattern.search(t)), None)


def _local_projects(change: Change) -> set[str]:
    """Names of the projects this repository itself defines (a monorepo's siblings)."""
    names = set()
    for path in change.head.paths():
        if path.endswith("pyproject.toml"):
            text = change.head.read(path)
            try:
                name = tomllib.loads(text or "").get("project", {}).get("name")
            except tomllib.TOMLDecodeError:
                continue
            if isinstance(name, str):
                names.add(normalize(name))
    return names
