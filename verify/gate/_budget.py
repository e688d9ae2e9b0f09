"""Rule 5: tokens the change cost, per changed line that passed the gate.

Tokens come from ``--usage FILE`` (a JSON object with ``prompt_tokens`` and
``completion_tokens``, at its top or under ``usage`` — the ``verify run --json`` output
works as it is) or from the ledger (``verify.ledger``: the sum over its model calls,
optionally of some runs). A verified line is a non-blank added line of a file that still
exists, with no blocking finding on it.

With a ledger, ``--max-tokens-per-unit`` also weighs the runs behind the change the way
``verify usage`` does (verify/usage/_units.py defines a unit): each run, and each agent and
user those runs belong to over the whole ledger, over the ceiling is a finding.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from checks.types import Usage
from reports import JSON, Finding

from ..errors import InputError
from ._change import Change

__all__ = ["budget", "ledger_budget", "ledger_usage", "read_usage", "verified_lines"]


def read_usage(path: Path) -> Usage:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read usage file {str(path)!r}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"usage file {str(path)!r} is not JSON: {exc}") from exc
    except RecursionError:
        raise InputError(f"usage file {str(path)!r} is not JSON: nested too deeply") from None
    except ValueError:  # a number past the digits Python converts
        raise InputError(
            f"usage file {str(path)!r} is not JSON: a number with too many digits"
        ) from None
    block = data.get("usage", data) if isinstance(data, dict) else None
    if not isinstance(block, dict):
        raise InputError(f"usage file {str(path)!r} holds no prompt_tokens/completion_tokens")
    values = [block.get("prompt_tokens", 0), block.get("completion_tokens", 0)]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values) or (
        "prompt_tokens" not in block and "completion_tokens" not in block
    ):
        raise InputError(
            f"usage file {str(path)!r}: prompt_tokens and completion_tokens must "
            "be counts (non-negative integers)"
        )
    return Usage(values[0], values[1])


def ledger_usage(db: Path, runs: Sequence[str] = ()) -> Usage:
    """Tokens the ledger at ``db`` records: every model call, or those of ``runs``."""
    from ..ledger import Ledger

    sql = (
        "SELECT COALESCE(SUM(c.prompt_tokens), 0), COALESCE(SUM(c.completion_tokens), 0) "
        "FROM calls c"
    )
    if runs:
        sql += f" JOIN runs r ON r.id = c.run WHERE r.run_id IN ({','.join('?' * len(runs))})"
    with Ledger.open(db, create=False) as ledger:
        ((prompt, completion),) = ledger.execute(sql, tuple(runs))
    return Usage(int(prompt), int(completion))


def ledger_budget(db: Path, runs: Sequence[str], ceiling: float) -> list[Finding]:
    """A ``budget/tokens-per-unit`` finding for each run (``runs``, or every run of the
    ledger), and each agent and user of those runs, over ``ceiling`` tokens per verified unit.
    """
    from ..ledger import Ledger
    from ..usage import build_report

    with Ledger.open(db, create=False) as ledger:
        frames = ledger.frames()
    known = frames.runs.run_id
    unknown = sorted(set(runs) - set(known))
    if unknown:
        raise InputError(
            f"run {unknown[0]!r} is not in ledger {str(db)!r}: "
            "give a run id `verify usage --by run` lists"
        )
    chosen = [i for i, r in enumerate(known) if not runs or r in runs]
    keys = {
        "run": {known[i] for i in chosen},
        "agent": {frames.runs.agent[i] or "(no agent)" for i in chosen},
        "user": {frames.runs.user[i] or "(no user)" for i in chosen},
    }
    findings = []
    for by, wanted in keys.items():
        report = build_report(frames, by, max_tokens_per_unit=ceiling)
        for row in report.over_budget():
            if row.key in wanted:
                per = f"{row.tokens_per_unit:,.1f}" if row.verified_units > 0 else "all of them"
                findings.append(
                    Finding(
                        "budget/tokens-per-unit",
                        "block",
                        "",
                        0,
                        f"{by} {row.key!r} spent {row.tokens:,} tokens for "
                        f"{row.verified_units:g} verified units: {per} tokens per unit, "
                        f"over the ceiling of {ceiling:g}",
                    )
                )
    return findings


def verified_lines(change: Change, findings: Sequence[Finding]) -> tuple[int, int]:
    """(changed lines, verified lines): non-blank added lines, and those not blocked."""
    blocked = {(f.path, f.line) for f in findings if f.severity == "block"}
    changed = verified = 0
    for f in change.live_files():
        for n, text in f.added.items():
            if text.strip():
                changed += 1
                verified += (f.path, n) not in blocked
    return changed, verified


def budget(
    tokens: Usage, verified: int, ceiling: float | None
) -> tuple[dict[str, JSON], list[Finding]]:
    """The figures for the report, and a finding if they are over ``ceiling``."""
    total = tokens.prompt_tokens + tokens.completion_tokens
    per_line = total / verified if verified else (math.inf if total else 0.0)
    figures: dict[str, JSON] = {
        "agent_tokens": total,
        "tokens_per_verified_line": round(per_line, 2) if math.isfinite(per_line) else None,
    }
    if ceiling is None:
        return figures, []
    figures["max_tokens_per_line"] = ceiling
    if per_line <= ceiling:
        return figures, []
    shown = f"{per_line:.1f}" if math.isfinite(per_line) else "all of them (no verified line)"
    return figures, [
        Finding(
            "budget/tokens-per-line",
            "block",
            "",
            0,
            f"{total} tokens for {verified} verified changed line{'s' if verified != 1 else ''}: "
            f"{shown} tokens per line, over the ceiling of {ceiling:g}",
        )
    ]
