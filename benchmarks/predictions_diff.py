"""Which claims two ``verify bench --json`` runs labelled differently.

    python benchmarks/predictions_diff.py BEFORE.json AFTER.json

Prints the number of claims compared, how many changed label, and for each change its id,
gold label, label before and after and both reasons; exits 1 when any changed (a refactor that
must keep every verdict, #13, reports its diff this way).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _by_id(path: Path) -> dict[str, dict[str, Any]]:
    return {str(p["id"]): p for p in json.loads(path.read_text())["predictions"]}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    before, after = (_by_id(Path(a)) for a in argv)
    if before.keys() != after.keys():
        print(f"the runs hold different claims ({len(before)} vs {len(after)})", file=sys.stderr)
        return 2
    changed = [k for k in before if before[k]["verdict"] != after[k]["verdict"]]
    print(f"{len(before)} claims, {len(changed)} changed label")
    for k in changed:
        b, a = before[k], after[k]
        print(f"  {k}: gold {b.get('gold')}, {b['verdict']} -> {a['verdict']}")
        print(f"    before: {b.get('reason', '')[:160]}")
        print(f"    after:  {a.get('reason', '')[:160]}")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
