"""``verify bench``: the checker measured on a labelled dataset."""

from ._dataset import Dataset, LabelledClaim, load_dataset
from ._metrics import BINARY, LABELS3, VERDICTS, auroc, metrics
from ._run import BenchResult, run_bench

__all__ = [
    "BINARY",
    "LABELS3",
    "VERDICTS",
    "BenchResult",
    "Dataset",
    "LabelledClaim",
    "auroc",
    "load_dataset",
    "metrics",
    "run_bench",
]
