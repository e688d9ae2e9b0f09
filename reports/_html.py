"""One self-contained HTML page for a reviewer: no script, no network, styles inline.

All text passes through ``_esc`` (``html.escape`` with ``quote=True``, hidden characters
shown as marked escapes) and every attribute value is quoted, so agent text can neither
open a tag nor leave an attribute. A Content-Security-Policy that allows nothing but the
inline style is the second line of defence.
"""

from __future__ import annotations

import html

from checks.types import Outcome, Verdict
from reports._common import (
    VERDICT_ORDER,
    escape_code,
    extras,
    plain,
    segments,
    steps,
    unit_score,
    where,
)

_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
_CSS = """
:root{--ok:#1a7f37;--bad:#cf222e;--unk:#9a6700;--err:#8250df;--fg:#1f2328;--mute:#59636e;
--line:#d1d9e0;--bg:#fff;--card:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--ok:#3fb950;--bad:#f85149;--unk:#d29922;
--err:#a371f7;--fg:#e6edf3;--mute:#9198a1;--line:#3d444d;--bg:#0d1117;--card:#151b23}}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);
background:var(--bg);max-width:1100px;margin:0 auto;padding:1.5rem}
h1{margin:0;font-size:1.5rem}h2{border-bottom:1px solid var(--line);padding-bottom:.3rem}
code,pre,.loc{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
header.top{border-left:6px solid var(--ok);padding:.5rem 1rem;background:var(--card)}
header.top.block{border-color:var(--bad)}
.decision{font-size:1.2rem;font-weight:600;margin:.3rem 0}
.counts{list-style:none;padding:0;margin:0;display:flex;gap:1rem;flex-wrap:wrap}
.text{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--card);padding:1rem;
border:1px solid var(--line);border-radius:6px}
mark{background:none;color:inherit;border-bottom:3px solid;padding:0 1px}
mark a{color:inherit;text-decoration:none}
.v-supported{--v:var(--ok)}.v-contradicted{--v:var(--bad)}.v-unverifiable{--v:var(--unk)}
.v-error{--v:var(--err)}
mark.v-supported,mark.v-contradicted,mark.v-unverifiable,mark.v-error{border-color:var(--v);
background:color-mix(in srgb,var(--v) 14%,transparent)}
.card{border:1px solid var(--line);border-left:6px solid var(--v,var(--line));
border-radius:6px;padding:.6rem 1rem;margin:.8rem 0;background:var(--card)}
.card:target{outline:2px solid var(--v)}
.card p{margin:.3rem 0;overflow-wrap:anywhere;white-space:pre-wrap}
.badge{display:inline-block;padding:0 .5rem;border-radius:1rem;color:#fff;
background:var(--v,var(--mute));font-size:.85em;font-weight:600}
.bar{display:inline-block;width:8rem;height:.6rem;border:1px solid var(--line);
border-radius:.3rem;vertical-align:middle;overflow:hidden}
.bar span{display:block;height:100%;background:var(--v,var(--mute))}
.mute{color:var(--mute)}
blockquote{margin:.3rem 0 .3rem 1rem;padding-left:.6rem;border-left:3px solid var(--line);
white-space:pre-wrap;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid var(--line);padding:.25rem .6rem;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
.cc{font-family:ui-monospace,monospace;font-size:.8em;color:var(--bad);
border:1px dashed var(--bad);border-radius:3px;padding:0 2px}
details pre{white-space:pre-wrap;overflow-wrap:anywhere}
"""


def render(outcome: Outcome, *, title: str, version: str) -> str:
    counts = outcome.summary()
    ok = outcome.decision == "pass"
    u = outcome.usage
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{_esc(title)} — {_esc(outcome.decision)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f'<header class="top {_esc(outcome.decision)}"><h1>{_esc(title)}</h1>',
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
        parts += [_card(n, v, n in marked) for n, v in enumerate(outcome.verdicts)]
        parts.append("</section>")
    if outcome.findings:
        parts.append(
            "<section><h2>Findings</h2><table><tr><th>severity</th><th>rule</th>"
            "<th>location</th><th>message</th></tr>"
        )
        parts += [
            f'<tr class="v-{"contradicted" if f.severity == "block" else "unverifiable"}">'
            f'<td><span class="badge">{_esc(f.severity)}</span></td><td><code>{_esc(f.rule)}'
            f'</code></td><td class="loc">{_esc(f.path)}:{f.line}</td><td>{_esc(f.message)}'
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
        *(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in extras(outcome)),
        "</table></section>",
        f'<footer class="mute"><p>verify {_esc(version)}</p></footer>',
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
        out.append(_esc(text[pos:start]))
        tip = f"{v.label} ({v.score:.2f}): {v.reason}" if v.reason else v.label
        out.append(
            f'<mark id="span-{n}" class="v-{_esc(v.label)}" title="{_esc(tip, visible=False)}">'
            f'<a href="#claim-{n}">{_esc(text[start:end])}</a></mark>'
        )
        pos = end
    out.append(_esc(text[pos:]) + "</div>")
    return "".join(out)


def _card(n: int, v: Verdict, marked: bool) -> str:
    score = unit_score(v.score)
    parts = [
        f'<article class="card v-{_esc(v.label)}" id="claim-{n}">',
        f'<p><span class="badge">{_esc(v.label)}</span> <code>{_esc(v.claim.id)}</code> '
        f'<span class="bar" title="score {score:.2f}"><span style="width:{score * 100:.1f}%">'
        f'</span></span> <span class="mute">score {score:.2f}</span>'
        + (f' <a href="#span-{n}" class="mute">in text ↑</a>' if marked else "")
        + "</p>",
        f'<p class="claim"><strong>{_esc(v.claim.text)}</strong></p>',
    ]
    if v.claim.standalone and v.claim.standalone != v.claim.text:
        parts.append(f'<p class="mute">checked as: {_esc(v.claim.standalone)}</p>')
    if v.reason:
        parts.append(f"<p>{_esc(v.reason)}</p>")
    for ev in v.evidence:
        parts.append(
            f'<div><span class="loc">{_esc(where(ev))}</span>'
            f"<blockquote>{_esc(ev.quote)}</blockquote></div>"
        )
    parts.append("</article>")
    return "\n".join(parts)


def _steps(outcome: Outcome) -> list[str]:
    run = steps(outcome)
    if not run:
        return []
    parts = ["<section><h2>Steps</h2>"]
    for n, s in enumerate(run, 1):
        label = "supported" if s.decision == "pass" else "contradicted"
        parts += [
            f'<article class="card v-{label}"><p><strong>{n}. {_esc(s.kind)}</strong> '
            f'<span class="badge">{_esc(s.decision)}</span> '
            f'<span class="mute">{"executed" if s.executed else "not executed"}</span></p>',
            f"<p><code>{_esc(s.target)}</code></p>" if s.target else "",
            f'<p class="mute">{_esc(s.result)}</p>' if s.result else "",
            "<details><summary>action</summary><table>",
            *(
                f"<tr><th>{_esc(str(k))}</th><td><pre>{_esc(plain(val))}</pre></td></tr>"
                for k, val in s.action.items()
            ),
            "</table></details>",
        ]
        if s.claims:
            parts.append("<ul>")
            parts += [
                f'<li class="v-{_esc(c.verdict)}"><span class="badge">{_esc(c.verdict)}</span> '
                f'{_esc(c.text)} <span class="mute">({c.score:.2f}) {_esc(c.reason)}</span></li>'
                for c in s.claims
            ]
            parts.append("</ul>")
        parts.append("</article>")
    parts.append("</section>")
    return parts


def _esc(s: str, *, visible: bool = True) -> str:
    """``s`` safe as element text or a quoted attribute value.

    Hidden characters become a marked ``<span class="cc">`` (or, in an attribute, where
    markup cannot go, the bare escape ``\\u202e``).
    """
    out = []
    for t, hidden in segments(s, keep="\n\t"):
        if not hidden:
            out.append(html.escape(t, quote=True))
        elif visible:
            out.append(f'<span class="cc" title="hidden character">{escape_code(t)}</span>')
        else:
            out.append(escape_code(t))
    return "".join(out)
