"""What verify's pytest plugin adds to a pytest session that does not use it (target: < 0.5 s).

Writes a throwaway project of --tests trivial tests that never check a text, then times
fresh `python -m pytest` runs of it, interleaved, with the plugin and without it, two ways:

- isolated: plugin autoloading off (PYTEST_DISABLE_PLUGIN_AUTOLOAD=1), the plugin loaded
  with `-p verify.testing._plugin` or not at all: the plugin's own cost, on a quiet baseline;
- as installed: every installed plugin autoloaded, with the plugin or with `-p no:verify`:
  what a user of this environment pays.

Prints the best and median wall clock of --repeat runs of each, their differences, and the
plugin module's import time (`python -X importtime`, pytest already imported). Exits 1 when
the median overhead of either way is 0.5 s or more.

    python benchmarks/pytest_overhead.py [--tests N] [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO

TARGET_SECONDS = 0.5
PLUGIN = "verify.testing._plugin"


def write_project(root: Path, tests: int) -> None:
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    body = "".join(f"def test_{n}():\n    assert {n} + 1 == {n + 1}\n\n\n" for n in range(tests))
    (root / "test_plain.py").write_text(body)


def timed(root: Path, args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pytest {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def import_seconds() -> float:
    """Cumulative import time of the plugin module once pytest is imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import pytest; import {PLUGIN}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    for line in done.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == PLUGIN:
            return int(parts[1]) / 1e6
    raise SystemExit(f"no import time reported for {PLUGIN}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=50, help="trivial tests in the project")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each case")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    ns = parser.parse_args()

    quiet = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    loud = {k: v for k, v in os.environ.items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    cases = {
        "isolated, without": ([], quiet),
        "isolated, with": (["-p", PLUGIN], quiet),
        "as installed, without": (["-p", "no:verify"], loud),
        "as installed, with": ([], loud),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    with tempfile.TemporaryDirectory(prefix="verify-pytest-overhead-") as tmp:
        root = Path(tmp)
        write_project(root, ns.tests)
        for args, env in cases.values():  # warm the file cache and the .pyc files
            timed(root, args, env)
        for _ in range(ns.repeat):
            for name, (args, env) in cases.items():
                times[name].append(timed(root, args, env))

    figures: dict[str, float] = {}
    for name, runs in times.items():
        figures[f"{name}: best"] = min(runs)
        figures[f"{name}: median"] = statistics.median(runs)
    overhead = {
        way: figures[f"{way}, with: median"] - figures[f"{way}, without: median"]
        for way in ("isolated", "as installed")
    }
    best = {
        way: figures[f"{way}, with: best"] - figures[f"{way}, without: best"]
        for way in ("isolated", "as installed")
    }
    imported = import_seconds()
    if ns.json:
        print(
            json.dumps(
                {
                    "tests": ns.tests,
                    "repeat": ns.repeat,
                    "seconds": figures,
                    "overhead_median": overhead,
                    "overhead_best": best,
                    "plugin_import_seconds": imported,
                    "target_seconds": TARGET_SECONDS,
                },
                indent=2,
            )
        )
    else:
        print(f"pytest session of {ns.tests} tests that never check a text, {ns.repeat} runs each")
        for name, runs in times.items():
            print(f"  {name:<24} best {min(runs):6.3f} s   median {statistics.median(runs):6.3f} s")
        for way in overhead:
            print(
                f"overhead {way:<13} median {overhead[way]:+.3f} s   best {best[way]:+.3f} s"
                f"   (target < {TARGET_SECONDS} s)"
            )
        print(f"import {PLUGIN}: {imported * 1000:.1f} ms (pytest already imported)")
    if max(overhead.values()) >= TARGET_SECONDS:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
