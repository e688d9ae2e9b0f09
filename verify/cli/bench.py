"""``verify bench DATASET_DIR``: measure the checker on a labelled claim set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from checks.cascade import Cascade
from checks.evidence import EvidenceSource

from ..bench import VERDICTS, BenchResult, load_dataset, run_bench
from ..checker import judge_from, make_cascade
from ..errors import ExitCode
from ._options import config, disable_rule_option, entailment_option, index_option, progress_bar

__all__ = ["command"]


@click.command("bench")
@click.argument("dataset_dir", type=click.Path(path_type=Path))
@index_option
@entailment_option
@disable_rule_option
@click.option("--split", default=None, help="Only claims whose `split` field is this (e.g. dev).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N claims.")
@click.option(
    "--include-trained",
    is_flag=True,
    help="Also measure claims the bundled scorer was trained on (off: they would "
    "flatter the result).",
)
@click.option(
    "--baseline",
    type=click.Choice(["ragas"]),
    default=None,
    help="Also run ragas Faithfulness on the same cases and contexts, driven by the "
    "bundled llama.cpp model, and print both side by side.",
)
@click.option(
    "--baseline-limit",
    type=click.IntRange(min=1),
    default=None,
    help="Run the baseline on the first N claims only (it is slow).",
)
@click.option(
    "--judge",
    default=None,
    metavar="GGUF",
    help="Ask this llama.cpp model about claims the scorer is unsure of, as `verify check "
    "--judge` does; prints its tokens per claim and how many claims it was asked.",
)
@click.option("--embedder", default=None, metavar="NAME|DIR", help="Embedder [default: minilm].")
@click.option(
    "--json", "as_json", is_flag=True, help="Print metrics and per-claim predictions as JSON."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def command(
    ctx: click.Context,
    dataset_dir: Path,
    index_dir: Path | None,
    split: str | None,
    limit: int | None,
    include_trained: bool,
    baseline: str | None,
    baseline_limit: int | None,
    judge: str | None,
    embedder: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Run the checker on DATASET_DIR: corpus/ or corpus.jsonl plus claims.jsonl, or a
    context dataset (claims.jsonl alone, each line with its own "context").

    Builds the index if needed (each claim of a context dataset is checked against its own
    context instead), then prints per-label precision/recall/F1, macro-F1, balanced accuracy
    (supported vs not), AUROC, the confusion matrix and claims per second (model load time
    apart). Exits 3 if any claim could not be checked (verdict error).

    \b
    Example:
      verify bench ../shared/benchmarks/internal-dev
      verify bench ../shared/benchmarks/scifact --split dev --json
      verify bench ../shared/benchmarks/internal-dev --judge model.gguf
      verify bench ../shared/benchmarks/wice-dev
    """
    conf = config(ctx)
    the_judge = judge_from(judge)  # an unreadable GGUF exits 2 before any indexing
    data = load_dataset(dataset_dir, split=split)
    if data.corpus is None and (index_dir is not None or baseline is not None):
        raise click.UsageError(
            "a context dataset checks each claim against its own context: "
            "--index and --baseline do not apply"
        )
    folder = index_dir or data.default_index()

    def make(evidence: EvidenceSource) -> Cascade:
        return make_cascade(evidence, conf, judge=the_judge)

    with progress_bar("checking claims", quiet) as progress:
        result = run_bench(
            data,
            folder,
            make,
            embedder=embedder or conf["embedder"],
            precision=conf["embedder_precision"],
            include_trained=include_trained,
            limit=limit,
            progress=progress,
        )
    if baseline == "ragas":
        from ..bench.ragas_baseline import run_ragas_baseline

        with progress_bar("ragas baseline", quiet) as progress:
            result.baseline = run_ragas_baseline(
                data,
                folder,
                result,
                limit=baseline_limit,
                progress=progress,
                precision=conf["embedder_precision"],
            )
    text = json.dumps(result.to_json(), indent=2) if as_json else format_result(result, judge)
    click.echo(text)
    failed = [p for p in result.predictions if p["verdict"] == "error"]
    if failed:  # fail closed: a measurement with claims that could not be checked is no pass
        click.echo(
            f"verify: error: {len(failed)} of {len(result.predictions)} claims could not be "
            f"checked (verdict error); the first: {' '.join(str(failed[0]['reason']).split())}",
            err=True,
        )
        ctx.exit(int(ExitCode.INTERNAL))


def format_result(result: BenchResult, judge: str | None = None) -> str:
    """The text report; with ``judge`` (its name), a line on what the judge was asked."""
    m = result.metrics
    lines = [
        f"dataset {result.dataset}: {len(result.predictions)} claims"
        + (" (each against its own context)" if result.kind == "context" else "")
        + (
            f" ({result.excluded_trained} left out: the scorer was trained on them)"
            if result.excluded_trained
            else ""
        )
    ]
    lines.append(f"{'label':14} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>5}")
    for label, row in m["per_label"].items():
        lines.append(
            f"{label:14} {row['precision']:9.3f} {row['recall']:7.3f} "
            f"{row['f1']:6.3f} {row['support']:5d}"
        )
    auc = "n/a" if m["auroc"] is None else f"{m['auroc']:.3f}"
    lines.append(
        f"macro-F1 {m['macro_f1']:.3f}   balanced accuracy {m['balanced_accuracy']:.3f}"
        f"   accuracy {m['accuracy']:.3f}   AUROC {auc}   errors {m['errors']}"
    )
    lines.append("confusion (rows gold, columns verdicts):")
    lines.append(" " * 14 + "".join(f"{c[:12]:>13}" for c in VERDICTS))
    for gold, row in m["confusion"].items():
        lines.append(f"{gold:14}" + "".join(f"{row[c]:13d}" for c in VERDICTS))
    index = f", index {result.index_seconds:.1f}s" if result.kind == "index" else ""
    lines.append(
        f"speed {result.claims_per_second:.1f} claims/s (model load "
        f"{result.load_seconds:.1f}s{index} apart"
        + "".join(f"; {model} in {fmt}" for model, fmt in result.precision.items() if fmt)
        + ")"
    )
    if judge is not None:
        lines.append(_judge_line(result, judge))
    if result.baseline:
        lines.append(_baseline_table(result))
    return "\n".join(lines)


def _judge_line(result: BenchResult, judge: str) -> str:
    n = len(result.predictions)
    prompt = result.usage.get("prompt_tokens", 0)
    completion = result.usage.get("completion_tokens", 0)
    per = (prompt + completion) / n if n else 0.0
    return (
        f"judge {Path(judge).name}: asked on {result.judged} of {n} claims, "
        f"{prompt} prompt + {completion} completion tokens, {per:.1f} tokens per claim"
    )


def _baseline_table(result: BenchResult) -> str:
    b: dict[str, Any] = result.baseline or {}
    ours = b.get("ours_on_same", {})
    rows = [
        "side by side on the same claims and contexts:",
        f"{'':24}{'verify':>12}{'ragas':>12}",
        f"{'balanced accuracy':24}{ours.get('balanced_accuracy', 0):12.3f}"
        f"{b.get('balanced_accuracy', 0):12.3f}",
        f"{'could not score':24}{ours.get('unscored_share', 0):12.1%}"
        f"{b.get('unscored_share', 0):12.1%}",
        f"{'seconds per claim':24}{ours.get('seconds_per_claim', 0):12.3f}"
        f"{b.get('seconds_per_claim', 0):12.3f}",
        f"{'LLM tokens per claim':24}{ours.get('tokens_per_claim', 0):12.1f}"
        f"{b.get('tokens_per_claim', 0):12.1f}",
        f"claims: {b.get('n', 0)}",
    ]
    return "\n".join(rows)
