"""The plain-torch BERT (retrieval/_bert.py) against transformers, on both bundled models; other
architectures still run on transformers; loading the bundled models never imports it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers
from support.model_folders import linked_copy

from checks.entailment import LABELS
from checks.entailment._crossencoder import CrossEncoder, bundled_model_dir
from retrieval import read_bert
from retrieval._embedder import _bundled_minilm

REPO = Path(__file__).resolve().parents[1]
PREMISES = [
    "The Harbour Line opened in 1932 and carries about 40,000 riders a day.",
    "Ünïcödé — テスト: the gateway listens on port 8443 unless TLS is off.",
    "Rollbacks need a second approver. " * 60,  # cut from its end, never the hypothesis
]
HYPOTHESES = ["The Harbour Line opened in 1932.", "The gateway listens on 8443.", "x"]


def test_the_cross_encoder_gives_transformers_logits() -> None:
    folder = bundled_model_dir()
    bert = read_bert(folder)
    assert bert is not None and bert.classifies
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        folder, dtype=torch.float32
    ).eval()
    batch = tokenizer(
        PREMISES, HYPOTHESES, truncation="only_first", max_length=256, padding=True,
        return_tensors="pt",
    )  # fmt: skip
    tokens = bert.tokenize(PREMISES, HYPOTHESES, max_length=256, cut="only_first")
    assert torch.equal(tokens.ids, batch["input_ids"])
    assert torch.equal(tokens.types, batch["token_type_ids"])
    with torch.inference_mode():
        theirs = model(**batch).logits
        ours = bert.logits(bert.hidden(tokens))
        first = bert.hidden(tokens, first_only=True)  # what the cross-encoder runs
        whole = bert.hidden(tokens)
    assert (ours - theirs).abs().max().item() < 1e-4
    assert first.shape == (len(PREMISES), 1, bert.hidden_size)
    assert (first - whole[:, :1]).abs().max().item() < 1e-5
    assert (bert.logits(first) - theirs).abs().max().item() < 1e-4
    lengths = tokenizer(HYPOTHESES * 50, add_special_tokens=False, return_length=True)["length"]
    assert bert.lengths(HYPOTHESES * 50) == list(lengths)


def test_the_embedder_gives_transformers_hidden_states() -> None:
    folder = _bundled_minilm()
    bert = read_bert(folder)
    assert bert is not None and not bert.classifies
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.AutoModel.from_pretrained(folder, dtype=torch.float32).eval()
    texts = [*PREMISES, ""]
    batch = tokenizer(
        texts, truncation="longest_first", max_length=256, padding=True, return_tensors="pt"
    )
    tokens = bert.tokenize(texts, None, max_length=256, cut="longest_first")
    assert torch.equal(tokens.ids, batch["input_ids"])
    assert torch.equal(tokens.mask, batch["attention_mask"])
    with torch.inference_mode():
        theirs = model(**batch).last_hidden_state
        ours = bert.hidden(tokens)
    read = tokens.mask.bool()  # padding positions are not pooled: their values do not matter
    assert (ours - theirs)[read].abs().max().item() < 1e-4


@pytest.mark.parametrize(
    ("change", "remove"),
    [
        ({"model_type": "distilbert"}, None),
        ({"hidden_act": "relu"}, None),
        ({"position_embedding_type": "relative_key"}, None),
        ({}, "model.safetensors"),
        ({}, "tokenizer.json"),
    ],
)
def test_a_folder_that_is_not_a_plain_bert_is_left_to_transformers(
    tmp_path: Path, change: dict[str, str], remove: str | None
) -> None:
    gone = {"config.json", *([remove] if remove else [])}
    folder = linked_copy(bundled_model_dir(), tmp_path / "model", leave_out=gone)
    config = json.loads((bundled_model_dir() / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, **change}))
    assert read_bert(folder) is None


def test_another_architecture_runs_on_transformers(tmp_path: Path) -> None:
    folder = tmp_path / "distil"
    torch.manual_seed(0)
    config = transformers.DistilBertConfig(
        vocab_size=30522, dim=32, hidden_dim=64, n_layers=1, n_heads=2,
        id2label={0: "entailment", 1: "neutral", 2: "contradiction"},
        label2id={"entailment": 0, "neutral": 1, "contradiction": 2},
    )  # fmt: skip
    model = transformers.DistilBertForSequenceClassification(config).eval()
    model.save_pretrained(folder)
    tokenizer = transformers.AutoTokenizer.from_pretrained(bundled_model_dir())
    tokenizer.save_pretrained(folder)
    assert read_bert(folder) is None
    ours = CrossEncoder(folder, precision="fp32")
    probs = ours.predict(list(zip(PREMISES, HYPOTHESES, strict=True)))
    batch = tokenizer(
        PREMISES, HYPOTHESES, truncation="only_first", max_length=256, padding=True,
        return_tensors="pt",
    )  # fmt: skip
    with torch.inference_mode():
        expected = torch.softmax(model(**batch).logits, dim=-1).numpy()
    order = [LABELS.index(config.id2label[i]) for i in range(3)]
    assert np.allclose(probs[:, order], expected, atol=1e-5)


def test_loading_the_bundled_models_imports_no_transformers() -> None:
    code = (
        "import sys\n"
        "from retrieval import get_embedder\n"
        "from checks.entailment import get_entailment\n"
        "e = get_embedder(); e.load(); e.embed(['The gateway listens on port 8443.'])\n"
        "get_entailment().predict([('The gateway listens on 8443.', 'It listens on 8443.')])\n"
        "print(sorted(m for m in ('transformers', 'sentence_transformers') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
