"""The test suite's own layout: test modules share code through ``conftest.py``, ``fakes.py``
and the ``support`` package, never by importing one another (nor themselves, as the script
of a subprocess), so that each test module can be read, run and changed on its own."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
#: Every module of the suite: the test modules, conftest.py, fakes.py, the support package.
MODULES = sorted([*TESTS.glob("*.py"), *TESTS.glob("support/*.py")])
#: An import statement inside a string: the script a test hands to ``python -c``.
SCRIPT_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import|import[ \t]+([\w.]+))", re.M)


def _is_test_module(name: str) -> bool:
    return name.split(".")[0].startswith("test_")


def imports_of_test_modules(source: str, filename: str) -> list[str]:
    """``file:line: imports name`` for each import of a ``test_*`` module in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.module:
                found.append((node.lineno, node.module))
            else:  # from . import name
                found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in SCRIPT_IMPORT.finditer(node.value):
                line = node.lineno + node.value.count("\n", 0, match.start())
                found.append((line, match.group(1) or match.group(2)))
    return [f"{filename}:{line}: imports {name}" for line, name in found if _is_test_module(name)]


def test_the_suite_has_modules_to_check() -> None:
    names = {p.name for p in MODULES}
    assert {"conftest.py", "fakes.py", "test_layout.py", "__init__.py"} <= names
    assert sum(name.startswith("test_") for name in names) > 20


def test_no_test_module_imports_another() -> None:
    bad = [
        hit
        for path in MODULES
        for hit in imports_of_test_modules(
            path.read_text(encoding="utf-8"), str(path.relative_to(TESTS.parent))
        )
    ]
    assert bad == [], "move what is shared into tests/support/ or conftest.py:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("import {t}index\n", 1),
        ("import json, {t}index.x\n", 1),
        ("\nfrom {t}check_cli import SUPPORTED\n", 2),
        ("def f():\n    from {t}bench import bench\n", 2),
        ("from . import {t}reports\n", 1),
        ('SCRIPT = """\nimport sys\nfrom {t}usage_scale import grow\n"""\n', 3),
        ("CODE = 'import {t}usage'\n", 1),
    ],
)
def test_the_check_finds_an_import_of_a_test_module(source: str, line: int) -> None:
    """The check above could fail: each way of importing a test module is found, on its line.
    (The module names are filled in here so that this file passes the check itself.)"""
    hits = imports_of_test_modules(source.format(t="test_"), "tests/test_x.py")
    assert len(hits) == 1 and hits[0].startswith(f"tests/test_x.py:{line}: imports test_"), hits


@pytest.mark.parametrize(
    "source",
    [
        "import fakes\nfrom support.corpus import SUPPORTED\n",
        "from verify.testing import verifier\n",
        "import pytest_asyncio\n",
        'PLUGINS = "fakes:register"\n',
        'TEXT = "see test_index for the queries"\n',
    ],
)
def test_the_check_passes_what_is_not_a_test_module(source: str) -> None:
    assert imports_of_test_modules(source, "tests/test_x.py") == []
