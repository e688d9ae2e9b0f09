"""Waste and tokenmaxxing signals: one small pure function per rule.

Each call-level rule takes the shared ``Context`` and the ``Thresholds`` and returns a
``Signal``: the tokens it judges wasted per call (0 where it did not fire) and a function that
says, for one call, what triggered it. The rules, in the order that attributes a call's tokens
(a call wasted whole counts under the first rule that fired, so categories add up):

- ``blocked``: the call's output was blocked (its verdict, or the action at its step).
  All its tokens.
- ``loop``: the action at the call's step repeats an action of the same run (same kind, same
  query/argv/path/text). All its tokens.
- ``near_duplicate``: a generated output (agent or imported) whose word 3-shingles overlap an
  earlier output of the same scope with estimated Jaccard >= 0.7; the scope is the run, or
  every run of the same task by the same agent and user. All its tokens.
- ``unused``: the call has a step, its run records actions, and no action was recorded at its
  step: nothing used its output. All its tokens.
- ``oversampling``: consistency samples of one step beyond ``max_samples`` (twice the
  default of 2). All tokens of the excess samples.

and two that claim only part of a call, counted when none of the above fired:

- ``padding``: an answer, free text, or a consistency sample of an answer, of >= 150
  completion tokens with more than 2 x 50 tokens per checkable claim (the gate's claim count
  where a gated answer is attached, else the ledger's checkable-sentence count), or with >= 25%
  of its sentences repeated. The completion tokens beyond 50 per claim (or the repeated share).
- ``context``: a generated call whose prompt is >= 2000 tokens and >= 8x the median prompt of
  the task's calls (at least 5 of them). The prompt tokens above that median.

Run-level, ``tokenmaxxing``: a run of a task with >= 3 runs that spent >= 10x the median
tokens of those runs for no more verified work than their median (scaled up when it did more).

Why MinHash and not embeddings for near-duplicates: it must be cheap and deterministic on 100k
rows. The signature is computed once per call when it is recorded (ledger/_fingerprint.py);
at report time candidates are found by locality-sensitive banding (8 bands of 2 values: a pair
with Jaccard 0.7 shares a band with probability 0.995) and confirmed by the signatures'
agreement, all in sorted numpy arrays: well under a second for 100k calls, no model loaded,
and the same answer on every machine. Regenerating the same text is what costs tokens; a
paraphrase with different words is different work as far as a token bill is concerned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..ledger import PURPOSE_CODES, WASTE
from ._context import Context

__all__ = [
    "CALL_RULES",
    "CATEGORIES",
    "FULL_CALL",
    "Signal",
    "Thresholds",
    "group_median",
    "tokenmaxxing",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Thresholds:
    """Every number the rules use (the module docstring gives each one's meaning)."""

    near_duplicate: float = 0.7
    padding_min_tokens: int = 150
    tokens_per_claim: int = 50
    repeated_sentence_share: float = 0.25
    max_samples: int = 4
    context_min_tokens: int = 2000
    context_ratio: float = 8.0
    context_min_peers: int = 5
    tokenmaxxing_ratio: float = 10.0
    tokenmaxxing_min_runs: int = 3
    flag_share: float = 0.10  # a row is flagged with a category at >= 10% of its tokens


@dataclass(frozen=True)
class Signal:
    category: str
    waste: I64  # tokens judged wasted, per call
    why: Callable[[int], str]  # what triggered the rule for call i (only where waste > 0)


def _where(ctx: Context, i: int) -> str:
    calls = ctx.frames.calls
    run = ctx.frames.runs.run_id[int(calls.run[i])]
    step = int(calls.step[i])
    return f"run {run}" + (f" step {step}" if step >= 0 else "")


def _action_text(ctx: Context, a: int) -> str:
    acts = ctx.frames.actions
    summary = " ".join(ctx.frames.summary(a).split())
    return f"{acts.kind[a]} {summary!r}" if summary else acts.kind[a]


# ---------------------------------------------------------------------- full-call rules


def blocked(ctx: Context, th: Thresholds) -> Signal:
    calls, acts = ctx.frames.calls, ctx.frames.actions
    act_blocked = np.array([d == "block" for d in acts.decision] + [False], dtype=bool)
    fired = calls.blocked | act_blocked[ctx.action]

    def why(i: int) -> str:
        a = int(ctx.action[i])
        if a >= 0 and acts.decision[a] == "block":
            return f"{_where(ctx, i)}: {_action_text(ctx, a)} blocked by the gate"
        return f"{_where(ctx, i)}: output blocked"

    return Signal("blocked", np.where(fired, calls.tokens, 0), why)


def loop(ctx: Context, th: Thresholds) -> Signal:
    calls = ctx.frames.calls
    repeat = np.append(ctx.action_repeat, False)
    fired = repeat[ctx.action]

    def why(i: int) -> str:
        return f"{_where(ctx, i)}: {_action_text(ctx, int(ctx.action[i]))} repeated"

    return Signal("loop", np.where(fired, calls.tokens, 0), why)


def _duplicate_of(ctx: Context, threshold: float) -> I64:
    """Per call, the earlier call of its scope it nearly duplicates, or -1."""
    calls = ctx.frames.calls
    dup_of = np.full(len(calls), -1, dtype=np.int64)
    cand = np.flatnonzero(ctx.generated & calls.has_sig)
    if len(cand) < 2:
        return dup_of
    sig = calls.minhash[cand].astype(np.uint64)
    scope = ctx.scope[calls.run[cand]]
    positions = np.arange(len(cand))
    for b in range(sig.shape[1] // 2):
        # a bucket is one (scope, band value); its first call (in call order) is its head.
        # Exact, whatever the numbering of scopes: a task group alone finds what the whole
        # ledger finds (the usage aggregates recompute one group at a time)
        band = (sig[:, 2 * b] << np.uint64(32)) | sig[:, 2 * b + 1]
        order = np.lexsort((positions, band, scope))
        k, g = band[order], scope[order]
        start = np.ones(len(order), dtype=bool)
        start[1:] = (k[1:] != k[:-1]) | (g[1:] != g[:-1])
        head = order[np.maximum.accumulate(np.where(start, positions, 0))]
        member, rep = order[~start], head[~start]
        similar = (sig[member] == sig[rep]).mean(axis=1) >= threshold
        member, rep = member[similar], rep[similar]
        fresh = dup_of[cand[member]] < 0
        dup_of[cand[member[fresh]]] = cand[rep[fresh]]
    return dup_of


def near_duplicate(ctx: Context, th: Thresholds) -> Signal:
    calls = ctx.frames.calls
    dup_of = _duplicate_of(ctx, th.near_duplicate)

    def why(i: int) -> str:
        j = int(dup_of[i])
        same = np.mean(calls.minhash[i] == calls.minhash[j])
        return f"{_where(ctx, i)}: ~{same:.0%} the same as {_where(ctx, j)}"

    return Signal("near_duplicate", np.where(dup_of >= 0, calls.tokens, 0), why)


def unused(ctx: Context, th: Thresholds) -> Signal:
    calls = ctx.frames.calls
    fired = (calls.step >= 0) & (ctx.action < 0) & ctx.run_has_actions[calls.run]

    def why(i: int) -> str:
        return f"{_where(ctx, i)}: no action used this output"

    return Signal("unused", np.where(fired, calls.tokens, 0), why)


def _rank_in_group(group: I64) -> I64:
    """0 for the first member of each group (in index order), 1 for the second, ..."""
    n = len(group)
    order = np.lexsort((np.arange(n), group))
    g = group[order]
    start = np.ones(n, dtype=bool)
    start[1:] = g[1:] != g[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - first
    return rank


def oversampling(ctx: Context, th: Thresholds) -> Signal:
    calls = ctx.frames.calls
    sample = (calls.purpose == PURPOSE_CODES["sample"]) & (calls.step >= 0)
    idx = np.flatnonzero(sample)
    fired = np.zeros(len(calls), dtype=bool)
    counts = np.zeros(len(calls), dtype=np.int64)
    if len(idx):
        group = (calls.run[idx] << 24) | calls.step[idx]
        fired[idx] = _rank_in_group(group) >= th.max_samples
        _, inverse, sizes = np.unique(group, return_inverse=True, return_counts=True)
        counts[idx] = sizes[inverse]

    def why(i: int) -> str:
        return f"{_where(ctx, i)}: {counts[i]} samples (at most {th.max_samples} needed)"

    return Signal("oversampling", np.where(fired, calls.tokens, 0), why)


# ---------------------------------------------------------------------- partial rules


def padding(ctx: Context, th: Thresholds) -> Signal:
    calls, acts = ctx.frames.calls, ctx.frames.actions
    answer_or_text = (ctx.action < 0) | ctx.action_kind(("answer",))
    gate_claims = np.append(acts.claims_total, 0)[ctx.action]
    gated = np.append(ctx.gated, False)[ctx.action]
    claims = np.where(gated, gate_claims, calls.checkable)
    allowance = th.tokens_per_claim * claims
    writes = ctx.generated | (calls.purpose == PURPOSE_CODES["sample"])
    long = writes & answer_or_text & (calls.completion >= th.padding_min_tokens)
    thin = long & (calls.completion > 2 * allowance)
    share = calls.repeated / np.maximum(calls.sentences, 1)
    echo = long & (calls.repeated >= 2) & (share >= th.repeated_sentence_share)
    thin_waste = np.where(thin, calls.completion - allowance, 0)
    echo_waste = np.where(echo, (calls.completion * share).astype(np.int64), 0)

    def why(i: int) -> str:
        if thin_waste[i] >= echo_waste[i]:
            return (
                f"{_where(ctx, i)}: {calls.completion[i]} completion tokens for "
                f"{claims[i]} checkable claim(s)"
            )
        return f"{_where(ctx, i)}: {calls.repeated[i]} of {calls.sentences[i]} sentences repeated"

    return Signal("padding", np.maximum(thin_waste, echo_waste), why)


def group_median(values: npt.NDArray[np.int64] | F64, group: I64) -> tuple[F64, I64]:
    """Per element: the median of ``values`` over its group, and the group's size."""
    n = len(values)
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    order = np.lexsort((values, group))
    g, v = group[order], values[order].astype(np.float64)
    _, first, sizes = np.unique(g, return_index=True, return_counts=True)
    lo = first + (sizes - 1) // 2
    hi = first + sizes // 2
    medians = (v[lo] + v[hi]) / 2
    _, inverse = np.unique(group, return_inverse=True)
    return medians[inverse], sizes[inverse]


def context(ctx: Context, th: Thresholds) -> Signal:
    calls = ctx.frames.calls
    idx = np.flatnonzero(ctx.generated)
    median = np.zeros(len(calls))
    peers = np.zeros(len(calls), dtype=np.int64)
    median[idx], peers[idx] = group_median(calls.prompt[idx], ctx.task_group[calls.run[idx]])
    fired = (
        ctx.generated
        & (peers >= th.context_min_peers)
        & (calls.prompt >= th.context_min_tokens)
        & (calls.prompt >= th.context_ratio * median)
    )

    def why(i: int) -> str:
        return (
            f"{_where(ctx, i)}: {calls.prompt[i]} prompt tokens, "
            f"{calls.prompt[i] / max(median[i], 1):.0f}x the task's median {median[i]:.0f}"
        )

    return Signal("context", np.where(fired, calls.prompt - median.astype(np.int64), 0), why)


Rule = Callable[[Context, Thresholds], Signal]
#: Rules that judge a whole call wasted, in attribution order.
FULL_CALL: tuple[Rule, ...] = (blocked, loop, near_duplicate, unused, oversampling)
#: Rules that claim part of a call (completion, prompt), when no full-call rule fired.
PARTIAL: tuple[Rule, ...] = (padding, context)
CALL_RULES: tuple[Rule, ...] = FULL_CALL + PARTIAL
#: The categories, in the order above (the ledger keeps a column of sums for each).
CATEGORIES: tuple[str, ...] = WASTE


# ---------------------------------------------------------------------- run-level rule


def tokenmaxxing(
    run_id: list[str],
    task: list[str],
    task_group: I64,
    run_tokens: I64,
    run_units: F64,
    th: Thresholds,
) -> tuple[I64, Callable[[int], str]]:
    """Per run, the tokens above what comparable runs spent (0 where not flagged), and why."""
    has_task = np.array([bool(t) for t in task], dtype=bool)
    median_tokens, size = group_median(run_tokens, task_group)
    median_units, _ = group_median(run_units.astype(np.float64), task_group)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(
            median_units > 0,
            np.maximum(1.0, run_units / median_units),
            np.where(run_units > 0, np.inf, 1.0),
        )
    budget = median_tokens * scale
    fired = (
        has_task
        & (size >= th.tokenmaxxing_min_runs)
        & (median_tokens > 0)
        & (run_tokens >= th.tokenmaxxing_ratio * budget)
    )
    excess = np.where(fired, run_tokens - np.where(fired, budget, 0).astype(np.int64), 0)

    def why(r: int) -> str:
        return (
            f"run {run_id[r]}: {run_tokens[r]} tokens, "
            f"{run_tokens[r] / max(median_tokens[r], 1):.0f}x the median "
            f"{median_tokens[r]:.0f} of {size[r]} runs of task {task[r]!r}, for "
            f"{run_units[r]:g} verified units (median {median_units[r]:g})"
        )

    return excess, why
