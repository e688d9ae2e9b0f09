"""How well the deterministic alignment stage separates true from contradicted claims.

For every claim of ``internal-dev/claims.jsonl`` with gold evidence files, the files are cut
into evidence units (sentences, list items, table rows rendered as "Header: cell; ...",
config lines with their dotted key path), each prefixed by its section heading, as a
retriever's chunk would carry it. The units with the highest ``subject_overlap`` are aligned
with the claim, and the claim is called a conflict when one of them conflicts and no other of
them agrees with the value in question.

Prints contradiction recall per kind (superseded claims need document-level logic and are
left out) and the false-positive rate on supported claims, against the targets the stage is
held to (recall >= 0.75, false positives <= 5 %); then the same over the sentences of
``answers.jsonl``, with evidence searched in the whole corpus. tests/test_alignment.py holds
the same targets on a small invented set of the same shape (``tests/data/alignment``).

    .venv/bin/python benchmarks/alignment_dev.py [--top K] [--verbose] [--dataset DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checks.alignment import Alignment, Value, align, extract_values

DEFAULT_DATASET = Path(__file__).resolve().parents[2] / "shared/benchmarks/internal-dev"
RECALL_KINDS = ("number", "unit", "date", "identifier", "entity-swap", "negation", "quantifier")
TARGET_RECALL = 0.75  # of the contradicted claims of RECALL_KINDS, flagged
TARGET_FALSE_POSITIVES = 0.05  # of the supported claims, flagged
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"(#\d])")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}")


def units_of(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".md", ".rst", ".txt"):
        return _markdown_units(text)
    if path.suffix in (".yaml", ".yml"):
        return _yaml_units(text)
    if path.suffix == ".toml":
        return _toml_units(text)
    return [line.strip() for line in text.splitlines() if line.strip()]


def _markdown_units(text: str) -> list[str]:
    out: list[str] = []
    title = heading = ""
    header: list[str] | None = None
    in_code = False
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            for sentence in _SENTENCE.split(" ".join(paragraph)):
                out.append(_prefixed(heading or title, sentence))
            paragraph.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            in_code = not in_code
            continue
        if in_code:
            if stripped:
                out.append(_prefixed(heading or title, stripped))
            continue
        m = _HEADING.match(stripped)
        if m:
            flush()
            header = None
            if len(m.group(1)) == 1:
                title = m.group(2)
            else:
                heading = m.group(2)
            continue
        if stripped.startswith("|"):
            flush()
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if _TABLE_RULE.match(stripped):
                continue
            if header is None:
                header = [h.lower() for h in cells]
                continue
            row = ", ".join(f"{h} {c}" for h, c in zip(header, cells, strict=False) if c)
            out.append(_prefixed(heading or title, row))
            continue
        header = None
        if not stripped:
            flush()
            continue
        if _BULLET.match(stripped):
            flush()
            paragraph.append(_BULLET.sub("", stripped))
            flush()
            continue
        paragraph.append(stripped)
    flush()
    return out


def _prefixed(heading: str, sentence: str) -> str:
    return f"{heading}. {sentence}" if heading else sentence


def _yaml_units(text: str) -> list[str]:
    out: list[str] = []
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            if line.strip():
                out.append(line.strip().lstrip("# "))
            continue
        indent = len(line) - len(line.lstrip())
        key, _, rest = line.strip().partition(":")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([k for _, k in stack] + [key])
        if rest.strip() and not rest.strip().startswith("#"):
            out.append(f"{path}: {rest.strip()}")
        else:
            stack.append((indent, key))
    return out


def _toml_units(text: str) -> list[str]:
    out: list[str] = []
    table = ""
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        if s.startswith("["):
            table = s
            continue
        out.append(f"{table} {s}" if table and not s.startswith("#") else s.lstrip("# "))
    return out


def decide(claim: str, units: list[str], top: int) -> tuple[bool, list[tuple[str, Alignment]]]:
    """Is ``claim`` a conflict against the ``top`` best units? And those units.

    Units rank by subject overlap, plus a little when they state a value of a kind the claim
    states. A unit's conflict counts unless a unit at least as much on topic agrees: fully
    (verdict "agree" on a measured value, not names alone), or, without conflicts of its
    own, on the value in question.
    """
    kinds: set[str] = {_FAMILY.get(v.kind, v.kind) for v in extract_values(claim)}
    kinds.discard("identifier")
    scored = [(align(claim, u), u) for u in units]
    scored.sort(key=lambda au: (-_rank(au[0], au[1], kinds), len(au[1])))
    best = scored[:top]
    agree_at = max((a.subject_overlap for a, _ in best if _agrees(a)), default=-1.0)
    conflict = False
    for a, _ in best:
        if a.verdict_hint != "conflict" or a.subject_overlap <= agree_at:
            continue
        if a.negation_mismatch or a.quantifier_mismatch or not a.conflicts:
            conflict = True  # a polarity mismatch, or a role given to someone else
        for k in a.conflicts:
            explained = any(_explains(b, a, k.claim_value) for b, _ in best)
            conflict = conflict or not explained
    return conflict, [(u, a) for a, u in best]


def _explains(b: Alignment, a: Alignment, value: Value) -> bool:
    """``b`` agrees on ``value`` and covers what else ``a`` covers (for a name: all names)."""
    if b.subject_overlap < a.subject_overlap or b.conflicts:
        return False
    if value not in {cv for cv, _ in b.matched}:
        return False
    left_out = set(a.unmatched_claim_values) | {k.claim_value for k in a.conflicts}
    missing = set(b.unmatched_claim_values) - left_out
    if value.kind == "identifier":
        return not any(v.kind == "identifier" for v in missing)
    return not missing


def _agrees(a: Alignment) -> bool:
    measured = any(cv.kind != "identifier" for cv, _ in a.matched)
    return a.verdict_hint == "agree" and (measured or a.subject_overlap >= 0.8)


_FAMILY: dict[str, str] = {"count": "number", "port": "number", "status_code": "number"}


def _rank(a: Alignment, unit: str, kinds: set[str]) -> float:
    same = sum(_FAMILY.get(v.kind, v.kind) in kinds for v in extract_values(unit))
    return a.subject_overlap + 0.05 * min(same, 3)


Show = Callable[[str, str, str, str, bool, list[tuple[str, Alignment]]], None]


@dataclass
class Figures:
    """Flagged / total per contradicted kind, and on supported claims."""

    recall: dict[str, tuple[int, int]]
    false_positives: tuple[int, int]

    @property
    def combined_recall(self) -> float:
        got = sum(self.recall.get(k, (0, 0))[0] for k in RECALL_KINDS)
        n = sum(self.recall.get(k, (0, 0))[1] for k in RECALL_KINDS)
        return got / max(n, 1)

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives[0] / max(self.false_positives[1], 1)

    @property
    def on_target(self) -> bool:
        recall_ok = self.combined_recall >= TARGET_RECALL
        return recall_ok and self.false_positive_rate <= TARGET_FALSE_POSITIVES


class _Units:
    """A dataset's evidence units, by file, read once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, list[str]] = {}

    def __call__(self, rel: str) -> list[str]:
        if rel not in self._cache:
            self._cache[rel] = units_of(self.root / rel)
        return self._cache[rel]


def measure_claims(root: Path, top: int = 3, show: Show | None = None) -> Figures:
    """Recall per kind and false positives over ``root/claims.jsonl``, each claim against
    the units of its gold evidence files."""
    units = _Units(root)
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    fp = [0, 0]
    for line in (root / "claims.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if not rec["evidence"] or rec["kind"] == "superseded":
            continue
        pool = [u for rel in rec["evidence"] for u in units(rel)]
        conflict, best = decide(rec["claim"], pool, top)
        if rec["label"] == "contradicted":
            hits[rec["kind"]][0] += conflict
            hits[rec["kind"]][1] += 1
        elif rec["label"] == "supported":
            fp[0] += conflict
            fp[1] += 1
        if show and conflict != (rec["label"] == "contradicted"):
            show(rec["id"], rec["label"], rec["kind"], rec["claim"], conflict, best)
    return Figures({k: (v[0], v[1]) for k, v in hits.items()}, (fp[0], fp[1]))


def measure_answers(root: Path, top: int = 3, show: Show | None = None) -> dict[str, list[int]]:
    """Gold label -> [flagged, total] over the sentences of ``root/answers.jsonl``, with
    evidence searched in the whole corpus."""
    units = _Units(root)
    corpus = [u for p in sorted((root / "corpus").iterdir()) for u in units(f"corpus/{p.name}")]
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in (root / "answers.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        for gold in rec["gold"]:
            conflict, best = decide(gold["sentence"], corpus, top)
            counts[gold["label"]][0] += conflict
            counts[gold["label"]][1] += 1
            if show and conflict != (gold["label"] == "contradicted"):
                show(rec["id"], gold["label"], "answer", gold["sentence"], conflict, best)
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    ap.add_argument("--top", type=int, default=3)
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    root: Path = args.dataset
    show = _show if args.verbose else None
    figures = measure_claims(root, args.top, show)
    print(f"{root.name} claims (top {args.top} evidence units by subject overlap)")
    total = [0, 0]
    for kind in RECALL_KINDS:
        got, n = figures.recall.get(kind, (0, 0))
        total[0] += got
        total[1] += n
        print(f"  recall {kind:<12} {got:>2}/{n:<2} = {got / max(n, 1):.2f}")
    print(f"  recall combined     {total[0]:>2}/{total[1]:<2} = {figures.combined_recall:.2f}")
    fp = figures.false_positives
    print(f"  false positives on supported {fp[0]}/{fp[1]} = {figures.false_positive_rate:.3f}")
    verdict = "met" if figures.on_target else "MISSED"
    print(
        f"  targets (recall >= {TARGET_RECALL}, false positives <= {TARGET_FALSE_POSITIVES}): "
        + verdict
    )
    counts = measure_answers(root, args.top, show)
    print("answers.jsonl sentences (evidence searched in the whole corpus)")
    for label in ("contradicted", "supported", "unverifiable"):
        got, n = counts[label]
        print(f"  flagged conflict among {label:<12} {got:>2}/{n:<2} = {got / max(n, 1):.2f}")
    return 0


def _show(
    rid: str, label: str, kind: str, claim: str, conflict: bool, best: list[tuple[str, Alignment]]
) -> None:
    print(f"--- {rid} {label}/{kind} flagged={conflict}: {claim}")
    for unit, a in best:
        print(f"    [{a.subject_overlap:.2f} {a.verdict_hint}] {unit[:150]}")
        print(f"        {a.explain}")


if __name__ == "__main__":
    raise SystemExit(main())
