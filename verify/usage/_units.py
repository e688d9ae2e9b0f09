"""Units of verified useful work: the one place that defines them.

A unit is something the harness checked and let through, that took effect. Per gated action:

=====================  ====================================================  ===============
what                   counts when                                           worth (default)
=====================  ====================================================  ===============
a supported claim      its ``answer`` action passed the gate and was         ``claim`` = 1.0
                       delivered (executed); each supported claim counts
an executed action     any other action (write_file, run_command, search,    ``action`` = 1.0
                       ...) that passed the gate and executed
a changed line         a ``gate`` result imported with decision pass: each   ``line`` = 0.1
                       changed line of the change it passed
=====================  ====================================================  ===============

Everything else counts zero: a blocked action or answer (its supported claims included),
one that passed but was never executed or delivered, and repeated work: an action whose kind
and summary (query, argv, path, answer text) already occurred in the same run counts once, so
a loop earns nothing and the same action recorded twice (by the runner and by an import of
the run's JSON) is not counted twice.

A run with no recorded actions (an import that carried only token counts) is worth the
``verified_units`` its ``finish_run`` reported (to a millionth), or zero.

Units are counted as their parts (``UnitParts``: supported claims, executed actions, changed
lines, reported millionths), integers that add up exactly over any grouping of runs; the
weights apply to the sums (``UnitParts.units``), so a report over the pre-aggregated sums of
the ledger and one over every row give the same numbers.

The weights are configurable: ``verify usage --weight claim=1 --weight line=0.25``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import numpy.typing as npt

from ..errors import InputError
from ..ledger import REPORTED_SCALE, ActionFrame, RunFrame

__all__ = [
    "UnitParts",
    "UnitWeights",
    "action_units",
    "first_occurrence",
    "repeated_later",
    "run_units",
    "unit_parts",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class UnitWeights:
    claim: float = 1.0
    action: float = 1.0
    line: float = 0.1

    @classmethod
    def parse(cls, specs: tuple[str, ...] | list[str]) -> UnitWeights:
        """From ``NAME=X`` strings (``claim``, ``action``, ``line``); bad ones are InputError."""
        weights = cls()
        names = [f.name for f in fields(cls)]
        for spec in specs:
            name, sep, value = spec.partition("=")
            name = name.strip()
            if not sep or name not in names:
                raise InputError(
                    f"--weight {spec!r}: expected NAME=X with NAME one of {', '.join(names)}"
                )
            try:
                number = float(value)
            except ValueError:
                raise InputError(f"--weight {spec!r}: {value!r} is not a number") from None
            if not number >= 0 or number == float("inf"):
                raise InputError(f"--weight {spec!r}: must be a finite number >= 0")
            weights = replace(weights, **{name: number})
        return weights


def _groups_sorted(
    actions: ActionFrame,
    among: npt.NDArray[np.bool_] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Actions (those in ``among``) sorted by (run, kind and summary, step, order), and where
    each group starts."""
    n = len(actions)
    order = np.lexsort((np.arange(n), actions.step, actions.summary_hash, actions.run))
    if among is not None:
        order = order[among[order]]
        n = len(order)
    run, key = actions.run[order], actions.summary_hash[order]
    start = np.ones(n, dtype=bool)
    start[1:] = (run[1:] != run[:-1]) | (key[1:] != key[:-1])
    return order, start


def first_occurrence(
    actions: ActionFrame, among: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[np.bool_]:
    """True for the first action (of those in ``among``) of each (run, kind, summary)."""
    first = np.zeros(len(actions), dtype=bool)
    order, start = _groups_sorted(actions, among)
    first[order[start]] = True
    return first


def repeated_later(actions: ActionFrame) -> npt.NDArray[np.bool_]:
    """True for an action whose kind and summary occurred at an earlier step of its run.

    Two records of one action at the same step (the runner's and an import's) are not a
    repeat; ``first_occurrence`` still counts them once.
    """
    later = np.zeros(len(actions), dtype=bool)
    order, start = _groups_sorted(actions)
    step = actions.step[order]
    group_first = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    later[order] = step > step[group_first]
    return later


def _counted(actions: ActionFrame) -> tuple[B, B, B]:
    """Per action: it counts (the table above), it is an answer, it is a gate result."""
    n = len(actions)
    kind = np.array(actions.kind, dtype=object) if n else np.zeros(0, dtype=object)
    passed = np.array([d == "pass" for d in actions.decision], dtype=bool)
    is_answer = kind == "answer"
    is_gate = kind == "gate"
    # a gate result takes effect by passing; anything else must also have been executed
    counts = first_occurrence(actions, passed & (actions.executed | is_gate))
    return counts, is_answer, is_gate


def action_units(actions: ActionFrame, weights: UnitWeights) -> F64:
    """The verified units each action is worth (the table in the module docstring)."""
    counts, is_answer, is_gate = _counted(actions)
    units = np.zeros(len(actions), dtype=np.float64)
    units += np.where(counts & is_answer, weights.claim * actions.claims_supported, 0.0)
    units += np.where(counts & ~is_answer & ~is_gate, weights.action, 0.0)
    units += np.where(counts & is_gate, weights.line * actions.lines, 0.0)
    return units


@dataclass(frozen=True)
class UnitParts:
    """Per run, or summed over any rows of runs: what the units are made of."""

    claims: I64  # supported claims of counted answers
    acts: I64  # counted actions other than answers and gate results
    lines: I64  # changed lines of counted gate results
    reported: I64  # millionths of the units reported for runs without actions

    def units(self, weights: UnitWeights) -> F64:
        """The verified units these parts are worth under ``weights``."""
        units = (
            weights.claim * self.claims
            + weights.action * self.acts
            + weights.line * self.lines
            + self.reported / REPORTED_SCALE
        )
        return np.asarray(units, dtype=np.float64)


def unit_parts(runs: RunFrame, actions: ActionFrame) -> UnitParts:
    """Per run: its counted claims, actions and lines, or its reported units if it has no
    actions."""
    counts, is_answer, is_gate = _counted(actions)
    n = len(runs)

    def per_run(values: npt.NDArray[np.int64] | B) -> I64:
        return np.bincount(actions.run, weights=values, minlength=n).astype(np.int64)

    has_actions = np.bincount(actions.run, minlength=n) > 0
    reported = np.round(np.nan_to_num(runs.verified_units, nan=0.0) * REPORTED_SCALE)
    return UnitParts(
        claims=per_run(np.where(counts & is_answer, actions.claims_supported, 0)),
        acts=per_run(counts & ~is_answer & ~is_gate),
        lines=per_run(np.where(counts & is_gate, actions.lines, 0)),
        reported=np.where(has_actions, 0, np.clip(reported, -(2**62), 2**62)).astype(np.int64),
    )


def run_units(runs: RunFrame, actions: ActionFrame, weights: UnitWeights) -> F64:
    """Verified units per run: its actions' units, or its reported units if it has none."""
    return unit_parts(runs, actions).units(weights)
