"""Plain text for a terminal: one block per claim, then findings, steps and a summary line."""

from __future__ import annotations

from collections.abc import Callable

from checks.types import Verdict
from reports._common import VERDICT_ORDER, extras, reveal, steps, where
from reports._outcome import Outcome

_COLORS = {"supported": "32", "contradicted": "31", "unverifiable": "33", "error": "35"}
_INDENT = "    "
_Paint = Callable[[str, str], str]  # (text, SGR code) -> text, coloured or not


def render(outcome: Outcome, *, color: bool, title: str) -> str:
    def paint(s: str, code: str) -> str:
        return f"\x1b[{code}m{s}\x1b[0m" if color and code else s

    lines = [paint(_clean(title), "1")]
    for v in outcome.verdicts:
        lines += _claim(v, paint)
    if outcome.findings:
        lines += ["", "findings:"]
        for f in outcome.findings:
            lines.append(
                f"  {paint(f.severity.upper(), '31' if f.severity == 'block' else '33')} "
                f"{_clean(f.rule)}  {_clean(f.path)}:{f.line}  {_clean(f.message, _INDENT)}"
            )
    run = steps(outcome)
    if run:
        lines += ["", "steps:"]
        for n, s in enumerate(run, 1):
            labels = [c.verdict for c in s.claims]
            counts = ", ".join(f"{labels.count(x)} {x}" for x in sorted(set(labels)))
            lines.append(
                f"  {n}. {_clean(s.kind)} {_clean(s.target)[:80]} -> {_clean(s.decision)}, "
                f"{'executed' if s.executed else 'not executed'}"
                + (f" ({counts})" if counts else "")
            )
    if outcome.extra.keys() - {"steps"}:
        lines += [""] + [f"{_clean(k)}: {_clean(v)}" for k, v in extras(outcome)]
    lines += ["", _summary(outcome, paint)]
    return "\n".join(lines) + "\n"


def _claim(v: Verdict, paint: _Paint) -> list[str]:
    c = _COLORS.get(v.label, "")
    out = [
        "",
        f"{paint('[' + v.label + ']', c)} {_clean(v.claim.id)}: {paint(_clean(v.claim.text), c)}"
        f"  (score {v.score:.2f})",
    ]
    if v.claim.standalone and v.claim.standalone != v.claim.text:
        out.append(f"{_INDENT}checked as: {_clean(v.claim.standalone, _INDENT)}")
    if v.reason:
        out.append(f"{_INDENT}reason: {_clean(v.reason, _INDENT)}")
    for ev in v.evidence:
        out.append(f"{_INDENT}evidence {_clean(where(ev))}:")
        out.append(_INDENT + "  > " + _clean(ev.quote, _INDENT + "  > "))
    return out


def _summary(outcome: Outcome, paint: _Paint) -> str:
    counts = outcome.summary()
    parts = [", ".join(f"{counts[label]} {label}" for label in VERDICT_ORDER)]
    if outcome.findings:
        block = sum(f.severity == "block" for f in outcome.findings)
        parts.append(f"findings: {block} block, {len(outcome.findings) - block} warn")
    ok = outcome.decision == "pass"
    parts.append("decision: " + paint(outcome.decision.upper(), "1;32" if ok else "1;31"))
    u = outcome.usage
    parts.append(
        f"tokens: {u.prompt_tokens} prompt + {u.completion_tokens} completion"
        f" = {u.prompt_tokens + u.completion_tokens}"
    )
    return " | ".join(parts)


def _clean(s: str, indent: str = "") -> str:
    """Hidden characters made visible (an ANSI escape in a claim must not reach the
    terminal); line breaks kept and indented under the field they belong to."""
    return reveal(s, keep="\n\t").replace("\n", "\n" + indent)
