"""The entailment stage: windows, the model contract, the cascade's use of it, the CLI flag.

The model itself is measured in benchmarks/entailment_eval.py; here the bundled weights are
checked to load offline, to match the checksum in their card, and to read plain cases right.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fakes import (
    FAKE_ENTAILMENT,
    ConstantEntailment,
    FakeEntailment,
    FakeEvidence,
    HashEmbedder,
    cand,
    hand_scorer,
)

import retrieval
from checks.cascade import Cascade
from checks.entailment import (
    LABELS,
    MAX_WINDOW_CHARS,
    CrossEncoder,
    EntailmentError,
    EntailmentModel,
    bundled_model_dir,
    entailment,
    get_entailment,
    resolve_precision,
    windows,
)
from checks.entailment._crossencoder import _columns
from checks.types import Claim
from retrieval import _precision
from verify.checker import make_cascade
from verify.cli import cli
from verify.config import DEFAULTS, Config

ENT, NEU, CON = (LABELS.index(x) for x in ("entailment", "neutral", "contradiction"))


def claim(text: str) -> Claim:
    return Claim("c1", text, 0, len(text))


# -- windows -------------------------------------------------------------------------------


def test_a_window_is_the_sentence_with_its_neighbours_under_the_title() -> None:
    c = cand("It opened in 1932.", heading="Harbour Line > History", after="It is busy.")
    [w] = windows([c])
    assert w.text == "Harbour Line. It opened in 1932. It is busy."
    assert w.anchor is c
    named = cand(c.text, heading="Harbour Line > History", before="The Harbour Line runs east.")
    [w] = windows([named])  # the title is not said twice
    assert w.text == "The Harbour Line runs east. It opened in 1932."


def test_neighbours_give_way_when_the_window_would_not_fit() -> None:
    long = "word " * (MAX_WINDOW_CHARS // 5)
    [w] = windows([cand("It opened in 1932.", before="Short one.", after=long)])
    assert w.text == "Short one. It opened in 1932."
    [w] = windows([cand("It opened in 1932.", before=long, after=long)])
    assert w.text == "It opened in 1932."


def test_windows_take_the_best_candidates_once_each_and_join_the_first_few() -> None:
    cands = [
        cand("Alpha is red.", cosine=0.9),
        cand("Alpha  is red.", cosine=0.8),  # the same sentence again, spaced differently
        cand("Beta is blue.", cosine=0.7),
        cand("Gamma is green.", cosine=0.6),
    ]
    texts = [w.text for w in windows(cands, best=2)]
    assert texts == ["Alpha is red.", "Beta is blue.", "Alpha is red. Beta is blue."]
    assert windows([]) == []


# -- the model contract ---------------------------------------------------------------------


class Fixed(EntailmentModel):
    def __init__(self, rows: np.ndarray) -> None:
        self.rows = rows

    def predict_batch(self, pairs: object) -> np.ndarray:
        return self.rows


def test_predict_keeps_the_order_given_across_length_sorted_batches() -> None:
    model = FakeEntailment()
    pairs = [("a b c d e f g", "a"), ("x", "y"), ("q r s", "q r s t"), ("m n", "not m n")]
    probs = model.predict(pairs, batch_size=2)
    assert [int(p.argmax()) for p in probs] == [ENT, NEU, NEU, CON]
    assert np.allclose(probs.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        (np.full((1, 3), np.nan), "non-finite"),
        (np.array([[1.5, -0.5, 0.0]]), "negative"),
        (np.zeros((1, 2)), "shape"),
    ],
)
def test_output_that_is_not_a_probability_per_label_is_an_error(rows: np.ndarray, why: str) -> None:
    with pytest.raises(EntailmentError, match=why):
        Fixed(rows).predict([("p", "h")])


def test_a_claim_is_read_against_its_best_window_and_keeps_it() -> None:
    cands = [
        cand("The gateway serves health checks.", "docs/a.md", 3, cosine=0.9),
        cand("The gateway listens on port 8443.", "docs/b.md", 7, cosine=0.8),
    ]
    [got, none] = entailment(FakeEntailment(), ["gateway listens on port 8443", "x"], [cands, []])
    assert got.entail == pytest.approx(0.9)
    assert got.entailing is not None and got.entailing.anchor.source == "docs/b.md"
    assert none.entail == 0.0 and none.entailing is None


def test_model_columns_are_mapped_by_their_label_names() -> None:
    assert _columns({0: "CONTRADICTION", 1: "entailment", 2: "neutral"}, "m") == [CON, ENT, NEU]
    assert _columns({0: "entailment", 1: "not_entailment"}, "m") == [ENT, NEU]
    with pytest.raises(EntailmentError, match="needs 'entailment'"):
        _columns({0: "LABEL_0", 1: "LABEL_1"}, "m")


def test_get_entailment_names_the_fix_for_an_unknown_model(tmp_path: Path) -> None:
    with pytest.raises(EntailmentError, match="not a folder"):
        get_entailment(str(tmp_path / "missing"))
    assert isinstance(get_entailment(FAKE_ENTAILMENT), FakeEntailment)
    with pytest.raises(EntailmentError, match=r"no config\.json"):
        get_entailment(str(tmp_path)).predict([("p", "h")])


# -- the bundled weights --------------------------------------------------------------------


def test_bundled_weights_match_the_checksum_in_their_model_card() -> None:
    folder = bundled_model_dir()
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    stated = re.findall(r"sha256 ([0-9a-f]{64})  (\S+)", card)
    assert {name for _, name in stated} >= {"model.safetensors", "config.json", "tokenizer.json"}
    for digest, name in stated:
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert (folder / "model.safetensors").stat().st_size < 50 * 2**20


def test_bundled_model_loads_offline_and_reads_plain_cases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = get_entailment()
    premise = "The Harbour Line opened in 1932 and carries about 40,000 riders a day."
    probs = model.predict(
        [
            (premise, "The Harbour Line opened in 1932."),
            (premise, "The Harbour Line opened in 1975."),
            (premise, "The Harbour Line has a famous museum of modern art."),
        ]
    )
    said, changed, unrelated = probs
    [too_long] = model.predict([(premise, "The line opened in 1932 " * 40)])
    assert too_long.tolist() == [0.0, 1.0, 0.0]  # a claim it cannot read whole: nothing entails it
    assert int(said.argmax()) == ENT
    assert int(changed.argmax()) == CON
    assert unrelated[ENT] < 0.5  # a sentence that says nothing of the claim does not entail it


# -- precision ------------------------------------------------------------------------------


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_is_bf16_only_where_the_cpu_multiplies_it(
    monkeypatch: pytest.MonkeyPatch, native: bool
) -> None:
    monkeypatch.setattr(_precision, "native_bf16", lambda: native)
    assert resolve_precision("auto") == ("bf16" if native else "fp32")
    assert (resolve_precision("fp32"), resolve_precision("bf16")) == ("fp32", "bf16")
    with pytest.raises(ValueError, match="use one of auto, fp32, bf16"):
        resolve_precision("fp16")
    model = CrossEncoder(bundled_model_dir())
    model.load()
    assert model.computes == ("bf16" if native else "fp32")


def test_bf16_moves_the_bundled_models_probabilities_a_little() -> None:
    premise = "The Harbour Line opened in 1932 and carries about 40,000 riders a day."
    pairs = [
        (premise, "The Harbour Line opened in 1932."),
        (premise, "The Harbour Line opened in 1975."),
        (premise, "The Harbour Line has a famous museum of modern art."),
        ("Rollbacks need a second approver. " * 20, "A rollback needs two approvers."),
    ]
    fp32 = get_entailment(precision="fp32").predict(pairs)
    bf16 = get_entailment(precision="bf16").predict(pairs)
    moved = float(np.abs(fp32 - bf16).max())
    assert 0.0 < moved < 0.05  # it computed in bf16, and read every pair the same way
    assert (fp32.argmax(axis=1) == bf16.argmax(axis=1)).all()
    with pytest.raises(EntailmentError, match="unknown precision 'fp16'; use one of auto"):
        CrossEncoder(bundled_model_dir(), precision="fp16")


def test_the_config_sets_the_precision_the_cascade_computes_in() -> None:
    for precision in ("fp32", "bf16"):
        config = Config({**DEFAULTS, "entailment_precision": precision})
        model = make_cascade(FakeEvidence({}), config).entailment
        assert isinstance(model, CrossEncoder) and model.precision == precision


# -- in the cascade and on the command line -------------------------------------------------


def test_the_verdict_cites_the_window_that_entailed_the_claim() -> None:
    text = "The gateway listens on port 8443."
    evidence = FakeEvidence(
        {
            text: [
                cand("Health checks use port 9100.", "docs/a.md", 2, cosine=0.95),
                cand("The gateway listens on port 8443.", "docs/b.md", 9, cosine=0.9),
            ]
        }
    )
    scorer = hand_scorer(supported={"entail": 10.0}, intercept=(-5.0, 0.0, 0.0))
    cascade = Cascade(evidence, scorer=scorer, entailment=FakeEntailment())
    [verdict] = cascade.check([claim(text)]).verdicts
    assert "entailment p(entails)=0.90 (docs/b.md:9)" in verdict.reason
    assert verdict.label == "supported"
    assert (verdict.evidence[0].source, verdict.evidence[0].start_line) == ("docs/b.md", 9)


@pytest.mark.parametrize(
    ("entail", "contradict", "label"),
    [
        (0.8, 0.1, "supported"),  # the windows entail it
        (0.3, 0.1, "unverifiable"),  # they lean that way, not enough
        (0.3, 0.6, "contradicted"),  # they contradict it
        (0.45, 0.45, "contradicted"),  # as strongly one way as the other
    ],
)
def test_a_claim_the_scorer_finds_contradicted_is_read_by_the_entailment_model(
    entail: float, contradict: float, label: str
) -> None:
    """No value conflicts, the scorer puts its mass on "contradicted" (a close, unequal
    sentence): the entailment model decides which way the evidence reads."""
    text = "The gateway streams uploads to the archive."
    evidence = FakeEvidence({text: [cand("The gateway stores uploads.", "docs/b.md", 4)]})
    scorer = hand_scorer(intercept=(0.0, 8.0, 0.0))  # p(contradicted) ~ 1 for every claim
    cascade = Cascade(evidence, scorer=scorer, entailment=ConstantEntailment(entail, contradict))
    [verdict] = cascade.check([claim(text)]).verdicts
    assert verdict.label == label, verdict.reason


def test_a_claim_is_contradicted_where_its_window_contradicts_it() -> None:
    text = "The gateway does not stream uploads to the archive."
    evidence = FakeEvidence(
        {text: [cand("The gateway does stream uploads to the archive.", "docs/b.md", 4)]}
    )
    scorer = hand_scorer(intercept=(0.0, 8.0, 0.0))
    cascade = Cascade(evidence, scorer=scorer, entailment=FakeEntailment())
    [verdict] = cascade.check([claim(text)]).verdicts
    assert verdict.label == "contradicted", verdict.reason
    assert "p(contradicts)=0.90 (docs/b.md:4)" in verdict.reason
    assert (verdict.evidence[0].source, verdict.evidence[0].start_line) == ("docs/b.md", 4)


@pytest.mark.parametrize(
    "broken", [FakeEntailment(fail=RuntimeError("oom")), FakeEntailment(nan=True)]
)
def test_a_broken_model_makes_every_claim_an_error(broken: FakeEntailment) -> None:
    evidence = FakeEvidence({"A is B.": [cand("A is B.")], "C is D.": [cand("C is D.")]})
    result = Cascade(evidence, entailment=broken).check([claim("A is B."), claim("C is D.")])
    assert [v.label for v in result.verdicts] == ["error", "error"]
    assert all("entailment stage" in v.reason for v in result.verdicts)


def test_entailment_flag_rejects_a_folder_without_a_model(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["check", "--entailment", str(tmp_path), "--context", __file__, "A is B."]
    )
    assert result.exit_code == 2
    assert "holds no config.json" in result.output


def test_entailment_flag_loads_a_model_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    shutil.copytree(bundled_model_dir(), folder)
    ctx = tmp_path / "ctx.txt"
    ctx.write_text("The Harbour Line opened in 1932.\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "check",
            "--entailment",
            str(folder),
            "--context",
            str(ctx),
            "--json",
            "The Harbour Line opened in 1932.",
        ],
    )
    assert result.exit_code in (0, 1), result.output
    [verdict] = json.loads(result.stdout)["claims"]
    assert "entailment p(entails)=" in verdict["reason"]


def test_a_registered_model_is_loaded_once_per_process() -> None:
    from verify.checker import entailment_model

    assert entailment_model(FAKE_ENTAILMENT) is entailment_model(FAKE_ENTAILMENT)
    assert isinstance(CrossEncoder(bundled_model_dir()), EntailmentModel)


# -- document structure: a table row is read with its header ---------------------------------

TABLE = """\
# Incident response

Every incident gets a severity when it is declared.

## Acknowledgement targets

| Severity | Acknowledge within | Update cadence |
|---|---|---|
| SEV1 | 10 minutes | every 30 minutes |
| SEV2 | 30 minutes | every 2 hours |
| SEV3 | 4 hours | daily |

The on-call engineer acknowledges the page in the paging tool.
"""


def check_against_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> dict:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "incident-response.md").write_text(TABLE, encoding="utf-8")
    retrieval.build_index([tmp_path / "docs"], tmp_path / ".verify" / "index", HashEmbedder())
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", "--json", text])
    [verdict] = json.loads(result.stdout)["claims"]
    return verdict


def test_a_claim_stated_in_a_table_row_is_supported_by_that_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "SEV1 incidents must be acknowledged within 10 minutes."
    verdict = check_against_table(tmp_path, monkeypatch, text)
    assert verdict["verdict"] == "supported", verdict["reason"]
    first = verdict["evidence"][0]
    assert (first["start_line"], first["quote"]) == (
        9,
        "Severity: SEV1; Acknowledge within: 10 minutes; Update cadence: every 30 minutes",
    )


def test_a_claim_with_another_rows_value_is_not_supported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "SEV2 incidents must be acknowledged within 10 minutes."
    verdict = check_against_table(tmp_path, monkeypatch, text)
    assert verdict["verdict"] in ("contradicted", "unverifiable"), verdict["reason"]
