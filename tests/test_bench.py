"""``verify bench`` on a tiny labelled dataset, and its metrics against hand-computed values."""

from __future__ import annotations

import dataclasses
import json
import re
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakes import FakeGenerator
from hypothesis import given, settings
from hypothesis import strategies as st
from support.bench import assert_every_claim_failed, bench, break_the_scorer

from checks.cascade import Policy
from checks.llm import Generator, register_generator
from retrieval import Index
from verify.bench import auroc, metrics
from verify.cli import cli

S, C, U, E = "supported", "contradicted", "unverifiable", "error"

DOCS = {
    "gateway.md": "# Gateway\n\nThe upload gateway listens on port 8443.\n\n"
    "Health checks are served on port 9100.\n",
    "retention.md": "# Retention\n\nRaw uploads are kept for 14 days.\n\n"
    "The billing service is owned by Priya Raman.\n",
}
CLAIMS = [
    {"id": "s1", "claim": "The upload gateway listens on port 8443.", "label": "supported"},
    {"id": "s2", "claim": "Raw uploads are kept for 14 days.", "label": "SUPPORTS"},
    {"id": "c1", "claim": "The upload gateway listens on port 9443.", "label": "contradicted"},
    {"id": "c2", "claim": "Raw uploads are kept for 30 days.", "label": "refutes"},
    {"id": "u1", "claim": "Bananas ripen faster next to apples.", "label": "unverifiable"},
]
GOLD = {"s1": S, "s2": S, "c1": C, "c2": C, "u1": U}


def write_dataset(
    folder: Path, claims: list[dict[str, str]] | None = None, lines: list[str] | None = None
) -> Path:
    (folder / "corpus").mkdir(parents=True)
    for name, text in DOCS.items():
        (folder / "corpus" / name).write_text(text, encoding="utf-8")
    body = lines if lines is not None else [json.dumps(c) for c in (claims or CLAIMS)]
    (folder / "claims.jsonl").write_text("\n".join(body) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_dataset(tmp_path / "tiny")


# -- the command -------------------------------------------------------------------------------


def test_bench_json_has_the_design_keys_and_metrics_that_match_its_predictions(
    dataset: Path,
) -> None:
    res = bench(dataset, "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {"dataset", "n", "predictions", "metrics", "claims_per_second"} <= set(data)
    assert data["dataset"] == "tiny" and data["n"] == len(CLAIMS)
    preds = data["predictions"]
    assert [p["id"] for p in preds] == [c["id"] for c in CLAIMS]
    for p in preds:
        assert {"id", "verdict", "score"} <= set(p)
        assert p["verdict"] in (S, C, U, E) and 0.0 <= p["score"] <= 1.0
    assert data["claims_per_second"] > 0
    # the metrics are those of the predictions printed beside them, computed here by hand
    m = data["metrics"]
    for label in (S, C, U):
        tp = sum(p["verdict"] == label and GOLD[p["id"]] == label for p in preds)
        said = sum(p["verdict"] == label for p in preds)
        held = sum(GOLD[p["id"]] == label for p in preds)
        row = m["per_label"][label]
        assert row["support"] == held
        assert row["precision"] == pytest.approx(tp / said if said else 0.0)
        assert row["recall"] == pytest.approx(tp / held)
    for gold, pred in product((S, C, U), (S, C, U, E)):
        n = sum(GOLD[p["id"]] == gold and p["verdict"] == pred for p in preds)
        assert m["confusion"][gold][pred] == n
    assert {"macro_f1", "balanced_accuracy", "auroc"} <= set(m)


def test_bench_text_prints_every_figure(dataset: Path) -> None:
    res = bench(dataset)
    assert res.exit_code == 0, res.output
    out = res.stdout
    m = json.loads(bench(dataset, "--json").stdout)["metrics"]
    for label in (S, C, U):
        row = m["per_label"][label]
        line = next(x for x in out.splitlines() if x.startswith(label))
        assert re.findall(r"\d+\.\d{3}", line) == [
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
            f"{row['f1']:.3f}",
        ]
    assert f"macro-F1 {m['macro_f1']:.3f}" in out
    assert f"balanced accuracy {m['balanced_accuracy']:.3f}" in out
    assert f"AUROC {m['auroc']:.3f}" in out
    assert "confusion" in out and "claims/s" in out
    header = next(x for x in out.splitlines() if "supported" in x and "error" in x)
    assert header.split() == [S, C, U, E]


def test_bench_builds_its_index_and_reuses_it(dataset: Path, tmp_path: Path) -> None:
    assert bench(dataset, "--index", "idx").exit_code == 0
    assert (tmp_path / "idx").is_dir()
    again = bench(dataset, "--index", "idx", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["n"] == len(CLAIMS)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_bench_indexes_in_the_configs_embedder_precision(
    dataset: Path, tmp_path: Path, precision: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.verify]\nembedder_precision = '{precision}'\n", encoding="utf-8"
    )
    res = CliRunner().invoke(cli, ["bench", str(dataset), "--index", "idx", "-q"])  # the MiniLM
    assert res.exit_code == 0, res.output
    with Index.open(tmp_path / "idx") as index:
        assert index.meta["embedder_precision"] == precision
    again = CliRunner().invoke(cli, ["bench", str(dataset), "--index", "idx", "-q", "--json"])
    models = json.loads(again.stdout)["precision"]
    assert models["embedder"] == precision and models["entailment"] in ("fp32", "bf16")
    text = CliRunner().invoke(cli, ["bench", str(dataset), "--index", "idx", "-q"]).stdout
    assert f"; embedder in {precision}; entailment in {models['entailment']})" in text


def test_bench_limit_and_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    claims = [{**c, "split": "dev" if i % 2 else "train"} for i, c in enumerate(CLAIMS)]
    folder = write_dataset(tmp_path / "split", claims)
    dev = json.loads(bench(folder, "--split", "dev", "--json").stdout)
    assert [p["id"] for p in dev["predictions"]] == ["s2", "c2"]
    first = json.loads(bench(folder, "--limit", "3", "--json").stdout)
    assert first["n"] == 3


def test_a_single_class_dataset_has_no_auroc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_dataset(tmp_path / "one", CLAIMS[:2])
    res = bench(folder)
    assert res.exit_code == 0, res.output
    assert "AUROC n/a" in res.stdout
    assert json.loads(bench(folder, "--json").stdout)["metrics"]["auroc"] is None


@pytest.mark.parametrize(
    "lines, where, says",
    [
        ([json.dumps(CLAIMS[0]), "{not json"], 2, ""),
        ([json.dumps(CLAIMS[0]), "", json.dumps({"id": "x", "claim": "y"})], 3, "label"),
        ([json.dumps({"id": "x", "claim": "y", "label": "maybe"})], 1, "maybe"),
        ([json.dumps(CLAIMS[0]), "[1, 2]"], 2, ""),
        (["null"], 1, ""),
        ([json.dumps({"claim": "y", "label": "supported"})], 1, "id"),
    ],
)
def test_a_malformed_claims_file_exits_2_naming_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: list[str], where: int, says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_dataset(tmp_path / "bad", lines=lines)
    res = bench(folder)
    assert res.exit_code == 2, res.output
    assert res.stdout == ""
    (line,) = res.stderr.strip().splitlines()
    assert f"claims.jsonl:{where}:" in line and says in line


@pytest.mark.parametrize("breakage", ["no-folder", "no-claims", "no-corpus", "blank-claims"])
def test_a_dataset_that_is_not_one_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, breakage: str
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "ds"
    if breakage != "no-folder":
        write_dataset(folder)
    if breakage == "no-claims":
        (folder / "claims.jsonl").unlink()
    if breakage == "no-corpus":
        for f in (folder / "corpus").iterdir():
            f.unlink()
        (folder / "corpus").rmdir()
    if breakage == "blank-claims":
        (folder / "claims.jsonl").write_text("\n  \n", encoding="utf-8")
    res = bench(folder)
    assert res.exit_code == 2, res.output
    assert res.stdout == "" and len(res.stderr.strip().splitlines()) == 1


def test_bench_with_a_broken_checker_exits_3(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_the_scorer(monkeypatch)
    assert_every_claim_failed(bench(dataset, "--json"), len(CLAIMS))


JUDGE = "bench-fake-judge"


@pytest.fixture
def judge_generators(monkeypatch: pytest.MonkeyPatch) -> list[FakeGenerator]:
    """A fake judge model registered as ``--judge bench-fake-judge``, asked about every claim
    without a value conflict (the whole band), so the test does not hang on the scorer."""
    made: list[FakeGenerator] = []

    def factory() -> Generator:
        made.append(FakeGenerator(['{"verdict": "supported", "why": "stated"}'], prompt_tokens=50))
        return made[-1]

    register_generator(JUDGE, factory)
    from verify import checker

    real = checker.cascade_policy

    def whole_band(conf: Any) -> Policy:
        return dataclasses.replace(real(conf), judge_band=(0.0, 1.0))

    monkeypatch.setattr(checker, "cascade_policy", whole_band)  # what make_cascade reads
    return made


def test_bench_judge_is_asked_and_its_tokens_counted(
    dataset: Path, judge_generators: list[FakeGenerator]
) -> None:
    res = bench(dataset, "--judge", JUDGE, "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    calls = sum(len(g.calls) for g in judge_generators)
    judged = [p for p in data["predictions"] if "judge:" in p["reason"]]
    # asked once per claim without a conflicting value: s1, s2, u1 (c1, c2 conflict)
    assert calls == len(judged) == data["judged"] == 3
    assert {p["id"] for p in judged} == {"s1", "s2", "u1"}
    assert data["usage"] == {"prompt_tokens": 50 * calls, "completion_tokens": 12 * calls}
    text = bench(dataset, "--judge", JUDGE)
    assert text.exit_code == 0, text.output
    per = 62 * 3 / len(CLAIMS)
    assert f"asked on 3 of {len(CLAIMS)} claims" in text.stdout
    assert f"150 prompt + 36 completion tokens, {per:.1f} tokens per claim" in text.stdout


def test_bench_without_a_judge_asks_none(dataset: Path) -> None:
    data = json.loads(bench(dataset, "--json").stdout)
    assert data["judged"] == 0 and data["usage"] == {"prompt_tokens": 0, "completion_tokens": 0}
    assert "judge:" not in "".join(p["reason"] for p in data["predictions"])


@pytest.mark.parametrize("content", [None, b"not a model"])
def test_bench_with_an_unreadable_judge_exits_2(
    dataset: Path, tmp_path: Path, content: bytes | None
) -> None:
    model = tmp_path / "judge.gguf"
    if content is not None:
        model.write_bytes(content)
    res = bench(dataset, "--judge", str(model), "--index", "idx")
    assert res.exit_code == 2, res.output
    assert res.stdout == "" and len(res.stderr.strip().splitlines()) == 1
    assert "--judge" in res.stderr and not (tmp_path / "idx").exists()  # before any indexing


def test_bench_has_help() -> None:
    res = CliRunner().invoke(cli, ["bench", "--help"])
    assert res.exit_code == 0 and "--json" in res.stdout and "claims.jsonl" in res.stdout


# -- metrics, by hand --------------------------------------------------------------------------

GOLD8 = [S, S, S, C, C, C, U, U]
PRED8 = [S, S, C, C, U, E, S, U]
SCORE8 = [0.9, 0.8, 0.3, 0.2, 0.4, 0.0, 0.6, 0.1]


def test_metrics_per_label_against_hand_computed_values() -> None:
    m = metrics(GOLD8, PRED8, SCORE8)
    per = m["per_label"]
    # supported: tp 2 (0, 1), fp 1 (6), fn 1 (2)
    assert per[S] == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "support": 3})
    # contradicted: tp 1 (3), fp 1 (2), fn 2 (4, and 5 which is an error)
    assert per[C] == pytest.approx({"precision": 1 / 2, "recall": 1 / 3, "f1": 2 / 5, "support": 3})
    # unverifiable: tp 1 (7), fp 1 (4), fn 1 (6)
    assert per[U] == pytest.approx({"precision": 1 / 2, "recall": 1 / 2, "f1": 1 / 2, "support": 2})
    assert m["macro_f1"] == pytest.approx((2 / 3 + 2 / 5 + 1 / 2) / 3)
    assert m["accuracy"] == pytest.approx(4 / 8)
    assert m["errors"] == 1


def test_balanced_accuracy_is_supported_versus_not() -> None:
    m = metrics(GOLD8, PRED8, SCORE8)
    # supported recall 2/3 (0, 1 of 0, 1, 2); not-supported recall 4/5 (3, 4, 5, 7 of 3..7)
    assert m["balanced_accuracy"] == pytest.approx((2 / 3 + 4 / 5) / 2)


def test_confusion_has_an_error_column() -> None:
    m = metrics(GOLD8, PRED8, SCORE8)
    assert m["confusion"] == {
        S: {S: 2, C: 1, U: 0, E: 0},
        C: {S: 0, C: 1, U: 1, E: 1},
        U: {S: 1, C: 0, U: 1, E: 0},
    }


def test_auroc_against_hand_computed_values() -> None:
    positive = [g == S for g in GOLD8]
    # positives 0.9, 0.8, 0.3 against negatives 0.2, 0.4, 0.0, 0.6, 0.1: 5 + 5 + 3 of 15 pairs
    assert auroc(positive, SCORE8) == pytest.approx(13 / 15)
    assert metrics(GOLD8, PRED8, SCORE8)["auroc"] == pytest.approx(13 / 15)
    assert auroc([True, False], [0.9, 0.1]) == 1.0
    assert auroc([True, False], [0.1, 0.9]) == 0.0


def test_auroc_counts_ties_half() -> None:
    # positives 0.5, 0.5, 0.9 against negatives 0.5, 0.1: (0.5 + 1) * 2 + 2 = 5 of 6 pairs
    assert auroc([True, True, True, False, False], [0.5, 0.5, 0.9, 0.5, 0.1]) == pytest.approx(
        5 / 6
    )
    assert auroc([True, False, True, False], [0.3] * 4) == pytest.approx(0.5)


@pytest.mark.parametrize("positive", [[True, True], [False, False, False], []])
def test_auroc_of_a_single_class_is_none(positive: list[bool]) -> None:
    assert auroc(positive, [0.5] * len(positive)) is None


def test_metrics_of_a_single_class_set() -> None:
    right = metrics([S, S], [S, S], [0.9, 0.8])
    assert right["auroc"] is None
    assert right["balanced_accuracy"] == 1.0  # every supported claim found: nothing else held
    assert right["macro_f1"] == 1.0  # over the labels present only
    wrong = metrics([C, U], [S, S], [0.9, 0.8])
    assert wrong["balanced_accuracy"] == 0.0 and wrong["accuracy"] == 0.0


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])), max_size=12)
)
def test_auroc_is_the_share_of_correctly_ordered_pairs(rows: list[tuple[bool, float]]) -> None:
    pos = [s for p, s in rows if p]
    neg = [s for p, s in rows if not p]
    got = auroc([p for p, _ in rows], [s for _, s in rows])
    if not pos or not neg:
        assert got is None
        return
    pairs = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    assert got == pytest.approx(pairs / (len(pos) * len(neg)))
