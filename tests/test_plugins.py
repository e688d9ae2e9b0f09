"""A third-party package adds a report format, a gate language, an embedder and an entailment
model through the entry-point group ``verify``, without touching this repository.

The package is tests/plugins/verify_example_plugin. It is "installed" the way pip installs
one: a folder on the path of a fresh ``verify`` process holding the package and its
``dist-info`` (METADATA and entry_points.txt). Every command runs in that process, so nothing
is registered by the test itself; a process without the dist-info is the control.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import write_corpus

PLUGIN = Path(__file__).resolve().parent / "plugins" / "verify_example_plugin"
CLAIM = "The gateway uses port 8443."
PATCH = """\
--- /dev/null
+++ b/config/limits.ini
@@ -0,0 +1,2 @@
+[limits]
+max_upload = TODO
"""


def site(root: Path, *, entry: str = "verify_example_plugin") -> Path:
    """A folder as pip leaves one: the package, and a dist-info naming its entry point."""
    folder = root / "site"
    shutil.copytree(PLUGIN, folder / "verify_example_plugin")
    info = folder / "verify_example_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: verify-example-plugin\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(f"[verify]\nexample = {entry}\n", encoding="utf-8")
    return folder


def verify(cwd: Path, *args: str, plugins: Path | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if plugins is not None:
        env["PYTHONPATH"] = str(plugins)
    return subprocess.run(
        [sys.executable, "-c", "from verify.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("plugins")
    plugins = site(root)
    write_corpus(root / "corpus")
    (root / "verify.toml").write_text(
        'embedder = "example-hash"\nentailment = "example-overlap"\n', encoding="utf-8"
    )
    built = verify(root, "index", "corpus", "--index", "idx", "-q", plugins=plugins)
    assert built.returncode == 0, built.stderr
    (root / "repo").mkdir()
    (root / "change.patch").write_text(PATCH, encoding="utf-8")
    return root, plugins


def test_a_plugin_report_format_is_a_format_of_verify_check(world: tuple[Path, Path]) -> None:
    root, plugins = world
    done = verify(root, "check", CLAIM, "--index", "idx", "--format", "csv", plugins=plugins)
    assert done.returncode in (0, 1), done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["id", "verdict", "score", "claim", "evidence"]
    (claim,) = rows[1:]
    assert claim[1] in ("supported", "contradicted", "unverifiable") and claim[3] == CLAIM
    assert claim[4].startswith("docs/") and ":" in claim[4]  # path:line from the corpus


def test_a_plugin_gate_language_blocks_its_files(world: tuple[Path, Path]) -> None:
    root, plugins = world
    args = ["gate", "--repo", "repo", "--patch", "change.patch", "--index", "idx"]
    done = verify(root, *args, "--format", "json", "-q", plugins=plugins)
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert [(f["rule"], f["path"], f["line"]) for f in findings] == [
        ("ini/todo", "config/limits.ini", 2)
    ]


def test_without_the_plugin_neither_exists(world: tuple[Path, Path]) -> None:
    root, _ = world
    (root / "plain").mkdir(exist_ok=True)
    shutil.copy(root / "change.patch", root / "plain" / "change.patch")
    (root / "plain" / "repo").mkdir(exist_ok=True)
    done = verify(root / "plain", "check", CLAIM, "--format", "csv", plugins=None)
    assert done.returncode == 2 and "'csv' is not one of" in done.stderr
    args = ["gate", "--repo", "repo", "--patch", "change.patch", "--format", "json", "-q"]
    done = verify(root / "plain", *args, plugins=None)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["findings"] == []


def test_a_broken_plugin_stops_verify_with_one_line_naming_it(tmp_path: Path) -> None:
    plugins = site(tmp_path, entry="verify_example_plugin.missing_module")
    done = verify(tmp_path, "check", CLAIM, plugins=plugins)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "plugin" in line and "verify" in line and "fix or uninstall" in line
