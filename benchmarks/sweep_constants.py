"""Sweep one constant of the alignment stage on the scorer's training sets of documents.

    python benchmarks/sweep_constants.py NAME V1,V2,... [--module MODULE] [--sets S,...]

Sets ``MODULE.NAME`` (default module ``checks.alignment._align``: ``ROLE_MIN``, ``MARGIN``,
``ID_ROLE_MIN``, ...; ``checks.cascade._alignment_stage`` for ``MIN_COSINE``, ...) to each
value in turn and prints the whole cascade's balanced accuracy (`verify bench`'s runner,
committed scorer) on each set and their mean. The sets are the four training sets of
organisation documents the committed scorer never saw (benchmarks/data/train-*): a constant
is chosen here, on training data, never on a set it is measured on.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import REPO
from verify.bench import load_dataset, run_bench
from verify.checker import make_cascade
from verify.config import Config

SETS = ("tamarack", "quire", "wrenfield", "pellucid")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", help="the constant, e.g. ROLE_MIN")
    ap.add_argument("values", help="comma-separated values to try")
    ap.add_argument("--module", default="checks.alignment._align", help="where it is defined")
    ap.add_argument("--sets", default=",".join(SETS), help="training sets (train-NAME)")
    args = ap.parse_args()
    module = importlib.import_module(args.module)
    if not hasattr(module, args.name):
        raise SystemExit(f"{args.module} has no constant {args.name}")
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    data = [load_dataset(REPO / "benchmarks" / "data" / f"train-{s}") for s in names]
    print(f"{'value':>8}  " + " ".join(f"{s:>9}" for s in names) + "       mean")
    for raw in args.values.split(","):
        setattr(module, args.name, float(raw))
        ba = [
            run_bench(d, d.default_index(), lambda ev: make_cascade(ev, Config())).metrics[
                "balanced_accuracy"
            ]
            for d in data
        ]
        cells = " ".join(f"{x:9.3f}" for x in ba)
        print(f"{raw:>8}  {cells}  {sum(ba) / len(ba):9.4f}", flush=True)


if __name__ == "__main__":
    main()
