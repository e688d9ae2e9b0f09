"""GitHub-flavoured Markdown for a pull-request comment.

Every string from an agent or the corpus goes through ``escape_markdown`` (``_cell`` here),
which leaves nothing the Markdown or HTML parser would act on: ASCII punctuation is
backslash-escaped (no links, images, emphasis, code spans, HTML tags or autolinked e-mail
addresses), ``|`` becomes ``&#124;`` (the table splitter looks for a literal pipe before any
escape is read), line breaks become ``<br>``, ``@name`` is put in a code span (a comment would
notify the user), and hidden characters are shown as code like `` `\\u202e` ``.
"""

from __future__ import annotations

import re

from checks.types import Verdict
from reports._common import VERDICT_ORDER, escape_code, extras, is_hidden, steps, where
from reports._outcome import Outcome

#: GitHub refuses comments over 65,536 characters; rows past this budget are summarised.
MAX_CHARS = 60_000

_ICONS = {"supported": "✅", "contradicted": "❌", "unverifiable": "❓", "error": "⚠️"}
_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{}~")
_TOKEN = re.compile(
    r"(?<![\w@])@(?P<mention>[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?)"
    r"|(?P<newline>\r\n|\r|\n)"
    r"|(?P<char>.)",
    re.DOTALL,
)


def render(outcome: Outcome, *, title: str) -> str:
    counts = outcome.summary()
    head = "✅ pass" if outcome.decision == "pass" else "⛔ block"
    u = outcome.usage
    block = sum(f.severity == "block" for f in outcome.findings)
    out = [
        f"## {head} — {_cell(title)}",
        "",
        "| " + " | ".join(VERDICT_ORDER) + " | findings | tokens |",
        "|" + "---:|" * (len(VERDICT_ORDER) + 2),
        "| "
        + " | ".join(str(counts[x]) for x in VERDICT_ORDER)
        + f" | {len(outcome.findings)} ({block} block) "
        + f"| {u.prompt_tokens + u.completion_tokens}"
        + f" ({u.prompt_tokens} prompt + {u.completion_tokens} completion) |",
    ]
    budget = MAX_CHARS - sum(len(line) + 1 for line in out)
    if outcome.verdicts:
        rows = [_claim_row(v) for v in outcome.verdicts]
        budget = _table(
            out, "Claims", "| | verdict | claim | evidence | reason |", 5, rows, "claims", budget
        )
    if outcome.findings:
        rows = [
            f"| {'⛔' if f.severity == 'block' else '⚠️'} {f.severity} | {_cell(f.rule)} "
            f"| {_cell(f.path)}:{f.line} | {_cell(f.message)} |"
            for f in outcome.findings
        ]
        budget = _table(
            out, "Findings", "| severity | rule | location | message |", 4, rows, "findings", budget
        )
    run = steps(outcome)
    if run:
        rows = [
            f"| {n} | {_cell(s.kind)} | {_cell(s.target)} | {_cell(s.decision)} "
            f"| {'yes' if s.executed else 'no'} | "
            + ", ".join(f"{_ICONS.get(c.verdict, '')} {_cell(c.verdict)}" for c in s.claims)
            + " |"
            for n, s in enumerate(run, 1)
        ]
        header = "| step | action | target | decision | executed | claims |"
        budget = _table(out, "Steps", header, 6, rows, "steps", budget)
    kv = extras(outcome)
    if kv:
        rows = [f"| {_cell(k)} | {_cell(v)} |" for k, v in kv]
        _table(out, "Run", "| key | value |", 2, rows, "keys", budget)
    return "\n".join(out) + "\n"


def _claim_row(v: Verdict) -> str:
    evidence = "<br>".join(_cell(where(ev)) for ev in v.evidence) or "—"
    claim = _cell(v.claim.text)
    if v.claim.standalone and v.claim.standalone != v.claim.text:
        claim += f"<br>checked as: {_cell(v.claim.standalone)}"
    return (
        f"| {_ICONS.get(v.label, '')} | {v.label} ({v.score:.2f}) | {claim} "
        f"| {evidence} | {_cell(v.reason)} |"
    )


def _table(
    out: list[str], heading: str, header: str, ncols: int, rows: list[str], noun: str, budget: int
) -> int:
    """Append a section with as many ``rows`` as ``budget`` allows; return what is left."""
    lines = ["", f"### {heading}", "", header, "|" + "---|" * ncols]
    budget -= sum(len(line) + 1 for line in lines)
    shown = 0
    for row in rows:
        if len(row) + 1 > budget:
            break
        lines.append(row)
        budget -= len(row) + 1
        shown += 1
    if shown < len(rows):
        lines += ["", f"*{len(rows) - shown} more {noun} not shown; see the full report.*"]
    out += lines
    return budget


def escape_markdown(s: str) -> str:
    """Agent or corpus text made inert for one Markdown table cell (or a heading, a list
    item): ``reports.escape_markdown``."""
    return _TOKEN.sub(_escape_token, s)


_cell = escape_markdown


def _escape_token(m: re.Match[str]) -> str:
    if m["mention"]:
        return f"`@{m['mention']}`"
    if m["newline"]:
        return "<br>"
    ch = m["char"]
    if ch == "|":
        return "&#124;"
    if ch in _PUNCT:
        return "\\" + ch
    if ch == "\t":
        return " "
    if is_hidden(ch):
        return f"`{escape_code(ch)}`"
    return ch
