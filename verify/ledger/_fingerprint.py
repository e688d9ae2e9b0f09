"""What the ledger stores about an output besides its (capped) text: cheap, deterministic features.

They are computed once, when a call is recorded, so that ``verify usage`` never re-reads or
re-tokenises 100k outputs:

- ``minhash``: a 16 x uint32 MinHash signature of the output's word 3-shingles. Two outputs
  whose signatures agree in a fraction ``f`` of positions have a shingle Jaccard similarity of
  about ``f`` (standard error about 0.1). Used for near-duplicate detection; see
  ``verify/usage/_waste.py`` for why this and not an embedding.
- ``sentences`` / ``repeated_sentences``: sentences of at least three words, and how many of
  them repeat an earlier sentence of the same output (after lower-casing and dropping
  punctuation).
- ``checkable``: sentences that look checkable (they carry a number, a code-like token, a
  quoted string or a capitalised word past the first). A stand-in for the gate's claim count,
  used only where no gate result is attached to the call.

Everything here is a pure function of the text: the same output always gets the same features,
on any machine and in any process (no ``hash()``, whose seed changes per process).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["MINHASH_SIZE", "Fingerprint", "fingerprint", "minhash"]

MINHASH_SIZE = 16
_PRIME = np.uint64(4294967311)  # the first prime above 2**32


def _coefficients(label: str) -> npt.NDArray[np.uint64]:
    # fixed, from a hash of a label: never from an RNG whose stream could change between versions
    values = [
        int.from_bytes(hashlib.blake2b(f"{label}{i}".encode(), digest_size=4).digest(), "big")
        for i in range(MINHASH_SIZE)
    ]
    # a < 2**31 keeps a*x + b < 2**64 for x < 2**32
    return np.array([(v & 0x7FFFFFFF) | 1 for v in values], dtype=np.uint64)


_A = _coefficients("verify-minhash-a")[:, None]
_B = _coefficients("verify-minhash-b")[:, None]

_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_CODEISH = re.compile(r"\d|`|\w[./_:]\w|\"[^\"]+\"|'[^']+'")


@dataclass(frozen=True)
class Fingerprint:
    minhash: bytes | None  # None for an output with no words
    sentences: int
    repeated_sentences: int
    checkable: int


def minhash(text: str) -> bytes | None:
    """The MinHash signature of ``text``'s word 3-shingles, as 64 little-endian bytes."""
    words = _WORD.findall(text.lower())
    if not words:
        return None
    if len(words) < 3:
        shingles = {" ".join(words)}
    else:
        shingles = {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}
    base = np.fromiter(
        (zlib.crc32(s.encode("utf-8")) for s in shingles), dtype=np.uint64, count=len(shingles)
    )
    hashed = (_A * base[None, :] + _B) % _PRIME
    signature: bytes = hashed.min(axis=1).astype("<u4").tobytes()
    return signature


def fingerprint(text: str) -> Fingerprint:
    """All the stored features of one output (see the module docstring)."""
    seen: set[str] = set()
    sentences = repeated = checkable = 0
    for raw in _SENTENCE_END.split(text):
        words = _WORD.findall(raw.lower())
        if len(words) < 3:
            continue
        sentences += 1
        norm = " ".join(words)
        if norm in seen:
            repeated += 1
        seen.add(norm)
        if _looks_checkable(raw):
            checkable += 1
    return Fingerprint(minhash(text), sentences, repeated, checkable)


def _looks_checkable(sentence: str) -> bool:
    if _CODEISH.search(sentence):
        return True
    tokens = sentence.split()
    return any(t[:1].isupper() for t in tokens[1:])
