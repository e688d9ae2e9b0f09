"""Rules 2, 3 and 5 and the prose blocks of rule 4, each on a change built in memory."""

from __future__ import annotations

import difflib
import json
import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.types import Usage
from reports import Finding
from verify.errors import InputError
from verify.gate import (
    RULES,
    Change,
    Environment,
    MemorySnapshot,
    closest,
    is_doc_path,
    is_test_path,
    known_packages,
    normalize,
    osa_distance,
    parse_patch,
    read_description,
    read_usage,
)
from verify.gate._budget import budget, verified_lines
from verify.gate._corpus import materialize
from verify.gate._dependencies import dependency_findings
from verify.gate._description import description_findings
from verify.gate._packages import read_manifest, requirement_name
from verify.gate._prose import prose_blocks


def change_of(before: dict[str, str], after: dict[str, str], description: str = "") -> Change:
    before = {k: textwrap.dedent(v) for k, v in before.items()}
    after = {k: textwrap.dedent(v) for k, v in after.items()}
    parts: list[str] = []
    for path in sorted(set(before) | set(after)):
        a, b = before.get(path), after.get(path)
        if a != b:
            parts += difflib.unified_diff(
                (a or "").splitlines(keepends=True),
                (b or "").splitlines(keepends=True),
                "/dev/null" if a is None else f"a/{path}",
                "/dev/null" if b is None else f"b/{path}",
            )
    patch = parse_patch("".join(p if p.endswith("\n") else p + "\n" for p in parts))
    return Change(Path(), patch, MemorySnapshot(before), MemorySnapshot(after), description)


# -- rule 2: dependencies ---------------------------------------------------------------
PYPROJECT = """\
    [project]
    name = "shop"
    dependencies = [
        "click>=8",
    ]

    [project.optional-dependencies]
    dev = ["pytest"]
    """


def deps(
    after_pyproject: str, *, allow: tuple[str, ...] = (), extra: dict[str, str] | None = None
) -> list[Finding]:
    before = {"pyproject.toml": PYPROJECT, "requirements.txt": "click\n"}
    after = {**before, "pyproject.toml": after_pyproject, **(extra or {})}
    return dependency_findings(change_of(before, after), Environment.current(allow=allow))


def test_made_up_and_typo_squatted_dependencies_block_with_closest_names() -> None:
    found = deps(
        PYPROJECT.replace(
            '"click>=8",',
            '"click>=8",\n        "reqeusts>=2",\n'
            '        "fastapi-turbo-router",\n        "numpy",',
        ),
        extra={
            "requirements-dev.txt": "click\nbeautifulsoup5==4.0  # parsing\n"
            "-r requirements.txt\n-e .\n"
            "pkg @ https://example.com/pkg.whl\n"
        },
    )
    assert [(f.rule, f.path, f.line) for f in found] == [
        ("deps/unknown-package", "pyproject.toml", 5),
        ("deps/unknown-package", "pyproject.toml", 6),
        ("deps/unknown-package", "requirements-dev.txt", 2),
    ]
    assert "closest known: requests (1 edit)" in found[0].message
    assert "closest known" not in found[1].message
    assert "beautifulsoup4 (1 edit)" in found[2].message


def test_known_installed_allowed_and_sibling_packages_pass() -> None:
    found = deps(
        PYPROJECT.replace(
            'dev = ["pytest"]', 'dev = ["pytest", "hypothesis", "our-private-sdk", "shop-plugins"]'
        ),
        allow=("Our_Private.SDK",),
        extra={"plugins/pyproject.toml": '[project]\nname = "shop_plugins"\n'},
    )
    assert found == []


def test_a_broken_pyproject_blocks() -> None:
    found = deps(PYPROJECT + "\n[broken\n")
    assert [f.rule for f in found] == ["deps/bad-manifest"]


def test_manifests_of_every_flavour() -> None:
    poetry = (
        '[tool.poetry.dependencies]\npython = "^3.11"\nrich = "*"\n'
        '[tool.poetry.group.dev.dependencies]\nruff = "*"\n'
        '[dependency-groups]\ntest = ["pytest>=8", {include-group = "x"}]\n'
        '[build-system]\nrequires = ["setuptools>=68", "wheel"]\n'
    )
    names = [r.name for r in read_manifest("pyproject.toml", poetry)]
    assert names == ["pytest", "setuptools", "wheel", "rich", "ruff"]
    assert requirement_name("Foo_Bar[extra] >= 1.0 ; python_version < '3.12'") == "Foo_Bar"
    assert requirement_name("pkg @ git+https://x/y") is None
    assert requirement_name("./local/path") is None


def test_osa_distance_and_closest() -> None:
    assert osa_distance("requests", "reqeusts") == 1  # a transposition is one edit
    assert osa_distance("abc", "xyz") == 3
    assert osa_distance("numpy", "numpyyyyyyy", cap=3) == 3
    assert closest("python_dateutl", ["python-dateutil", "dateutil"])[0] == ("python-dateutil", 1)
    assert closest("Python_DateUtil", ["python-dateutil"]) == []  # the same name
    assert normalize("Foo_Bar.baz") == "foo-bar-baz"
    assert "requests" in known_packages()[:50]


@given(st.text(alphabet="abcdefgh", max_size=8), st.text(alphabet="abcdefgh", max_size=8))
def test_osa_distance_is_a_symmetric_premetric(a: str, b: str) -> None:
    d = osa_distance(a, b, cap=99)
    assert d == osa_distance(b, a, cap=99)
    assert (d == 0) == (a == b)
    assert d <= max(len(a), len(b))


# -- rule 3: the description ------------------------------------------------------------
BASE = {
    "app/settings.py": "TIMEOUT = 30\nRETRIES = 3\n",
    "app/core.py": "def handle(x):\n    return x + 1\n",
    "docs/usage.md": "# Usage\n\nCall handle.\n",
    "tests/test_core.py": "def test_handle():\n    assert True\n",
}


def described(after: dict[str, str], text: str) -> list[tuple[str, str, int]]:
    found = description_findings(change_of(BASE, {**BASE, **after}, text))
    return [(f.rule, f.path, f.line) for f in found]


@pytest.mark.parametrize(
    "text, claims_tests",
    [
        ("Add retries, with tests.", True),
        ("Adds unit tests for the parser", True),
        ("Includes a new regression test", True),
        ("test: cover handle", True),
        ("Tests added for handle()", True),
        ("No tests needed, docs only.", False),
        ("Add retries without tests", False),
        ("Tests will follow up later", False),
        ("Fix the latest regression", False),
    ],
)
def test_what_counts_as_claiming_tests(text: str, claims_tests: bool) -> None:
    kinds = [s.kind for s in read_description(text)]
    assert ("tests" in kinds) == claims_tests


def test_tests_claimed_without_test_files_blocks_and_with_them_passes() -> None:
    change = {"app/core.py": "def handle(x):\n    return x + 2\n"}
    assert ("description/tests-claimed", "", 1) in described(change, "Fix handle, with tests")
    with_tests = {**change, "tests/test_core.py": BASE["tests/test_core.py"] + "# more\n"}
    assert described(with_tests, "Fix handle, with tests") == []


def test_no_behaviour_change_claims_against_logic_changes() -> None:
    value = {"app/settings.py": "TIMEOUT = 60\nRETRIES = 3\n"}
    assert described(value, "Refactor settings; no behaviour change.") == [
        ("description/no-behaviour-change", "app/settings.py", 1)
    ]
    rename = {"app/core.py": "def handle(value):\n    return value + 1\n"}
    assert described(rename, "Pure refactor: rename a parameter.") == []
    assert described(rename, "Docs only.") == [
        ("description/no-behaviour-change", "app/core.py", 1)
    ]
    comment = {
        "app/core.py": "def handle(x):\n    # add one\n    return x + 1\n",
        "docs/usage.md": BASE["docs/usage.md"] + "More.\n",
    }
    assert described(comment, "docs only") == []
    config = {"app/conf.toml": "timeout = 5\n"}
    assert described(config, "No functional change.") == [
        ("description/no-behaviour-change", "app/conf.toml", 1)
    ]


def test_named_things_must_be_touched() -> None:
    change = {"app/core.py": "def handle(x):\n    return x + 2\n"}
    text = "Fix `handle` in app/core.py so retry_count is honoured.\nSee `parse_header()` too."
    assert described(change, text) == [
        ("description/names-untouched", "", 1),
        ("description/names-untouched", "", 2),
    ]
    found = description_findings(change_of(BASE, {**BASE, **change}, text))
    assert [f.severity for f in found] == ["warn", "warn"]
    assert "retry_count" in found[0].message and "parse_header" in found[1].message


def test_stated_numbers_must_be_in_the_diff() -> None:
    change = {"app/settings.py": "TIMEOUT = 60\nRETRIES = 3\n"}
    assert described(change, "Raise the default timeout to 60s (from 30 seconds).") == []
    assert described(change, "Raise the default timeout to 1 minute.") == []
    assert described(change, "Raise the default timeout to 90 seconds.") == [
        ("description/number-mismatch", "", 1)
    ]
    assert described(change, "Speeds up handle by 40%; fixes #123 in 2 places.") == []
    assert described(change, "Fixes a 45s hang; tested on Python 3.12.") == []
    assert described(change, "Bump the version to 2.3.1.") == [
        ("description/number-mismatch", "", 1)
    ]


def test_an_empty_description_checks_nothing() -> None:
    assert described({"app/core.py": "x = 1\n"}, "") == []


def test_paths_of_tests_and_docs() -> None:
    assert all(
        map(
            is_test_path,
            [
                "tests/a.py",
                "pkg/test_x.py",
                "x_test.go",
                "conftest.py",
                "web/a.spec.ts",
                "src/__tests__/a.js",
            ],
        )
    )
    assert not any(map(is_test_path, ["pkg/testing_utils.py", "latest.py", "contest.md"]))
    assert all(map(is_doc_path, ["README", "CHANGELOG.md", "docs/a.rst", "notes.txt"]))
    assert not any(map(is_doc_path, ["requirements.txt", "a.py", "pyproject.toml"]))


# -- rule 4: which prose is checked -----------------------------------------------------
def test_prose_blocks_from_docs_comments_and_docstrings() -> None:
    before = {"docs/a.md": "# A\n\nOld text.\n", "pkg/m.py": "def f():\n    return 1\n"}
    after = {
        "docs/a.md": "# A\n\nOld text.\nThe cache keeps entries for 10 minutes.\n\n```\n"
        "rm -rf /tmp/cache\n```\nEntries are evicted oldest first.\n",
        "pkg/m.py": '"""Module doc."""\n\n\ndef f():\n    """Return one.\n\n    The result is '
        'always 1.\n    """\n    # The retry budget is 3 attempts.\n'
        "    # type: ignore\n    x = compute(1)  # noqa\n    return 1\n",
    }
    blocks = prose_blocks(change_of(before, after))
    got = [(b.path, b.line, b.kind, b.text) for b in blocks]
    assert ("docs/a.md", 4, "doc", "The cache keeps entries for 10 minutes.\n") in got
    assert ("docs/a.md", 9, "doc", "Entries are evicted oldest first.") in got
    assert all("rm -rf" not in b.text for b in blocks)
    assert ("pkg/m.py", 9, "comment", "The retry budget is 3 attempts.") in got
    assert ("pkg/m.py", 5, "docstring", "Return one.\n\nThe result is always 1.\n") in got
    assert all(b.text not in ("type: ignore", "noqa") for b in blocks)


def test_materialize_writes_only_what_changed_and_removes_the_rest(tmp_path: Path) -> None:
    tree = tmp_path / ".verify" / "gate-tree"
    snap = MemorySnapshot(
        {
            "docs/a.md": "A\n",
            "pkg/b.py": "x = 1\n",
            "logo.png": "?",
            ".github/ci.yml": "on: push\n",
            "node_modules/x/y.js": "z\n",
        }
    )
    assert materialize(snap, tree) == 2
    assert sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file()) == [
        "docs/a.md",
        "pkg/b.py",
    ]
    assert (tmp_path / ".verify" / ".gitignore").read_text() == "*\n"
    stamp = (tree / "docs/a.md").stat().st_mtime_ns
    materialize(MemorySnapshot({"docs/a.md": "A\n", "pkg/c.py": "y = 2\n"}), tree)
    assert (tree / "docs/a.md").stat().st_mtime_ns == stamp  # unchanged: not rewritten
    assert not (tree / "pkg/b.py").exists() and (tree / "pkg/c.py").exists()


def test_materialize_clears_a_killed_writers_temp_file_but_not_a_live_ones(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "gate-tree"
    materialize(MemorySnapshot({"docs/a.md": "A\n"}), tree)
    dead = tree / "docs" / ".verify-4194305-0123456789ab.tmp"  # above any pid Linux hands out
    live = tree / "docs" / f".verify-{os.getpid()}-0123456789ab.tmp"  # a writer at work
    dead.write_text("A half", encoding="utf-8")
    live.write_text("B half", encoding="utf-8")
    materialize(MemorySnapshot({"docs/a.md": "A\n", "docs/b.md": "B\n"}), tree)
    assert {p.name for p in (tree / "docs").iterdir()} == {"a.md", "b.md", live.name}


# -- rule 5: the budget -----------------------------------------------------------------
def test_usage_files(tmp_path: Path) -> None:
    good = tmp_path / "u.json"
    good.write_text(json.dumps({"usage": {"prompt_tokens": 10, "completion_tokens": 5}}))
    assert read_usage(good) == Usage(10, 5)
    flat = tmp_path / "f.json"
    flat.write_text(json.dumps({"prompt_tokens": 7}))
    assert read_usage(flat) == Usage(7, 0)
    for body in (
        "not json",
        "[]",
        '{"usage": {"prompt_tokens": -1}}',
        '{"other": 1}',
        '{"prompt_tokens": "12"}',
    ):
        bad = tmp_path / "bad.json"
        bad.write_text(body)
        with pytest.raises(InputError):
            read_usage(bad)
    with pytest.raises(InputError, match="cannot read"):
        read_usage(tmp_path / "missing.json")


def test_verified_lines_exclude_blocked_ones_and_the_ceiling() -> None:
    change = change_of({}, {"a.py": "x = 1\n\ny = 2\nz = 3\n"})
    blocked = [
        Finding("code/undefined-name", "block", "a.py", 3, "m"),
        Finding("prose/unverifiable", "warn", "a.py", 4, "m"),
    ]
    assert verified_lines(change, blocked) == (3, 2)
    figures, over = budget(Usage(300, 100), 2, 150.0)
    assert figures["tokens_per_verified_line"] == 200.0
    assert [f.rule for f in over] == ["budget/tokens-per-line"]
    assert budget(Usage(300, 100), 2, 250.0)[1] == []
    figures, over = budget(Usage(10, 0), 0, 5.0)
    assert figures["tokens_per_verified_line"] is None and over
    assert budget(Usage(), 0, 5.0)[1] == []


def test_every_rule_has_a_known_severity_and_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "gate.md").read_text()
    for rule in RULES.values():
        assert rule.severity in ("block", "warn")
        assert f"`{rule.id}`" in doc, rule.id


def test_the_on_the_fly_index_is_incremental(tmp_path: Path) -> None:
    from fakes import HashEmbedder

    import retrieval
    from verify.gate._corpus import gate_index

    shared = HashEmbedder()
    retrieval.register_embedder("gate-counting", lambda: shared)
    files = {
        "docs/a.md": "# A\n\nThe cache keeps entries for ten minutes.\n",
        "docs/b.md": "# B\n\nThe gateway listens on port 8443.\n",
        "pkg/m.py": "TIMEOUT = 30\n",
    }
    index = gate_index(tmp_path, MemorySnapshot(files), None, "gate-counting")
    assert index is not None and index.stats()["documents"] == 3
    index.close()
    first = len(shared.texts)
    again = gate_index(tmp_path, MemorySnapshot(files), None, "gate-counting")
    assert again is not None
    again.close()
    assert len(shared.texts) == first  # nothing changed: nothing re-embedded
    changed = {**files, "docs/b.md": "# B\n\nThe gateway listens on port 9443.\n"}
    third = gate_index(tmp_path, MemorySnapshot(changed), None, "gate-counting")
    assert third is not None
    third.close()
    assert 0 < len(shared.texts) - first <= 3  # only docs/b.md
    assert (
        gate_index(tmp_path / "empty", MemorySnapshot({"logo.png": "x"}), None, "gate-counting")
        is None
    )


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_the_on_the_fly_index_embeds_in_the_precision_given(tmp_path: Path, precision: str) -> None:
    from retrieval import MiniLMEmbedder
    from verify.gate._corpus import gate_index

    files = {"docs/a.md": "# A\n\nThe cache keeps entries for ten minutes.\n"}
    index = gate_index(tmp_path, MemorySnapshot(files), None, "minilm", precision=precision)
    assert index is not None
    with index:
        assert index.meta["embedder_precision"] == precision
        assert isinstance(index.embedder, MiniLMEmbedder) and index.embedder.precision == precision
