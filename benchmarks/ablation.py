"""What each hand-written rule of the alignment stage is worth, set by set.

    python benchmarks/ablation.py [--sets S,...] [--rules R,...] [--scorers F,...] [--limit N]
        [--windows N] [--embedder-precision P] [--json]

Runs the checker on every dev set with all rules on (the baseline), then once per rule with
that rule switched off (config ``disable_rules``, as ``verify bench --disable-rule NAME``
would run), in one process: the models are loaded once, a text is embedded once and an
entailment pair is scored once for all runs. Prints one row per rule
(``checks.alignment.RULES``), one column per set: the change of balanced accuracy (supported
vs not) when the rule is off, and of macro-F1 where the set has three labels. **A negative
change means the rule helps there.** A rule that does not help on the sets it was not written
against (all but internal-dev) is a candidate for removal.

Sets (``--sets``, default all):

- ``scifact``: SciFact dev, open retrieval over all abstracts (index ``.verify/bench/scifact``,
  built once if missing: about 10 minutes on 2 cores);
- ``internal-dev``: the set the rules were written against; its claims fall into 5 folds by a
  hash of their id, and the change is given as the mean over folds [min, max];
- ``halueval-qa``, ``halueval-summ``: HaluEval responses against their own context, a
  response read as the answer to its question and called hallucinated when any of its claims
  is not supported (as ``benchmarks/halueval_bench.py`` reads them); ``--limit`` per task;
- ``wice``: WiCE dev, each claim against its cited article (``verify bench`` on a context set);
- ``fever``: FEVER-Symmetric dev, the hypothesis against its premise, supported iff the
  gold label is entailment;
- ``kestrel``, ``oriel``, ``larkspur``, ``marlin``: the held-out organisation sets of this
  repository (``benchmarks/data/heldout-*``: internal documents of four invented
  organisations, written apart from the checker, with 130 to 150 labelled claims each; never
  fitted on; each README says how far it has been read).

``--scorers F,...`` adds a row per scorer weights file (``train_scorer.py`` output, e.g. a
refit) with every rule on: the change against the committed weights (no rule rows unless
``--rules`` names some). ``--limit N`` takes the first N claims (cases) of each set;
``--windows N`` sets the cascade's ``entailment_windows`` for every run (to measure that
setting on all sets); ``--embedder-precision P`` the embedder's ``embedder_precision``
(``auto``, ``fp32``, ``bf16``; the index sets' indexes are rebuilt when it changes);
``--json`` prints the figures as JSON instead of the table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import CACHE, REPO, SHARED, read_jsonl, require
from checks.alignment import RULES, check_rules
from checks.cascade import Cascade
from checks.entailment import (
    DEFAULT_ENTAILMENT,
    EntailmentModel,
    Probabilities,
    get_entailment,
    register_entailment,
)
from checks.evidence import EvidenceSource
from checks.extraction import answer_claims
from checks.scorer import Scorer
from retrieval import PRECISIONS, Embedder, get_embedder, register_embedder
from verify.bench import BINARY, Dataset, LabelledClaim, load_dataset, metrics, run_bench
from verify.checker import context_evidence, make_cascade
from verify.config import DEFAULTS, Config

#: the held-out organisation sets of this repository (benchmarks/data/heldout-NAME)
HELDOUT_SETS = ("kestrel", "oriel", "larkspur", "marlin")
SETS = ("scifact", "internal-dev", "halueval-qa", "halueval-summ", "wice", "fever", *HELDOUT_SETS)
THREE_LABELS = ("scifact", "internal-dev", *HELDOUT_SETS)  # macro-F1 is reported for these
HELDOUT = REPO / "benchmarks" / "data"
WRITTEN_AGAINST = "internal-dev"
FOLDS = 5
EMBEDDER = "minilm"

#: one set's outcome: (ids, gold labels, verdicts, scores), gold in the set's own labels
Run = tuple[list[str], list[str], list[str], list[float]]


class _Memo(Embedder):
    """The embedder, each text embedded once for all runs: the rules, not the vectors, vary."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._seen: dict[str, npt.NDArray[np.float32]] = {}

    def load(self) -> None:
        self.inner.load()
        self.dim = self.inner.dim
        self.computes = self.inner.computes  # what an index built with it records

    def embed_batch(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.inner.embed_batch(texts)

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 16, progress: Any = None
    ) -> npt.NDArray[np.float32]:
        missing = list(dict.fromkeys(t for t in texts if t not in self._seen))
        if missing:
            vecs = self.inner.embed(missing, batch_size=batch_size, progress=progress)
            self._seen.update(zip(missing, vecs, strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._seen[t] for t in texts])


class _MemoEntailment(EntailmentModel):
    """The entailment model, each (premise, hypothesis) pair scored once for all runs: a rule
    switched off changes which windows are read only now and then, so most rows are cheap."""

    def __init__(self, inner: EntailmentModel) -> None:
        self.inner = inner
        self.name = inner.name
        self._seen: dict[tuple[str, str], npt.NDArray[np.float32]] = {}

    def load(self) -> None:
        self.inner.load()

    def predict_batch(self, pairs: Sequence[tuple[str, str]]) -> Probabilities:
        return self.inner.predict_batch(pairs)

    def predict(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        batch_size: int = 32,
        timeout: float | None = None,
    ) -> Probabilities:
        missing = list(dict.fromkeys(p for p in pairs if p not in self._seen))
        if missing:
            probs = self.inner.predict(missing, batch_size=batch_size, timeout=timeout)
            self._seen.update(zip(missing, probs, strict=True))
        if not pairs:
            return np.zeros((0, 3), dtype=np.float32)
        return np.stack([self._seen[p] for p in pairs])


def _config(off: Iterable[str], windows: int) -> Config:
    """The default config with ``off`` switched off, ``windows`` read per claim and no run
    deadline (a full set is long)."""
    values = {"disable_rules": sorted(off), "entailment_windows": windows}
    return Config({**DEFAULTS, **values, "run_timeout": 7 * 86_400.0})


def _bench(dataset: Dataset, index: Path, limit: int | None) -> Callable[[Config], Run]:
    def run(config: Config) -> Run:
        def make(evidence: EvidenceSource) -> Cascade:
            return _cascade(evidence, config)

        result = run_bench(dataset, index, make, embedder=EMBEDDER, limit=limit)
        p = result.predictions
        return (
            [x["id"] for x in p],
            [x["gold"] for x in p],
            [x["verdict"] for x in p],
            [x["score"] for x in p],
        )

    return run


#: the scorer every cascade of the run uses (``--scorers``); None: the committed weights
_scorer: list[Scorer | None] = [None]


def _cascade(evidence: EvidenceSource, config: Config) -> Cascade:
    cascade = make_cascade(evidence, config)
    cascade.scorer = _scorer[0]
    return cascade


def _fever(limit: int | None) -> Dataset:
    """FEVER-Symmetric dev as a context dataset: claim = hypothesis, context = [premise]."""
    path = require(SHARED / "fever-symmetric-dev" / "pairs.jsonl")
    claims = tuple(
        LabelledClaim(
            str(r["id"]),
            r["hypothesis"],
            "supported" if r["label"] == "entailment" else "unsupported",
            context=(r["premise"],),
        )
        for r in list(read_jsonl(path))[:limit]
    )
    return Dataset("fever-symmetric-dev", path.parent, None, claims)


def _halueval(task: str, limit: int | None, embedder: Embedder) -> Callable[[Config], Run]:
    """HaluEval responses of ``task``: supported iff every claim of the response is."""
    every = read_jsonl(require(SHARED / "halueval" / "cases.jsonl"))
    cases = [c for c in every if c["task"] == task][:limit]

    def run(config: Config) -> Run:
        ids, gold, said, score = [], [], [], []
        for case in cases:
            evidence = context_evidence([case["context"]], embedder)
            claims = answer_claims(case["response"], case["question"])
            verdicts = _cascade(evidence, config).check(claims).verdicts
            ids.append(str(case["id"]))
            gold.append("unsupported" if case["label"] == "hallucinated" else "supported")
            ok = all(v.label == "supported" for v in verdicts)
            said.append("supported" if ok else "unsupported")
            score.append(min((v.score for v in verdicts), default=0.0))
        return ids, gold, said, score

    return run


def _runners(
    sets: Sequence[str], limit: int | None, embedder: Embedder
) -> dict[str, Callable[[Config], Run]]:
    out: dict[str, Callable[[Config], Run]] = {}
    for name in sets:
        if name == "scifact":
            data = load_dataset(require(SHARED / "scifact"), split="dev")
            out[name] = _bench(data, CACHE / "scifact", limit)
        elif name == "internal-dev":
            data = load_dataset(require(SHARED / "internal-dev"))
            out[name] = _bench(data, data.default_index(), limit)
        elif name == "wice":
            data = load_dataset(require(SHARED / "wice-dev"))
            out[name] = _bench(data, Path(), limit)
        elif name == "fever":
            out[name] = _bench(_fever(limit), Path(), None)
        elif name in HELDOUT_SETS:
            data = load_dataset(HELDOUT / f"heldout-{name}")
            out[name] = _bench(data, data.default_index(), limit)
        else:
            out[name] = _halueval(
                "qa" if name == "halueval-qa" else "summarization", limit, embedder
            )
    return out


def _fold(claim_id: str) -> int:
    return int(hashlib.sha1(claim_id.encode()).hexdigest(), 16) % FOLDS


def _scores(name: str, run: Run) -> dict[str, Any]:
    """Balanced accuracy (and macro-F1 on three labels) of one run; per fold on internal-dev."""
    ids, gold, said, score = run
    labels = None if name in THREE_LABELS else BINARY
    whole = metrics(gold, said, score, labels) if labels else metrics(gold, said, score)
    out: dict[str, Any] = {"n": len(ids), "ba": whole["balanced_accuracy"]}
    if name in THREE_LABELS:
        out["f1"] = whole["macro_f1"]
    if name == WRITTEN_AGAINST:
        folds = []
        for k in range(FOLDS):
            rows = [i for i, x in enumerate(ids) if _fold(x) == k]
            m = metrics([gold[i] for i in rows], [said[i] for i in rows], [score[i] for i in rows])
            folds.append({"ba": m["balanced_accuracy"], "f1": m["macro_f1"]})
        out["folds"] = folds
    return out


def _delta(base: dict[str, Any], off: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"ba": off["ba"] - base["ba"]}
    if "f1" in base:
        out["f1"] = off["f1"] - base["f1"]
    if "folds" in base:
        per = [o["ba"] - b["ba"] for b, o in zip(base["folds"], off["folds"], strict=True)]
        out["folds_ba"] = {"mean": sum(per) / len(per), "min": min(per), "max": max(per)}
    return out


def ablate(
    sets: Sequence[str],
    rules: Sequence[str],
    limit: int | None,
    log: Callable[[str], None],
    windows: int = DEFAULTS["entailment_windows"],
    precision: str = DEFAULTS["embedder_precision"],
    scorers: Sequence[Path] = (),
) -> dict[str, Any]:
    inner = get_embedder(EMBEDDER, precision=precision)
    shared = _Memo(inner)
    shared.load()
    register_embedder(EMBEDDER, lambda: shared)  # every run (run_bench too) gets this one
    entailment = _MemoEntailment(get_entailment(DEFAULT_ENTAILMENT))
    register_entailment(DEFAULT_ENTAILMENT, lambda: entailment)  # likewise, pairs scored once
    runners = _runners(sets, limit, shared)
    report: dict[str, Any] = {
        "limit": limit,
        "windows": windows,
        "embedder_precision": shared.computes,
        "baseline": {},
        "rules": {},
    }
    for name, run in runners.items():
        t0 = time.perf_counter()
        base = report["baseline"][name] = _scores(name, run(_config((), windows)))
        log(f"baseline {name}: BA {base['ba']:.3f} ({time.perf_counter() - t0:.0f}s)")
    rows: list[tuple[str, list[str], Scorer | None]] = [(r, [r], None) for r in rules]
    rows += [
        (f"weights {p.name}", [], Scorer.from_json(json.loads(p.read_text()))) for p in scorers
    ]
    for label, off, scorer in rows:
        t0 = time.perf_counter()
        _scorer[0] = scorer
        row = {}
        for name, run in runners.items():
            row[name] = _delta(report["baseline"][name], _scores(name, run(_config(off, windows))))
        _scorer[0] = None
        report["rules"][label] = row
        log(f"{label}: {time.perf_counter() - t0:.0f}s")
    return report


def _cell(name: str, d: dict[str, Any]) -> str:
    if "folds_ba" in d:
        f = d["folds_ba"]
        return f"{f['mean']:+.3f} [{f['min']:+.2f},{f['max']:+.2f}] {d['f1']:+.3f}"
    if "f1" in d:
        return f"{d['ba']:+.3f} {d['f1']:+.3f}"
    return f"{d['ba']:+.3f}"


def table(report: dict[str, Any]) -> str:
    sets = list(report["baseline"])
    heads = [f"{s} (BA F1)" if s in THREE_LABELS else f"{s} (BA)" for s in sets]
    base = {s: dict(report["baseline"][s]) for s in sets}
    rows = [
        ["baseline (all on)"]
        + [
            (f"{b['ba']:.3f} {b['f1']:.3f}" if "f1" in b else f"{b['ba']:.3f}") + f" n={b['n']}"
            for b in base.values()
        ]
        + [""]
    ]
    others = [s for s in sets if s != WRITTEN_AGAINST]
    for rule, row in report["rules"].items():
        mean = sum(row[s]["ba"] for s in others) / len(others) if others else 0.0
        rows.append([rule] + [_cell(s, row[s]) for s in sets] + [f"{mean:+.3f}"])
    header = ["rule off", *heads, "mean BA, other sets"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS), help=f"comma-separated of {', '.join(SETS)}")
    ap.add_argument("--rules", default="", help="comma-separated rule names [all]")
    ap.add_argument("--limit", type=int, default=None, help="claims (cases) per set [all]")
    ap.add_argument(
        "--windows",
        type=int,
        default=DEFAULTS["entailment_windows"],
        choices=range(1, 17),
        metavar="N",
        help="the cascade's entailment_windows, 1-16 [%(default)s]",
    )
    ap.add_argument(
        "--embedder-precision",
        default=DEFAULTS["embedder_precision"],
        choices=PRECISIONS,
        help="the embedder's embedder_precision; indexes are rebuilt when it changes [%(default)s]",
    )
    ap.add_argument(
        "--scorers",
        default="",
        metavar="FILE,...",
        help="scorer weights files (train_scorer.py output) measured as rows, all rules on",
    )
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    sets = [s for s in args.sets.split(",") if s]
    unknown = sorted(set(sets) - set(SETS))
    if unknown:
        ap.error(f"unknown set(s) {', '.join(unknown)}; known: {', '.join(SETS)}")
    scorers = [Path(p) for p in args.scorers.split(",") if p]
    names = [r for r in args.rules.split(",") if r] or ([] if scorers else list(RULES))
    try:
        check_rules(names)
    except ValueError as exc:
        ap.error(str(exc))
    missing = [str(p) for p in scorers if not p.is_file()]
    if missing:
        ap.error(f"no scorer weights at {', '.join(missing)}")
    report = ablate(sets, names, args.limit, _log, args.windows, args.embedder_precision, scorers)
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
