"""The MiniLM embedder: a simple sentence-transformers folder run with transformers alone gives
the vectors sentence-transformers gives; any other folder is still run by sentence-transformers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from support.model_folders import linked_copy

from retrieval import (
    EmbedderError,
    MiniLMEmbedder,
    _embedder,
    get_embedder,
    read_bert,
    register_embedder,
)
from retrieval._embedder import _bundled_minilm, _sentence_transformers
from retrieval._st_folder import open_encoder, read_layout

TEXTS = [
    "The upload gateway listens on port 8443.",
    "  Refunds are final after 30 days.  ",
    "Ünïcödé — テスト, 3.5 GB",
    "",
    "word " * 400,  # past the 256 word pieces the folder allows: cut as sentence-transformers cuts
]


def _layout_folder(tmp_path: Path, pooling: dict[str, bool], extra: Sequence[str] = ()) -> Path:
    """A copy of the bundled folder's layout (files linked) with its own pooling and modules."""
    dst = linked_copy(_bundled_minilm(), tmp_path / "model", leave_out={"modules.json"})
    (dst / "1_Pooling").mkdir()
    config = {"word_embedding_dimension": 384, **pooling}
    (dst / "1_Pooling" / "config.json").write_text(json.dumps(config))
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
    ]
    modules += [{"idx": 2, "name": "2", "path": "x", "type": t} for t in extra]
    (dst / "modules.json").write_text(json.dumps(modules))
    return dst


def test_the_bundled_folder_is_read_without_sentence_transformers() -> None:
    layout = read_layout(_bundled_minilm())
    assert layout is not None
    assert (layout.pooling, layout.max_length, layout.lower_case) == ("mean", 256, False)


def test_its_vectors_are_the_ones_sentence_transformers_gives() -> None:
    embedder = MiniLMEmbedder(precision="fp32")
    ours = embedder.embed(TEXTS)
    dim, encode = _sentence_transformers(_bundled_minilm())
    theirs = encode(TEXTS)
    theirs /= np.maximum(np.linalg.norm(theirs, axis=1, keepdims=True), 1e-12)
    assert embedder.dim == dim == 384
    assert np.abs(ours - theirs).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_cls_pooling_reads_the_first_token(tmp_path: Path) -> None:
    folder = _layout_folder(tmp_path, {"pooling_mode_cls_token": True})
    layout = read_layout(folder)
    assert layout is not None and layout.pooling == "cls"
    cls_encoder, mean_encoder = open_encoder(folder), open_encoder(_bundled_minilm())
    assert cls_encoder is not None and mean_encoder is not None
    mean = mean_encoder.encode(TEXTS[:2])
    cls = cls_encoder.encode(TEXTS[:2])
    assert cls.shape == mean.shape == (2, 384)
    assert not np.allclose(cls, mean, atol=1e-3)
    bert = read_bert(_bundled_minilm())  # the first token of the whole last layer
    assert bert is not None
    texts = [t.strip() for t in TEXTS[:2]]
    tokens = bert.tokenize(texts, None, max_length=layout.max_length, cut="longest_first")
    with torch.inference_mode():
        first = bert.hidden(tokens)[:, 0].numpy()
    assert np.abs(cls - first).max() < 1e-5


@pytest.mark.parametrize(
    ("pooling", "extra"),
    [
        ({"pooling_mode_max_tokens": True}, []),
        ({"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}, []),
        ({"pooling_mode_mean_tokens": True}, ["sentence_transformers.models.Dense"]),
        ({}, []),
    ],
)
def test_other_folders_go_to_sentence_transformers(
    tmp_path: Path, pooling: dict[str, bool], extra: list[str]
) -> None:
    assert read_layout(_layout_folder(tmp_path, pooling, extra)) is None


def test_a_folder_without_modules_is_not_read_as_simple(tmp_path: Path) -> None:
    assert read_layout(tmp_path) is None
    (tmp_path / "modules.json").write_text("not json")
    assert read_layout(tmp_path) is None


def test_tokenizer_or_model_arguments_go_to_sentence_transformers(tmp_path: Path) -> None:
    folder = _layout_folder(tmp_path, {"pooling_mode_mean_tokens": True})
    assert read_layout(folder) is not None
    config = folder / "sentence_bert_config.json"
    settings = json.loads(config.read_text())
    config.unlink()  # a link to the bundled file: write our own
    config.write_text(json.dumps({**settings, "tokenizer_args": {"model_max_length": 64}}))
    assert read_layout(folder) is None


def test_a_max_pooling_folder_is_embedded_by_sentence_transformers(tmp_path: Path) -> None:
    folder = _layout_folder(tmp_path, {"pooling_mode_max_tokens": True})
    embedder = MiniLMEmbedder(folder)
    vecs = embedder.embed(TEXTS[:2])
    mean = MiniLMEmbedder().embed(TEXTS[:2])
    assert vecs.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vecs, mean, atol=1e-3)  # max pooling, not the mean


# -- precision ------------------------------------------------------------------------------


def test_bf16_moves_the_vectors_a_little() -> None:
    fp32, bf16 = MiniLMEmbedder(precision="fp32"), MiniLMEmbedder(precision="bf16")
    a, b = fp32.embed(TEXTS), bf16.embed(TEXTS)
    assert (fp32.computes, bf16.computes) == ("fp32", "bf16")
    cosines = (a * b).sum(axis=1)
    assert np.abs(a - b).max() > 0  # it computed in bf16
    assert cosines.min() > 0.99  # and gave the same directions
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)


def test_an_unknown_precision_names_the_choices() -> None:
    with pytest.raises(EmbedderError, match="unknown precision 'fp16'; use one of auto"):
        get_embedder(precision="fp16")


def test_the_precision_reaches_the_bundled_model_and_folders_not_a_registered_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _layout_folder(tmp_path, {"pooling_mode_mean_tokens": True})
    for made in (get_embedder(precision="fp32"), get_embedder(str(folder), precision="fp32")):
        assert isinstance(made, MiniLMEmbedder) and made.precision == "fp32"

    class Registered(MiniLMEmbedder):
        name = "test-registered"

    monkeypatch.setattr(_embedder, "_FACTORIES", dict(_embedder._FACTORIES))
    register_embedder("test-registered", Registered)
    assert get_embedder("test-registered", precision="fp32").precision == "auto"
