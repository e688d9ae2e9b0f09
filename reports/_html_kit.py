"""What the HTML pages share: the escaping, the Content-Security-Policy, the styles, the
page's head and a claim's card.

All text passes through ``esc`` (``html.escape`` with ``quote=True``, hidden characters
shown as marked escapes) and every attribute value is quoted, so agent text can neither
open a tag nor leave an attribute. A Content-Security-Policy that allows nothing but the
inline style is the second line of defence.
"""

from __future__ import annotations

import html

from checks.types import Verdict
from reports._common import escape_code, segments, unit_score, where
from reports._outcome import Outcome

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
CSS = """
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


def head(outcome: Outcome, title: str, css: str = "") -> list[str]:
    """The page up to its ``<body>``: charset, CSP, no referrer, the title and styles."""
    return [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{esc(title)} — {esc(outcome.decision)}</title>",
        f"<style>{CSS}{css}</style></head><body>",
    ]


def card(n: int, v: Verdict, marked: bool) -> str:
    score = unit_score(v.score)
    parts = [
        f'<article class="card v-{esc(v.label)}" id="claim-{n}">',
        f'<p><span class="badge">{esc(v.label)}</span> <code>{esc(v.claim.id)}</code> '
        f'<span class="bar" title="score {score:.2f}"><span style="width:{score * 100:.1f}%">'
        f'</span></span> <span class="mute">score {score:.2f}</span>'
        + (f' <a href="#span-{n}" class="mute">in text ↑</a>' if marked else "")
        + "</p>",
        f'<p class="claim"><strong>{esc(v.claim.text)}</strong></p>',
    ]
    if v.claim.standalone and v.claim.standalone != v.claim.text:
        parts.append(f'<p class="mute">checked as: {esc(v.claim.standalone)}</p>')
    if v.reason:
        parts.append(f"<p>{esc(v.reason)}</p>")
    for ev in v.evidence:
        parts.append(
            f'<div><span class="loc">{esc(where(ev))}</span>'
            f"<blockquote>{esc(ev.quote)}</blockquote></div>"
        )
    parts.append("</article>")
    return "\n".join(parts)


def esc(s: str, *, visible: bool = True) -> str:
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
