"""Run the robustness suites and print what they tried and found, one row per suite.

    python benchmarks/robustness_summary.py [--no-model] [PYTEST_ARGS...]

Runs pytest on the suites of issues #7 and #16 that exist (fault injection, hostile text,
agent confinement, CLI fuzzing, durability with kill -9, determinism, stalled models and
deadlines, the two-phase ledger) with ``VERIFY_ROBUSTNESS_OUT`` naming a temporary file, into
which every case appends its counts (``tests/robustness.py``). Prints, per suite: cases tried,
faults injected, flips, escapes, crashes, lost, late, and the pytest outcome of its file.
Exits 1 when pytest failed or any of flips, escapes, crashes, lost or late is above 0, else
0. ``--no-model`` skips tests that load a bundled model (``-m "not model"``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from robustness import COUNTS  # noqa: E402 - the counts' names live with the tests

#: The suites' files, in the order of the issue.
FILES = (
    "tests/test_faults.py",
    "tests/test_hostile.py",
    "tests/test_confinement.py",
    "tests/test_fuzz_cli.py",
    "tests/test_durability.py",
    "tests/test_determinism.py",
    "tests/test_deadlines.py",
    "tests/test_two_phase.py",
)
#: Counts that must be 0.
BAD = ("flips", "escapes", "crashes", "lost", "late")
#: ``-rA`` summary lines: "PASSED tests/x.py::test", "SKIPPED [2] tests/x.py:10: why".
_OUTCOME = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS|SKIPPED) (?:\[(\d+)\] )?(tests/\w+\.py)")


def run(files: list[str], extra: list[str]) -> tuple[int, dict[str, dict[str, int]], str]:
    """(pytest's exit code, the summed counts per suite, the outcome per file as text)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "counts.jsonl"
        env = {**os.environ, "VERIFY_ROBUSTNESS_OUT": str(out)}
        for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
            env.setdefault(key, "1")
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", *files, *extra],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
        if out.exists():
            for line in out.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                suite = record.pop("suite")
                for key, value in record.items():
                    sums[suite][key] += int(value)
    outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in proc.stdout.splitlines():
        found = _OUTCOME.match(line)
        if found:
            outcomes[found.group(3)][found.group(1).lower()] += int(found.group(2) or 1)
    lines = [
        f"{name}: " + (", ".join(f"{n} {k}" for k, n in sorted(outcomes[name].items())) or "-")
        for name in files
    ]
    tail = proc.stdout.strip().splitlines()[-1:] or ["(no pytest output)"]
    text = "\n".join([*lines, f"pytest: {tail[0]} (exit {proc.returncode})"])
    if proc.returncode != 0:
        failed = [ln for ln in proc.stdout.splitlines() if ln.startswith(("FAILED", "ERROR"))]
        text += "\n" + "\n".join(failed[:20])
    return proc.returncode, dict(sums), text


def table(sums: dict[str, dict[str, int]]) -> str:
    width = max([len("suite"), *map(len, sums)])
    head = f"{'suite':<{width}}" + "".join(f"{c:>9}" for c in COUNTS)
    rows = [head, "-" * len(head)]
    for suite in sorted(sums):
        rows.append(f"{suite:<{width}}" + "".join(f"{sums[suite][c]:>9}" for c in COUNTS))
    total = {c: sum(s[c] for s in sums.values()) for c in COUNTS}
    rows += ["-" * len(head), f"{'total':<{width}}" + "".join(f"{total[c]:>9}" for c in COUNTS)]
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--no-model", action="store_true", help="skip tests marked `model`")
    args, extra = parser.parse_known_args()
    files = [f for f in FILES if (REPO / f).is_file()]
    if args.no_model:
        extra = ["-m", "not model", *extra]
    print(f"running: {' '.join(files)}", flush=True)
    code, sums, outcomes = run(files, extra)
    print()
    print(table(sums) if sums else "no counts recorded (did the suites call robustness.tally?)")
    print()
    print(outcomes)
    bad = {c: sum(s[c] for s in sums.values()) for c in BAD}
    if code != 0 or any(bad.values()) or not sums:
        print(f"\nFAIL: pytest exit {code}; " + ", ".join(f"{c} {n}" for c, n in bad.items()))
        return 1
    print("\nOK: every suite passed; no flips, escapes, crashes, lost rows or late calls")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
