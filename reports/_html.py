"""One self-contained HTML page for a reviewer: no script, no network, styles inline.

A gate's outcome, which carries its diff (``outcome.hunks``), gets the reviewer's page of
``_html_gate``: the hunks with the findings inline. Any other outcome (``check``, ``run``)
gets this module's page: the checked text with its claims highlighted, a card per claim,
the findings, the agent's steps and the tokens. Escaping, styles and the page head are
``_html_kit``'s.
"""

from __future__ import annotations

from reports import _html_gate
from reports._common import VERDICT_ORDER, extras, plain, steps
from reports._html_kit import card, esc, head
from reports._outcome import Outcome


def render(outcome: Outcome, *, title: str, version: str) -> str:
    if outcome.hunks:
        return _html_gate.render(outcome, title=title, version=version)
    counts = outcome.summary()
    ok = outcome.decision == "pass"
    u = outcome.usage
    parts = [
        *head(outcome, title),
        f'<header class="top {esc(outcome.decision)}"><h1>{esc(title)}</h1>',
        f'<p class="decision">{"✅ pass" if ok else "⛔ block"}</p><ul class="counts">',
        *(
            f'<li class="v-{x}"><span class="badge">{counts[x]}</span> {x}</li>'
            for x in VERDICT_ORDER
        ),
        f"<li>{len(outcome.findings)} findings</li>",
        f"<li>{u.prompt_tokens + u.completion_tokens} tokens</li></ul></header>",
    ]
    marked = _marked_spans(outcome)
    if outcome.text:
        parts += ["<section><h2>Checked text</h2>", _marked_text(outcome, marked), "</section>"]
    if outcome.verdicts:
        parts.append("<section><h2>Claims</h2>")
        parts += [card(n, v, n in marked) for n, v in enumerate(outcome.verdicts)]
        parts.append("</section>")
    if outcome.findings:
        parts.append(
            "<section><h2>Findings</h2><table><tr><th>severity</th><th>rule</th>"
            "<th>location</th><th>message</th></tr>"
        )
        parts += [
            f'<tr class="v-{"contradicted" if f.severity == "block" else "unverifiable"}">'
            f'<td><span class="badge">{esc(f.severity)}</span></td><td><code>{esc(f.rule)}'
            f'</code></td><td class="loc">{esc(f.path)}:{f.line}</td><td>{esc(f.message)}'
            "</td></tr>"
            for f in outcome.findings
        ]
        parts.append("</table></section>")
    parts += _steps(outcome)
    parts += [
        "<section><h2>Usage</h2><table>",
        f"<tr><th>prompt tokens</th><td>{u.prompt_tokens}</td></tr>",
        f"<tr><th>completion tokens</th><td>{u.completion_tokens}</td></tr>",
        f"<tr><th>total tokens</th><td>{u.prompt_tokens + u.completion_tokens}</td></tr>",
        *(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in extras(outcome)),
        "</table></section>",
        f'<footer class="mute"><p>verify {esc(version)}</p></footer>',
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _marked_spans(outcome: Outcome) -> dict[int, tuple[int, int]]:
    """Claim index -> its span in ``outcome.text``, for the spans that can be highlighted.

    Spans out of range, empty or overlapping an earlier one are left unmarked (the card
    is still there); a wrong highlight would mislead more than a missing one.
    """
    spans = sorted(
        (v.claim.start, v.claim.end, n)
        for n, v in enumerate(outcome.verdicts)
        if 0 <= v.claim.start < v.claim.end <= len(outcome.text)
    )
    out: dict[int, tuple[int, int]] = {}
    pos = 0
    for start, end, n in spans:
        if start >= pos:
            out[n] = (start, end)
            pos = end
    return out


def _marked_text(outcome: Outcome, marked: dict[int, tuple[int, int]]) -> str:
    """``outcome.text`` with each marked claim span highlighted and linked to its card."""
    text = outcome.text
    out = ['<div class="text">']
    pos = 0
    for n, (start, end) in sorted(marked.items(), key=lambda item: item[1]):
        v = outcome.verdicts[n]
        out.append(esc(text[pos:start]))
        tip = f"{v.label} ({v.score:.2f}): {v.reason}" if v.reason else v.label
        out.append(
            f'<mark id="span-{n}" class="v-{esc(v.label)}" title="{esc(tip, visible=False)}">'
            f'<a href="#claim-{n}">{esc(text[start:end])}</a></mark>'
        )
        pos = end
    out.append(esc(text[pos:]) + "</div>")
    return "".join(out)


def _steps(outcome: Outcome) -> list[str]:
    run = steps(outcome)
    if not run:
        return []
    parts = ["<section><h2>Steps</h2>"]
    for n, s in enumerate(run, 1):
        label = "supported" if s.decision == "pass" else "contradicted"
        parts += [
            f'<article class="card v-{label}"><p><strong>{n}. {esc(s.kind)}</strong> '
            f'<span class="badge">{esc(s.decision)}</span> '
            f'<span class="mute">{"executed" if s.executed else "not executed"}</span></p>',
            f"<p><code>{esc(s.target)}</code></p>" if s.target else "",
            f'<p class="mute">{esc(s.result)}</p>' if s.result else "",
            "<details><summary>action</summary><table>",
            *(
                f"<tr><th>{esc(str(k))}</th><td><pre>{esc(plain(val))}</pre></td></tr>"
                for k, val in s.action.items()
            ),
            "</table></details>",
        ]
        if s.claims:
            parts.append("<ul>")
            parts += [
                f'<li class="v-{esc(c.verdict)}"><span class="badge">{esc(c.verdict)}</span> '
                f'{esc(c.text)} <span class="mute">({c.score:.2f}) {esc(c.reason)}</span></li>'
                for c in s.claims
            ]
            parts.append("</ul>")
        parts.append("</article>")
    parts.append("</section>")
    return parts
