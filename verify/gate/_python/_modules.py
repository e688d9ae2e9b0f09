"""The repository's own Python modules, after the change: where each is, what it defines.

``RepoModules`` maps dotted names to files the way ``sys.path`` would: from the repository
root, from the folder above each top-level package (``src/`` layouts), and from an
importing script's own folder. Each module is parsed only when a check asks about it,
into a ``ModuleInfo`` (see ``_namespace``).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import PurePosixPath

from .._snapshot import Snapshot
from ._namespace import ModuleInfo, collect

__all__ = ["Location", "RepoModules"]

_SOURCE_ROOTS = {"src", "lib", "python", "source"}
_NATIVE_SUFFIXES = {".pyi", ".pyx", ".pxd", ".so", ".pyd", ".c", ".cpp", ".rs"}
_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


@dataclass(frozen=True)
class Location:
    """Where a dotted module is: a file, a package's ``__init__.py``, or a namespace folder."""

    path: str  # the file; "" for a namespace package
    folder: str  # the package folder; "" for a plain module
    root: str  # the sys.path entry it was found from
    primary: bool  # found from the repository root or a package's parent folder
    native: bool = False  # an extension or stub (.pyi, .pyx, .so): exists, contents unknown


class RepoModules:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.py = {p for p in snapshot.paths() if p.endswith(".py")}
        self.folders = {str(PurePosixPath(p).parent) for p in self.py}
        self.packages = {
            str(PurePosixPath(p).parent)
            for p in self.py
            if p.endswith("/__init__.py") or p == "__init__.py"
        }
        self.roots = _roots(self.packages, snapshot)
        self._parsed: dict[str, ModuleInfo] = {}
        self._folders_with_py = _ancestors(self.folders)
        self.native = {
            _module_stem(p) for p in snapshot.paths() if PurePosixPath(p).suffix in _NATIVE_SUFFIXES
        }

    # -- where modules are --------------------------------------------------------------
    def locate(self, dotted: str, importer: str | None = None) -> Location | None:
        """The repository module ``dotted`` names, as ``importer`` would import it.

        A standard-library name is never the repository's: the interpreter finds its own
        first (from every folder but the current one, and shadowing it is a bug anyway).
        """
        parts = dotted.split(".")
        if parts[0] in sys.stdlib_module_names:
            return None
        for root in self.roots:
            loc = self._under(root, parts, primary=True)
            if loc:
                return loc
        if importer is not None:
            here = _parent(importer)
            if here not in self.packages and here not in self.roots:
                return self._under(here, parts, primary=False)
        return None

    def locate_relative(self, importer: str, level: int, module: str | None) -> Location | None:
        folder = _parent(importer)
        for _ in range(level - 1):
            folder = _parent(folder) if folder else ""
        parts = module.split(".") if module else []
        if not parts:
            return Location(
                f"{folder}/__init__.py" if f"{folder}/__init__.py" in self.py else "",
                folder,
                folder,
                True,
            )
        return self._under(folder, parts, primary=True)

    def _under(self, root: str, parts: list[str], *, primary: bool) -> Location | None:
        base = "/".join(p for p in (root, *parts) if p)
        if f"{base}/__init__.py" in self.py:
            return Location(f"{base}/__init__.py", base, root, primary)
        if f"{base}.py" in self.py:
            return Location(f"{base}.py", "", root, primary)
        if base in self.native:
            return Location(f"{base}.py", "", root, primary, native=True)
        if base in self._folders_with_py:
            return Location("", base, root, primary)
        return None

    def submodules(self, folder: str) -> set[str]:
        prefix = f"{folder}/" if folder else ""
        out = set()
        for p in self.py:
            if p.startswith(prefix):
                head = p[len(prefix) :].split("/", 1)
                out.add(head[0][:-3] if len(head) == 1 else head[0])
        for f in self._folders_with_py:
            if f.startswith(prefix) and f != folder:
                out.add(f[len(prefix) :].split("/", 1)[0])
        return out - {"__init__"}

    # -- what modules define ------------------------------------------------------------
    def module(self, loc: Location) -> ModuleInfo:
        key = loc.path or f"{loc.folder}/"
        if key not in self._parsed:
            self._parsed[key] = self._parse(loc)
        return self._parsed[key]

    def module_at(self, path: str) -> ModuleInfo:
        """The module of the file ``path`` itself."""
        folder = _parent(path) if path.endswith("__init__.py") else ""
        return self.module(Location(path, folder, "", True))

    def dotted(self, loc: Location) -> str:
        """The module's dotted name, from the deepest import root it lies under."""
        rel = (loc.path or loc.folder).removesuffix("/__init__.py").removesuffix(".py")
        for root in sorted(self.roots, key=len, reverse=True):
            if root and rel.startswith(root + "/"):
                rel = rel[len(root) + 1 :]
                break
        return rel.replace("/", ".")

    def _parse(self, loc: Location) -> ModuleInfo:
        name = self.dotted(loc)
        info = ModuleInfo(name, loc.path, loc.folder)
        if loc.native:
            info.open = True
            return info
        if not loc.path:
            return info  # a namespace package defines nothing but its submodules
        text = self.snapshot.read(loc.path)
        try:
            tree = ast.parse(text or "", filename=loc.path)
        except (SyntaxError, ValueError):
            info.open = True
            return info
        collect(info, self, tree)
        return info


def _roots(packages: set[str], snapshot: Snapshot) -> list[str]:
    """``sys.path`` entries a project's layout implies: the root, then the folder above a
    top-level package where that folder is a source root (``src``, ``lib``, or a folder
    with its own pyproject.toml or setup.py), shallowest first. Any other folder above a
    package is a namespace package, imported from the root."""
    out = {""}
    for pkg in packages:
        top = pkg
        while _parent(top) in packages:
            top = _parent(top)
        parent = _parent(top)
        if PurePosixPath(parent).name in _SOURCE_ROOTS or any(
            snapshot.exists(f"{parent}/{marker}") for marker in _PROJECT_FILES
        ):
            out.add(parent)
    return sorted(out, key=lambda r: (r.count("/") + bool(r), r))


def _module_stem(path: str) -> str:
    """``pkg/_speedups.cpython-311-x86_64-linux-gnu.so`` -> ``pkg/_speedups``."""
    p = PurePosixPath(path)
    return str(p.parent / p.name.split(".", 1)[0]).removeprefix("./")


def _ancestors(folders: set[str]) -> set[str]:
    out = set()
    for f in folders:
        while f and f not in out:
            out.add(f)
            f = _parent(f)
    return out


def _parent(path: str) -> str:
    parent = str(PurePosixPath(path).parent)
    return "" if parent == "." else parent
