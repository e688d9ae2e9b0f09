"""Dependencies: what a project declares, what is installed, and which names are real.

``declared(snapshot)`` reads every ``pyproject.toml`` and ``requirements*.txt`` of a state of
the repository; ``Environment`` knows the installed distributions and their import names
and the snapshot of known PyPI names shipped in ``data/known_packages.txt``; ``closest``
ranks known names by Damerau-Levenshtein distance, to name what a made-up one imitates.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.resources import files
from pathlib import PurePosixPath
from typing import Any

from ._snapshot import Snapshot

__all__ = [
    "Environment",
    "ManifestError",
    "Requirement",
    "closest",
    "declared",
    "is_manifest",
    "known_packages",
    "normalize",
    "osa_distance",
    "read_manifest",
]

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$")
_REQ_FILE = re.compile(r"(^|[-_.])requirements?([-_.][^/]*)?\.(txt|in)$", re.I)
#: distributions whose import name is not their name (the common ones)
_IMPORT_ALIASES = {
    "pyyaml": "yaml",
    "pillow": "PIL",
    "beautifulsoup4": "bs4",
    "scikit-learn": "sklearn",
    "scikit-image": "skimage",
    "opencv-python": "cv2",
    "opencv-python-headless": "cv2",
    "python-dateutil": "dateutil",
    "protobuf": "google",
    "attrs": "attr",
    "pyjwt": "jwt",
    "pymysql": "pymysql",
    "psycopg2-binary": "psycopg2",
    "faiss-cpu": "faiss",
    "faiss-gpu": "faiss",
    "llama-cpp-python": "llama_cpp",
    "python-magic": "magic",
    "pycryptodome": "Crypto",
    "pyserial": "serial",
    "msgpack-python": "msgpack",
    "pyzmq": "zmq",
    "dnspython": "dns",
    "gitpython": "git",
    "pygithub": "github",
    "python-multipart": "multipart",
    "setuptools": "pkg_resources",
    "typing-extensions": "typing_extensions",
    "markdown-it-py": "markdown_it",
    "ruamel-yaml": "ruamel",
    "python-docx": "docx",
    "python-pptx": "pptx",
    "pywin32": "win32api",
    "sentence-transformers": "sentence_transformers",
    "tree-sitter": "tree_sitter",
}


class ManifestError(ValueError):
    """A dependency manifest that no longer parses."""


def normalize(name: str) -> str:
    """PEP 503: ``Foo_Bar.baz`` -> ``foo-bar-baz``."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    name: str  # as written
    path: str
    line: int  # 1-based line of the manifest it is named on; 0 when it cannot be told

    @property
    def key(self) -> str:
        return normalize(self.name)


def is_manifest(path: str) -> bool:
    p = PurePosixPath(path)
    if p.name == "pyproject.toml":
        return True
    return bool(_REQ_FILE.search(p.name)) or (
        p.parent.name.lower() == "requirements" and p.suffix in (".txt", ".in")
    )


def declared(snapshot: Snapshot) -> list[Requirement]:
    """Every requirement named by the manifests of ``snapshot`` (unparseable ones skipped)."""
    out: list[Requirement] = []
    for path in snapshot.paths():
        if not is_manifest(path):
            continue
        text = snapshot.read(path)
        if text is None:
            continue
        try:
            out += read_manifest(path, text)
        except ManifestError:
            continue
    return out


def read_manifest(path: str, text: str) -> list[Requirement]:
    """The requirements ``path`` names; ``ManifestError`` if a pyproject.toml is broken."""
    if PurePosixPath(path).name == "pyproject.toml":
        return _pyproject(path, text)
    return list(_requirements_txt(path, text))


def _requirements_txt(path: str, text: str) -> Iterator[Requirement]:
    for n, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line or line.startswith(("-", ".", "/", "\\")) or "://" in line.split("@")[0]:
            continue
        name = requirement_name(line)
        if name:
            yield Requirement(name, path, n)


def requirement_name(spec: str) -> str | None:
    """The distribution a PEP 508 string names; None for URLs, paths and direct references."""
    m = _REQ_NAME.match(spec)
    if not m:
        return None
    rest = m.group(3).strip()
    if rest.startswith("@") or "://" in spec.split(";")[0]:
        return None  # a direct reference is not installed from the index
    if rest and not re.match(r"^([<>=!~;,(]|$)", rest):
        return None
    return m.group(1)


def _pyproject(path: str, text: str) -> list[Requirement]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path} is not valid TOML: {exc}") from exc
    names: list[str] = []
    project = _table(data, "project")
    names += _strings(project.get("dependencies"))
    for group in _table(project, "optional-dependencies").values():
        names += _strings(group)
    for group in _table(data, "dependency-groups").values():
        names += _strings(group)
    names += _strings(_table(data, "build-system").get("requires"))
    tool = _table(data, "tool")
    poetry = _table(tool, "poetry")
    tables = [_table(poetry, "dependencies"), _table(poetry, "dev-dependencies")]
    tables += [
        _table(g, "dependencies") for g in _table(poetry, "group").values() if isinstance(g, dict)
    ]
    for t in tables:
        names += [k for k in t if k.lower() != "python"]
    for group in _table(_table(tool, "pdm"), "dev-dependencies").values():
        names += _strings(group)
    names += _strings(_table(tool, "uv").get("dev-dependencies"))
    lines = text.splitlines()
    out = []
    for spec in names:
        name = requirement_name(spec) if not re.fullmatch(r"[\w.-]+", spec) else spec
        if name:
            out.append(Requirement(name, path, _line_of(lines, name)))
    return out


def _table(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _line_of(lines: list[str], name: str) -> int:
    pattern = re.compile(r"(?<![\w.-])" + re.escape(name) + r"(?![\w.-])", re.I)
    for n, line in enumerate(lines, 1):
        if pattern.search(line) and not line.lstrip().startswith("#"):
            return n
    return 0


@cache
def known_packages() -> tuple[str, ...]:
    """The shipped snapshot of popular PyPI names, most downloaded first."""
    text = (files("verify.gate") / "data" / "known_packages.txt").read_text(encoding="utf-8")
    return tuple(ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))


class Environment:
    """Installed distributions, known names and declared dependencies, for the checks.

    What is installed is read from the package metadata only when a check needs it (a
    dependency or an import the repository and the standard library do not explain).
    """

    def __init__(self, known: frozenset[str], declared: frozenset[str] = frozenset()) -> None:
        self.known = known  # snapshot + allowlist (normalised)
        #: normalised names the project declares whose imports are trusted: what it declared
        #: before the change, and what it declares now that is real
        self.declared = declared
        self._spec_cache: dict[str, bool] = {}

    @classmethod
    def current(
        cls, allow: Iterable[str] = (), before: Iterable[str] = (), after: Iterable[str] = ()
    ) -> Environment:
        """The environment verify runs in (in CI, the project's own); ``before`` and
        ``after`` are the names the project declares before and after the change."""
        env = cls(frozenset(known_packages()) | {normalize(a) for a in allow})
        old = {normalize(d) for d in before}
        env.declared = frozenset(
            old
            | {normalize(d) for d in after if normalize(d) not in old and env.is_real_package(d)}
        )
        return env

    @cached_property
    def installed(self) -> frozenset[str]:
        """Normalised names of the installed distributions."""
        return frozenset(normalize(d.name or "") for d in importlib.metadata.distributions()) - {""}

    @cached_property
    def import_names(self) -> frozenset[str]:
        """Top-level modules the installed distributions provide."""
        return frozenset(importlib.metadata.packages_distributions())

    def is_real_package(self, name: str) -> bool:
        """Installed, allow-listed, or in the snapshot of known PyPI names."""
        key = normalize(name)
        return key in self.known or key in self.installed

    def provides_module(self, top: str) -> bool:
        """Whether ``import top`` can work: stdlib, installed, or a declared dependency."""
        if top in sys.stdlib_module_names or top in sys.builtin_module_names:
            return True
        if top in _declared_imports(self.declared) or top in self.import_names:
            return True
        if top not in self._spec_cache:
            try:
                self._spec_cache[top] = importlib.util.find_spec(top) is not None
            except (ImportError, ValueError):
                self._spec_cache[top] = False
        return self._spec_cache[top]

    def module_names(self) -> list[str]:
        """Top-level module names that exist, for suggestions."""
        return sorted(set(sys.stdlib_module_names) | self.import_names)


def _declared_imports(dists: frozenset[str]) -> frozenset[str]:
    return _imports_for(tuple(sorted(dists)))


@cache
def _imports_for(dists: tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for d in dists:
        base = d.replace("-", "_")
        out |= {base, d.split("-")[0]}
        for prefix in ("python_", "py_", "py"):
            if base.startswith(prefix) and len(base) > len(prefix) + 1:
                out.add(base[len(prefix) :])
        if d in _IMPORT_ALIASES:
            out.add(_IMPORT_ALIASES[d])
    return frozenset(out)


def osa_distance(a: str, b: str, cap: int = 3) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or ``cap`` once it reaches it."""
    if abs(len(a) - len(b)) >= cap:
        return cap
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) >= cap:
            return cap
        prev2, prev = prev, cur
    return min(prev[-1], cap)


def closest(name: str, candidates: Iterable[str], *, limit: int = 3) -> list[tuple[str, int]]:
    """Known names within typosquat distance of ``name`` (2 edits, 1 for short names).

    Separators are ignored for the comparison ("python-dateutil" ~ "pythondateutil"); ties
    keep the candidates' order (the snapshot lists the most downloaded first).
    """
    key = normalize(name)
    flat = key.replace("-", "")
    cap = 2 if len(flat) > 4 else 1
    found: list[tuple[int, int, str]] = []
    for order, cand in enumerate(candidates):
        if cand == key:
            continue
        d = osa_distance(flat, cand.replace("-", ""), cap + 1)
        if cand.replace("-", "") == flat:
            d = 1  # same letters, other separators: the classic squat
        if d <= cap:
            found.append((d, order, cand))
    found.sort()
    return [(c, d) for d, _, c in found[:limit]]
