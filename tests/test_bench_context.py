"""``verify bench`` on a context dataset: ``claims.jsonl`` alone, each claim with its context.

The dataset is written here, in a temporary folder; contexts are embedded with the fake
``HashEmbedder``; the cascade, the committed scorer and the answer reading are the real ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.bench import assert_every_claim_failed, bench, break_the_scorer

from verify.bench import BINARY, load_dataset, metrics

GATEWAY = "The upload gateway listens on port 8443 for HTTPS traffic."
RETENTION = "Raw uploads are kept for 14 days after transcoding finishes."
BANANAS = "Bananas ripen faster next to apples."

CLAIMS: list[dict[str, Any]] = [
    {
        "id": "s1",
        "claim": "The upload gateway listens on port 8443.",
        "context": [BANANAS, GATEWAY],
    },
    {"id": "s2", "claim": "Raw uploads are kept for 14 days.", "context": [RETENTION]},
    {"id": "u1", "claim": "The upload gateway listens on port 9443.", "context": [GATEWAY]},
    # the claim s2 makes, against a context that does not state it
    {"id": "u2", "claim": "Raw uploads are kept for 14 days.", "context": [BANANAS]},
    {
        "id": "q1",
        "claim": "8443.",
        "question": "Which port does the upload gateway listen on?",
        "context": [GATEWAY],
    },
    {
        "id": "q2",
        "claim": "No.",
        "question": "Does the upload gateway listen on port 8443?",
        "context": [GATEWAY],
    },
]
GOLD = {"s1": "supported", "s2": "SUPPORTS", "u1": "unsupported", "u2": "unsupported"}
GOLD |= {"q1": "supported", "q2": "unsupported"}


def write_dataset(folder: Path, claims: list[dict[str, Any]] | None = None) -> Path:
    folder.mkdir(parents=True)
    lines = [json.dumps({**c, "label": GOLD.get(c["id"], "supported")}) for c in claims or CLAIMS]
    (folder / "claims.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_dataset(tmp_path / "ctx")


def test_each_claim_is_checked_against_its_own_context_with_binary_metrics(
    dataset: Path, tmp_path: Path
) -> None:
    res = bench(dataset, "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {"dataset", "n", "predictions", "metrics", "claims_per_second"} <= set(data)
    assert data["dataset"] == "ctx" and data["n"] == len(CLAIMS) and data["kind"] == "context"
    said = {p["id"]: p["verdict"] for p in data["predictions"]}
    assert [p["id"] for p in data["predictions"]] == [c["id"] for c in CLAIMS]
    assert said == {
        "s1": "supported",
        "s2": "supported",
        "u1": "contradicted",
        "u2": "unverifiable",  # s2's claim, not in its own context
        "q1": "supported",  # "8443." read as the answer to its question
        "q2": "contradicted",  # "No." to "Does ... listen on port 8443?"
    }
    m = data["metrics"]
    assert set(m["per_label"]) == set(BINARY)
    assert m["balanced_accuracy"] == 1.0 and m["accuracy"] == 1.0 and m["macro_f1"] == 1.0
    assert m["auroc"] == 1.0 and m["errors"] == 0
    assert m["confusion"] == {
        "supported": {"supported": 3, "contradicted": 0, "unverifiable": 0, "error": 0},
        "unsupported": {"supported": 0, "contradicted": 2, "unverifiable": 1, "error": 0},
    }
    assert data["claims_per_second"] > 0
    assert not (tmp_path / ".verify").exists()  # no index is built for a context dataset


def test_the_text_report_has_the_binary_labels(dataset: Path) -> None:
    res = bench(dataset)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert "6 claims (each against its own context)" in lines[0]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:4]}
    assert rows == {
        "supported": ["1.000", "1.000", "1.000", "3"],
        "unsupported": ["1.000", "1.000", "1.000", "3"],
    }
    assert "balanced accuracy 1.000" in res.stdout and "AUROC 1.000" in res.stdout
    assert "unsupported" in next(x for x in lines if x.startswith("unsupported") and "  0" in x)
    assert "claims/s" in res.stdout and "index" not in res.stdout.splitlines()[-1]


def test_binary_metrics_count_every_other_verdict_as_unsupported() -> None:
    gold = ["supported", "supported", "unsupported", "unsupported", "unsupported"]
    said = ["supported", "error", "contradicted", "unverifiable", "supported"]
    m = metrics(gold, said, [0.9, 0.0, 0.1, 0.2, 0.8], BINARY)
    # supported: tp 1, fp 1 (the last), fn 1 (the error); unsupported: tp 2, fp 1, fn 1
    assert m["per_label"]["supported"] == pytest.approx(
        {"precision": 1 / 2, "recall": 1 / 2, "f1": 1 / 2, "support": 2}
    )
    assert m["per_label"]["unsupported"] == pytest.approx(
        {"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "support": 3}
    )
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["balanced_accuracy"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert m["errors"] == 1
    assert m["confusion"]["supported"] == {
        "supported": 1,
        "contradicted": 0,
        "unverifiable": 0,
        "error": 1,
    }
    # of the 6 (supported, unsupported) pairs, those scored in order: 0.9 above all three
    assert m["auroc"] == pytest.approx(3 / 6)


def test_a_failing_check_is_verdict_error_and_exits_3(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_the_scorer(monkeypatch)
    assert_every_claim_failed(bench(dataset, "--json"), len(CLAIMS))


def test_limit_split_and_labels_are_read_as_for_an_index_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    claims = [{**c, "split": "dev" if i % 2 else "train"} for i, c in enumerate(CLAIMS)]
    folder = write_dataset(tmp_path / "split", claims)
    data = load_dataset(folder)
    assert data.corpus is None and data.labels == BINARY
    assert [c.label for c in data.claims] == [
        "supported",
        "supported",
        "unsupported",
        "unsupported",
        "supported",
        "unsupported",
    ]
    assert data.claims[4].question == CLAIMS[4]["question"]
    dev = json.loads(bench(folder, "--split", "dev", "--json").stdout)
    assert [p["id"] for p in dev["predictions"]] == ["s2", "u2", "q2"]
    assert json.loads(bench(folder, "--limit", "2", "--json").stdout)["n"] == 2


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ({"id": "x", "claim": "y", "label": "supported"}, '"context"'),
        ({"id": "x", "claim": "y", "label": "supported", "context": "one"}, '"context"'),
        ({"id": "x", "claim": "y", "label": "supported", "context": [1]}, '"context"'),
        ({"id": "x", "claim": "y", "label": "maybe", "context": []}, "maybe"),
        ({"id": "x", "claim": "y", "label": "supported", "context": [], "question": 1}, "question"),
    ],
)
def test_a_malformed_context_line_exits_2_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: dict[str, Any], says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "bad"
    folder.mkdir()
    good = json.dumps({**CLAIMS[0], "label": "supported"})
    (folder / "claims.jsonl").write_text(f"{good}\n{json.dumps(line)}\n", encoding="utf-8")
    res = bench(folder)
    assert res.exit_code == 2, res.output
    assert res.stdout == ""
    (message,) = res.stderr.strip().splitlines()
    assert "claims.jsonl:2" in message and says in message


@pytest.mark.parametrize("option", [["--index", "idx"], ["--baseline", "ragas"]])
def test_index_options_do_not_apply_to_a_context_dataset(dataset: Path, option: list[str]) -> None:
    res = bench(dataset, *option)
    assert res.exit_code == 2, res.output
    (message,) = res.stderr.strip().splitlines()
    assert "context dataset" in message
