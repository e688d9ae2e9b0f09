"""A synthetic corpus for retrieval at scale: Zipf-distributed words, clustered vectors.

Text: each record is one sentence of 40-100 words drawn by Zipf's law (exponent 1) from a
vocabulary whose most frequent words are the English stop words search drops, then 50,000
made-up words; so a few hundred words are in more than 5% of the chunks (FTS5's common
terms) and most are rare, as in prose. One sentence makes one chunk of one segment: N
chunks are N vectors.

Vectors: ``SyntheticEmbedder`` hashes each text to a point of a mixture of 1,000 Gaussian
topics in a 24-dimensional space, mapped into 384 dimensions, plus isotropic noise. Its
parameters were set so that approximate search finds it as hard as real MiniLM vectors:
on 45k vectors, an IVF index of 1,024 lists probing 1/4/8/16/32 lists gave recall@10 of
0.63/0.81/0.87/0.92/0.96 against exact search; the 45k MiniLM vectors of SciFact's
sentences, queried by its claims, gave 0.60/0.81/0.88/0.94/0.97. (Uniform noise or tight
clusters make approximate search look far better than it is.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from retrieval import Embedder
from retrieval._lexical import _STOP

__all__ = ["RECORDS_PER_FILE", "SyntheticEmbedder", "Vocabulary", "queries", "write_corpus"]

RECORDS_PER_FILE = 100_000
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["qu", "th", "sh", "ch"]


class SyntheticEmbedder(Embedder):
    """Deterministic clustered pseudo-embeddings: the same text always gets the same vector.

    A text's 64-bit hash picks its topic and, from tables of Gaussian draws, its place in the
    topic (the sum of two draws, so that two texts share it only if both match) and its noise.
    """

    name = "synthetic-topics"
    dim = 384
    TOPICS = 1000
    RANK = 24
    SPREAD = 0.8
    NOISE = 0.15
    _TABLE = (65_521, 65_519, 16_381)  # primes: rows of the two latent tables and the noise

    def __init__(self) -> None:
        g = np.random.default_rng(0)
        self._basis = (g.standard_normal((self.RANK, self.dim)) / np.sqrt(self.RANK)).astype(
            np.float32
        )
        self._topics = g.standard_normal((self.TOPICS, self.RANK)).astype(np.float32)
        a, b, c = self._TABLE
        self._latent = (
            g.standard_normal((a, self.RANK), dtype=np.float32),
            g.standard_normal((b, self.RANK), dtype=np.float32),
        )
        self._noise = g.standard_normal((c, self.dim), dtype=np.float32)

    def embed_batch(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        h = np.array(
            [
                int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
                for t in texts
            ],
            dtype=np.uint64,
        )
        a, b, c = (np.uint64(x) for x in self._TABLE)
        place = (self._latent[0][h % a] + self._latent[1][(h // a) % b]) / np.sqrt(2)
        latent = self._topics[h % np.uint64(self.TOPICS)] + self.SPREAD * place
        out = latent @ self._basis + self.NOISE * self._noise[(h // (a * b)) % c]
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out.astype(np.float32)


class Vocabulary:
    """Stop words first, then made-up words; word ``r`` (0-based) has weight 1 / (r + 1)."""

    def __init__(self, size: int = 50_000) -> None:
        stop = sorted(_STOP)
        made_up = (
            a + b + c
            for a in _SYLLABLES
            for b in _SYLLABLES
            for c in _SYLLABLES
            if a != c and a + b + c not in _STOP
        )
        self.words = np.array(stop + [w for _, w in zip(range(size), made_up, strict=False)])
        cdf = np.cumsum(1.0 / np.arange(1, len(self.words) + 1))
        self._cdf = cdf / cdf[-1]

    def draw(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.int64]:
        ids: npt.NDArray[np.int64] = np.searchsorted(self._cdf, rng.random(n))
        return ids

    def sentence(self, ids: npt.NDArray[np.int64]) -> str:
        return " ".join(self.words[ids].tolist())


def write_corpus(folder: Path, chunks: int, seed: int = 11) -> None:
    """``chunks`` records in ``corpus-NNN.jsonl`` files of ``RECORDS_PER_FILE`` each; a
    no-op when a whole corpus is there (``.complete``). Files are written under hidden
    names (which the loader skips) and renamed when whole."""
    if (folder / ".complete").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    vocab = Vocabulary()
    rng = np.random.default_rng(seed)
    for part, start in enumerate(range(0, chunks, RECORDS_PER_FILE)):
        count = min(RECORDS_PER_FILE, chunks - start)
        lengths = rng.integers(40, 101, count)
        ids = vocab.draw(rng, int(lengths.sum()))
        ends = np.cumsum(lengths)
        tmp = folder / f".corpus-{part:03d}.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            for i in range(count):
                text = vocab.sentence(ids[ends[i] - lengths[i] : ends[i]])
                record = {"id": start + i, "title": f"record {start + i}", "text": f"{text}."}
                fh.write(json.dumps(record) + "\n")
        tmp.rename(folder / f"corpus-{part:03d}.jsonl")
    (folder / ".complete").touch()


def queries(n: int, seed: int = 5) -> list[str]:
    """``n`` queries of five words drawn as the corpus draws its words."""
    vocab = Vocabulary()
    rng = np.random.default_rng(seed)
    return [vocab.sentence(vocab.draw(rng, 5)) for _ in range(n)]
