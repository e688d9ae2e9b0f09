"""``verify bench``: the checker measured on a labelled dataset."""

from ._dataset import Dataset, LabelledClaim, load_dataset
from ._metrics import auroc, metrics
from ._run import BenchResult, run_bench

__all__ = [
    "BenchResult",
    "Dataset",
    "LabelledClaim",
    "auroc",
    "load_dataset",
    "metrics",
    "run_bench",
]
