"""``verify bench`` for the tests: the command run on a dataset folder with the fake embedder,
a committed scorer made to fail, and what a run with every claim failed must print."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FAKE_EMBEDDER

from checks.scorer import Scorer
from verify.cli import cli


def bench(folder: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["bench", str(folder), "--embedder", FAKE_EMBEDDER, "-q", *args])


def break_the_scorer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the committed scorer raise on every claim (its weights otherwise intact)."""
    from checks.scorer import default_scorer

    real = default_scorer()

    class _Exploding(Scorer):
        def predict(self, signals: Any) -> dict[str, float]:
            raise RuntimeError("scorer exploded")

    broken = _Exploding(real.features, real.mean, real.scale, real.coef, real.intercept)
    monkeypatch.setattr("checks.cascade._cascade.default_scorer", lambda: broken)


def assert_every_claim_failed(res: Result, n: int) -> None:
    """Exit 3, and the measurement still printed, with every claim an error."""
    assert res.exit_code == 3, res.output
    data = json.loads(res.stdout)
    assert data["metrics"]["errors"] == n
    assert {p["verdict"] for p in data["predictions"]} == {"error"}
    assert "could not be checked" in res.stderr
