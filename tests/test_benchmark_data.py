"""The labelled sets of this repository (benchmarks/data) are well formed, and the scorer's
training recipe weighs them as documented. The sets are data the benchmarks read; a broken
line or a missing evidence file would only show as a wrong figure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.train_scorer import shares
from verify.bench import load_dataset

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
SETS = sorted(p for p in DATA.iterdir() if p.name.startswith(("heldout-", "train-")))
LABELS = {"supported", "contradicted", "unverifiable"}


def test_there_are_held_out_and_training_sets() -> None:
    names = {p.name for p in SETS}
    assert {"heldout-kestrel", "heldout-oriel", "heldout-larkspur", "heldout-marlin"} <= names
    assert {"train-tamarack", "train-quire", "train-wrenfield", "train-pellucid"} <= names


@pytest.mark.parametrize("folder", SETS, ids=lambda p: p.name)
def test_a_set_is_well_formed(folder: Path) -> None:
    lines = (folder / "claims.jsonl").read_text(encoding="utf-8").splitlines()
    claims = [json.loads(line) for line in lines if line.strip()]
    assert len({c["id"] for c in claims}) == len(claims), "ids repeat"
    assert len({c["claim"] for c in claims}) == len(claims), "a claim repeats"
    for c in claims:
        assert c["label"] in LABELS, c["id"]
        # a claim the documents decide names the files that decide it; others name none
        assert bool(c["evidence"]) == (c["label"] != "unverifiable"), c["id"]
        for path in c["evidence"]:
            assert (folder / path).is_file(), f"{c['id']}: {path} is missing"
    assert {c["label"] for c in claims} == LABELS
    assert (folder / "README.md").is_file()
    assert len(load_dataset(folder).claims) == len(claims)  # what `verify bench` reads


def test_the_training_sets_of_each_kind_share_its_weight() -> None:
    # five sets of organisation documents weigh together what VitaminC's contexts weigh
    orgs = ["ferrowave", "tamarack", "quire", "wrenfield", "pellucid"]
    assert shares([*orgs, "vitaminc-heldout"]) == [0.2] * 5 + [1.0]
    assert shares(["ferrowave", "vitaminc-heldout"]) == [1.0, 1.0]  # the committed recipe
    assert shares([*orgs, "vitaminc-heldout"], weigh="sets") == [1.0] * 6
