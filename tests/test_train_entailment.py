"""The entailment training script, on a handful of invented pairs (tests/data/nli): it splits
validation by page, keeps evaluation texts out, trains, resumes, and writes a model the
cascade's ``CrossEncoder`` loads. The recipe's quality is measured in benchmarks, not here."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from checks.entailment import CrossEncoder, bundled_model_dir

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "nli"
sys.path.insert(0, str(REPO))

from benchmarks._nli_data import (  # noqa: E402
    BINARY,
    LABEL_ID,
    Pair,
    load_pairs,
    related_neutrals,
    swapped_names,
)


def test_validation_takes_whole_pages_and_evaluation_texts_are_dropped(tmp_path: Path) -> None:
    evals = tmp_path / "evals" / "fever-symmetric-dev"
    evals.mkdir(parents=True)
    (evals / "pairs.jsonl").write_text(
        json.dumps({"premise": "x" * 30, "hypothesis": "The river is 90 kilometres long."}) + "\n",
        encoding="utf-8",
    )
    train, val, stats = load_pairs(DATA, tmp_path / "evals", val_share=0.5)
    assert stats["dropped_as_evaluation_overlap"] == {"vitaminc_synthetic": 1}
    assert all("90 kilometres" not in p.hypothesis for p in train + val)
    train_groups = {p.group for p in train}
    assert not train_groups & {p.group for p in val}  # no page on both sides
    assert val and train


def test_related_neutrals_pair_a_claim_with_another_sentence_of_its_page() -> None:
    page = "vitaminc_real:Ostrava Tower"
    rows = [  # (claim, its premise)
        ("The tower opened in 1961.", "The Ostrava Tower opened to visitors in 1961."),
        ("The tower opened after 1960.", "The Ostrava Tower opened to visitors in 1961 ."),
        ("The tower is painted red.", "Its steel frame is painted red and white."),
        ("The frame is made of steel.", "Its steel frame is painted red and white ."),
        ("The tower was designed by Jan Novak.", "The architect of the tower was Jan Novak."),
        ("The tower has a restaurant.", "A restaurant sits at the top of the tower."),
        ("The tower lift takes 40 seconds.", "Visitors reach the tower top within 40 seconds."),
    ]
    pairs = [Pair("vitaminc_real", p, c, LABEL_ID["entailment"], page) for c, p in rows]
    pairs.append(Pair("mnli_binary", "Cats purr.", "Cats sleep.", -1, "mnli_binary:cats"))
    derived = [d for seed in range(8) for d in related_neutrals(pairs, 1.0, random.Random(seed))]
    own = dict(rows)
    assert len(derived) >= 3
    for d in derived:
        assert d.source == "vitaminc_related" and d.label == LABEL_ID["neutral"]
        assert d.group == page and d.hypothesis in own
        assert d.premise != own[d.hypothesis]
        assert d.premise in own.values()  # a sentence of the same page
        if any(ch.isdigit() for ch in d.hypothesis):  # compared numbers: no number beside
            assert not any(ch.isdigit() for ch in d.premise)
    # never a revision of the claim's own premise (the two steel-frame sentences)
    frame = {"The tower is painted red.", "The frame is made of steel."}
    assert not any(d.hypothesis in frame and "steel frame" in d.premise for d in derived)
    assert related_neutrals(pairs, 0.0, random.Random(0)) == []


def test_swapped_names_swap_a_shared_name_for_one_the_premise_lacks() -> None:
    entailed = [
        ("Alice Moreau manages the London office.", "Alice manages the London office."),
        ("The Ledger team owns the payments API.", "The payments API is owned by Ledger."),
        ("In 1990 Tokyo hosted the games.", "The games were held in Tokyo."),
        ("The bridge spans the Danube in Vienna.", "The Danube bridge is in Vienna."),
    ]
    pairs = [
        Pair("vitaminc_real", p, h, LABEL_ID["entailment"], f"page:{i}")
        for i, (p, h) in enumerate(entailed)
    ]
    # not entailed already: never a source of swaps
    pairs.append(Pair("vitaminc_real", "Oslo is cold.", "Oslo is hot.", 2, "page:oslo"))
    derived = [d for seed in range(5) for d in swapped_names(pairs, 1.0, random.Random(seed))]
    assert len(derived) >= 10
    by_group = {p.group: p for p in pairs}
    for d in derived:
        given = by_group[d.group]
        assert d.source == "swapped_names" and d.label == BINARY
        assert given.label == LABEL_ID["entailment"] and d.premise == given.premise
        old = set(given.hypothesis.replace(".", "").split())
        new = set(d.hypothesis.replace(".", "").split())
        assert len(old - new) == 1 and len(new - old) == 1  # one name swapped
        (gone,), (came,) = old - new, new - old
        assert gone in d.premise and came.lower() not in d.premise.lower()
        assert gone[0].isupper() and came[0].isupper()
        assert gone not in {"The", "In"}  # words also written in lower case are no names
    assert swapped_names(pairs, 0.0, random.Random(0)) == []


def run(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable,
        str(REPO / "benchmarks" / "train_entailment.py"),
        "--out",
        str(out),
        "--data",
        str(DATA),
        "--eval-root",
        str(out / "no-evals"),
        "--pairs",
        "0",
        "--batch",
        "4",
        "--val-pairs",
        "4",
        "--val-share",
        "0.5",
        "--precision",
        "fp32",
        "--checkpoint-every",
        "1",
        *extra,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.model
def test_training_resumes_and_writes_a_model_the_cascade_loads(tmp_path: Path) -> None:
    first = run(tmp_path, "--steps", "2")
    assert first.returncode == 0, first.stderr[-2000:]
    second = run(tmp_path, "--steps", "3", "--resume")
    assert second.returncode == 0, second.stderr[-2000:]
    assert "resumed at step 2/3" in second.stderr
    report = json.loads((tmp_path / "model" / "training.json").read_text(encoding="utf-8"))
    assert report["steps"] == 3
    model = CrossEncoder(tmp_path / "model")
    probs = model.predict([("The tower has 41 floors.", "The tower has 12 floors.")] * 2)
    assert probs.shape == (2, 3)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)

    # a second stage starts from that model (--init): with no step taken, it is that model
    stage2 = run(tmp_path / "stage2", "--steps", "0", "--init", str(tmp_path / "model"))
    assert stage2.returncode == 0, stage2.stderr[-2000:]
    report2 = json.loads((tmp_path / "stage2" / "model" / "training.json").read_text("utf-8"))
    assert report2["recipe"]["init"] == str(tmp_path / "model") and report2["steps"] == 0
    before = load_file(tmp_path / "model" / "model.safetensors")
    after = load_file(tmp_path / "stage2" / "model" / "model.safetensors")
    assert before.keys() == after.keys()
    assert all(np.array_equal(before[k], after[k]) for k in before)


@pytest.mark.model
def test_keep_layers_trains_a_smaller_model_of_the_layers_named(tmp_path: Path) -> None:
    res = run(tmp_path, "--steps", "1", "--keep-layers", "0,5")
    assert res.returncode == 0, res.stderr[-2000:]
    config = json.loads((tmp_path / "model" / "config.json").read_text(encoding="utf-8"))
    assert config["num_hidden_layers"] == 2
    weights = load_file(tmp_path / "model" / "model.safetensors")
    assert {k.split(".")[3] for k in weights if ".encoder.layer." in k} == {"0", "1"}
    probs = CrossEncoder(tmp_path / "model").predict([("The tower has 41 floors.", "It is tall.")])
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    for bad in ("0,6", "1,1", "two"):
        res = run(tmp_path / bad, "--steps", "1", "--keep-layers", bad)
        assert res.returncode == 1 and "name distinct layers from 0 to 5" in res.stderr
        assert not (tmp_path / bad / "model").exists()


@pytest.mark.model
def test_a_student_learns_from_its_teachers_probabilities(tmp_path: Path) -> None:
    teacher = str(bundled_model_dir())
    res = run(tmp_path, "--steps", "2", "--keep-layers", "0,5", "--teacher", teacher)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "teacher: " in res.stderr and " pairs read in " in res.stderr
    recipe = json.loads((tmp_path / "model" / "training.json").read_text())["recipe"]
    assert (recipe["teacher"], recipe["distill"]) == (teacher, 0.5)
    bad = run(tmp_path / "bad", "--steps", "1", "--teacher", teacher, "--distill", "2")
    assert bad.returncode == 2 and "--distill must be from 0 to 1" in bad.stderr
    assert not (tmp_path / "bad" / "model").exists()


def test_training_without_validation_pages_stops_with_a_reason(tmp_path: Path) -> None:
    res = run(tmp_path, "--steps", "1", "--val-share", "0")  # the later flag wins
    assert res.returncode == 1
    assert "0 validation pairs" in res.stderr and "--val-share" in res.stderr
    assert not (tmp_path / "model").exists()
