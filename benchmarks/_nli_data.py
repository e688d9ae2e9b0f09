"""The entailment model's training pairs: where they are, what they say, which are held out.

Pairs come from ``../shared/training/nli`` (or ``$VERIFY_SHARED_TRAINING``; licences in its
README), each source a JSONL file of ``premise``, ``hypothesis`` and ``label``. Sources
labelled only ``entailment`` / ``not_entailment`` (FEVER-NLI and MultiNLI as binarised in
DocNLI) get the label ``BINARY``.

Hygiene (``load_pairs`` counts what it drops and what each side holds):
- validation is split by VitaminC ``group`` (the Wikipedia page), and by premise (its title
  for FEVER-NLI) elsewhere, never by row: contrastive pairs of one page share most words;
- pairs whose premise or hypothesis occurs in an evaluation set (FEVER-Symmetric dev, WiCE
  dev, SciFact, HaluEval, internal-dev, if ``../shared/benchmarks`` is there) are dropped.

``related_neutrals`` derives neutral pairs from VitaminC's own pages: a claim against another
sentence of its page that does not state it. ``swapped_names`` derives pairs that are not
entailed from entailed ones, a name of the hypothesis swapped for another. ``sample`` draws a
training set by the ``SOURCES`` (and ``DERIVED``) shares.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._common import SHARED, read_jsonl

TRAINING = Path(os.environ.get("VERIFY_SHARED_TRAINING", SHARED.parent / "training" / "nli"))
LABELS = ("entailment", "neutral", "contradiction")  # the head's output order
BINARY = -1  # label id of "not_entailment": entailment-or-not only
LABEL_ID = {"entailment": 0, "neutral": 1, "contradiction": 2, "not_entailment": BINARY}

# pairs taken from each source in the default (CPU) recipe; 0 = all of it
SOURCES = {
    "vitaminc_real": 1.0,
    "vitaminc_synthetic": 0.6,
    "fever_nli_binary": 0.6,
    "mnli_binary": 0.6,
    "breaking_nli": 0.25,
}

# derived pairs (``related_neutrals``, ``swapped_names``), drawn by ``sample`` at this share
# when present
DERIVED = {"vitaminc_related": 1.0, "swapped_names": 1.0}


@dataclass(frozen=True)
class Pair:
    source: str
    premise: str
    hypothesis: str
    label: int
    group: str


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w ]", " ", text.lower()).split())


def _group(source: str, row: dict[str, Any]) -> str:
    if row.get("group"):
        return f"{source}:{row['group']}"
    premise = str(row["premise"])
    if source == "fever_nli_binary":  # "Page title . sentence ..." -> the page
        return f"{source}:{premise.split(' . ', 1)[0]}"
    return f"{source}:{_norm(premise)[:200]}"


def held_out(group: str, share: float) -> bool:
    """Whether a group belongs to validation: a hash of its name, stable across runs."""
    h = int(hashlib.sha256(group.encode()).hexdigest()[:8], 16)
    return h / 0xFFFFFFFF < share


def evaluation_texts(root: Path) -> set[str]:
    """Normalised claims and passages of every evaluation set under ``root`` (if any)."""
    out: set[str] = set()
    if not root.is_dir():
        return out
    for path in sorted(root.rglob("*.jsonl")):
        if path.name == "corpus.jsonl":  # SciFact abstracts: their claims are enough
            continue
        for row in read_jsonl(path):
            for key in ("claim", "hypothesis", "premise", "response", "answer", "query"):
                if isinstance(row.get(key), str) and len(row[key]) > 20:
                    out.add(_norm(row[key]))
            for passage in row.get("context") or []:
                if isinstance(passage, str) and len(passage) > 20:
                    out.add(_norm(passage))
    return out


def _contaminated(pair: Pair, seen: set[str], premises: Sequence[str]) -> bool:
    if _norm(pair.hypothesis) in seen or _norm(pair.premise) in seen:
        return True
    # a premise made of several sentences (FEVER-NLI) may hold an evaluation premise whole
    p = _norm(pair.premise)
    return len(p) > 80 and any(e in p for e in premises)


def load_pairs(
    folder: Path, eval_root: Path, val_share: float
) -> tuple[list[Pair], list[Pair], dict[str, Any]]:
    seen = evaluation_texts(eval_root)
    # evaluation premises long enough to be matched inside a longer training premise
    fever_premises = sorted(
        _norm(r["premise"])
        for r in (
            read_jsonl(eval_root / "fever-symmetric-dev" / "pairs.jsonl")
            if (eval_root / "fever-symmetric-dev" / "pairs.jsonl").is_file()
            else ()
        )
        if len(r["premise"]) > 60
    )
    train: list[Pair] = []
    val: list[Pair] = []
    dropped: Counter[str] = Counter()
    for source in SOURCES:
        path = folder / f"{source}.jsonl"
        if not path.is_file():
            raise SystemExit(f"training data not found: {path}; set VERIFY_SHARED_TRAINING")
        for row in read_jsonl(path):
            label = LABEL_ID[str(row["label"])]
            pair = Pair(source, row["premise"], row["hypothesis"], label, _group(source, row))
            if _contaminated(pair, seen, fever_premises if source.startswith("fever") else ()):
                dropped[source] += 1
                continue
            (val if held_out(pair.group, val_share) else train).append(pair)
    stats = {
        "evaluation_texts": len(seen),
        "dropped_as_evaluation_overlap": dict(dropped),
        "train_available": dict(Counter(p.source for p in train)),
        "validation": dict(Counter(p.source for p in val)),
    }
    return train, val, stats


def sample(pairs: Sequence[Pair], total: int, rng: random.Random) -> list[Pair]:
    """``total`` pairs drawn by the SOURCES shares (all pairs when ``total`` is 0)."""
    by_source: dict[str, list[Pair]] = {}
    for p in pairs:
        by_source.setdefault(p.source, []).append(p)
    if total <= 0:
        out = list(pairs)
    else:
        shares = {**SOURCES, **DERIVED}
        weight = {s: len(v) * shares[s] for s, v in by_source.items()}
        scale = total / sum(weight.values())
        out = []
        for s, items in sorted(by_source.items()):
            n = min(len(items), round(weight[s] * scale))
            out += rng.sample(items, n)
    rng.shuffle(out)
    return out


_DIGIT = re.compile(r"\d")


def related_neutrals(pairs: Sequence[Pair], share: float, rng: random.Random) -> list[Pair]:
    """Neutral pairs of a VitaminC claim and another sentence of its page: same subject, the
    fact not stated. About ``share`` x the VitaminC real pairs given.

    The premise is one of the page's other evidence sentences that shares under half its
    words with the claim's own premises (so not a revision of them), holds no number when the
    claim has one, and does not hold all the claim's words; among those, one of the three
    that share most words with the claim (a related sentence, the kind a model misreads as
    support).
    """
    real = [p for p in pairs if p.source == "vitaminc_real"]
    by_page: dict[str, dict[str, list[str]]] = {}
    for p in real:
        by_page.setdefault(p.group, {}).setdefault(p.hypothesis, []).append(p.premise)
    out: list[Pair] = []
    for group, claims in sorted(by_page.items()):
        sentences = sorted({s for premises in claims.values() for s in premises})
        words = {s: set(_norm(s).split()) for s in sentences}
        for claim, own in sorted(claims.items()):
            if rng.random() >= share * len(own):  # about ``share`` pairs per real pair
                continue
            mine = set().union(*(words[s] for s in own))
            claim_words = set(_norm(claim).split())
            numbered = _DIGIT.search(claim) is not None
            fits = [
                s
                for s in sentences
                if s not in own
                and words[s]
                and len(words[s] & mine) < 0.5 * len(words[s])
                # a claim's number is compared ("under 240 million"): any other number may
                # decide it, so a claim with numbers is paired with a sentence without
                and not (numbered and _DIGIT.search(s))
                and not claim_words <= words[s]
            ]
            if not fits:
                continue
            fits.sort(key=lambda s: (-len(words[s] & claim_words), s))
            premise = rng.choice(fits[:3])
            out.append(Pair("vitaminc_related", premise, claim, LABEL_ID["neutral"], group))
    return out


# a capitalised word: a name, or a word used as one ("the Ledger team")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*\b")


def swapped_names(pairs: Sequence[Pair], share: float, rng: random.Random) -> list[Pair]:
    """Pairs that are not entailed, made from about ``share`` x the entailed pairs given: a
    name that the hypothesis shares with the premise, swapped in the hypothesis for a name of
    another pair that the premise lacks ("Alice manages the London office" does not entail
    "Bob manages the London office"; the FactCC entity swap). Label ``BINARY``: another
    name may make the hypothesis false or merely unstated.

    A name is a capitalised word that is not among the 300 words most often written in
    lower case in these pairs (so no "The", "In", "However" at a sentence's start); the
    swapped-in name comes from the hypotheses of all pairs given."""
    lower: Counter[str] = Counter()
    for p in pairs:
        lower.update(w for w in re.findall(r"\b[a-z]+\b", p.hypothesis))
    common = {w for w, _ in lower.most_common(300)}

    def names(text: str) -> list[str]:
        return [w for w in _CAPITALISED.findall(text) if w.lower() not in common]

    pool = sorted({w for p in pairs for w in names(p.hypothesis)})
    out: list[Pair] = []
    if not pool:
        return out
    for p in pairs:
        if p.label != LABEL_ID["entailment"] or rng.random() >= share:
            continue
        premise_words = set(_norm(p.premise).split())
        shared = sorted({w for w in names(p.hypothesis) if w.lower() in premise_words})
        if not shared:
            continue
        old = rng.choice(shared)
        for _ in range(5):  # a name the premise and the hypothesis lack
            new = rng.choice(pool)
            if new.lower() not in premise_words and new not in p.hypothesis:
                break
        else:
            continue
        hypothesis = re.sub(rf"\b{re.escape(old)}\b", new, p.hypothesis)
        out.append(Pair("swapped_names", p.premise, hypothesis, BINARY, p.group))
    return out
