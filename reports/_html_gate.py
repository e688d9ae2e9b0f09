"""The reviewer's page of ``verify gate``: the diff hunks with each finding under its line.

Top to bottom: the decision with the change's figures; the changed files, each with its
finding counts; the findings counted per rule; the findings no shown line carries (the
budget, a line cut from the page); the description and then every file's hunks, old and
new line numbers beside each line, each finding in a row right under the line it is on,
the finding on the left and its evidence (the corpus passage that decided a prose claim)
on the right; the prose claims that are no finding; the figures. Every finding has an
anchor ``#f-N`` (N: its index in ``outcome.findings``), every file ``#file-N``.

One diff line is one table row of three cells; line numbers and the +/- sign are drawn by
the stylesheet (``data-n``), so a copied selection is the code alone and a 5,000-line page
stays light. Text goes through ``esc`` like every HTML page; lines over ``MAX_CHARS`` are cut.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from reports._common import extras, plain
from reports._html_kit import card, esc, head
from reports._outcome import JSON, DiffHunk, DiffLine, Finding, Outcome

#: characters of one diff line shown on the page (a minified file is one huge line)
MAX_CHARS = 1000

_CSS = """
nav.toc ol{margin:.3rem 0;padding-left:1.6rem}nav.toc li{overflow-wrap:anywhere}
.n0{color:var(--mute)}
table.diff{width:100%;table-layout:fixed;border:1px solid var(--line);margin:0 0 1.5rem;
font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
table.diff col.n{width:4.2em}
table.diff td{border:0;padding:0 .5rem}
:is(.c,.a,.d)>td:nth-child(-n+2){text-align:right;color:var(--mute);user-select:none}
:is(.c,.a,.d)>td:last-child{white-space:pre-wrap;overflow-wrap:anywhere;tab-size:4}
[data-n]::before{content:attr(data-n)}
.a{background:color-mix(in srgb,var(--ok) 13%,transparent)}
.d{background:color-mix(in srgb,var(--bad) 13%,transparent)}
.c>td:last-child::before{content:"  "}.a>td:last-child::before{content:"+ "}
.d>td:last-child::before{content:"- "}
tr.hh>td{background:var(--card);color:var(--mute);padding:.2rem .5rem;
border-block:1px solid var(--line);overflow-wrap:anywhere}
tr.f>td{padding:.3rem .5rem;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem;
border:1px solid var(--line);border-left:6px solid var(--v);border-radius:6px;
padding:.4rem .8rem;margin:.3rem 0;background:var(--card)}
.pair.one{grid-template-columns:minmax(0,1fr)}
:target>.pair,:target>td>.pair{outline:2px solid var(--v)}
.pair p{margin:.2rem 0;overflow-wrap:anywhere;white-space:pre-wrap}
.ev blockquote{max-height:14em;overflow:auto;margin:.2rem 0}
.cut{color:var(--mute);font-style:italic}
@media (max-width:700px){.pair{grid-template-columns:minmax(0,1fr)}}
"""
_ROW = {"context": "c", "add": "a", "remove": "d"}
_SEVERITY_CLASS = {"block": "v-contradicted", "warn": "v-unverifiable"}


def render(outcome: Outcome, *, title: str, version: str) -> str:
    findings = outcome.findings
    slots = _slots(outcome.hunks, findings)  # emptied by _table as it places them
    placed = {n for ns in slots.values() for n in ns}
    loose = [n for n in range(len(findings)) if n not in placed]
    description = [h for h in outcome.hunks if h.source == "description"]
    files = _files(outcome.hunks)
    parts = [*head(outcome, title, _CSS), *_header(outcome, title), *_toc(files, findings)]
    parts += _rules(findings)
    if loose:
        parts += [
            '<section id="elsewhere"><h2>Findings not on a shown line</h2>',
            *(_finding(n, findings[n]) for n in loose),
            "</section>",
        ]
    if description:
        parts.append('<section id="description"><h2>Description</h2>')
        if description[0].path:
            parts.append(f'<p class="mute"><code>{esc(description[0].path)}</code></p>')
        parts += _table(description, findings, slots)
        parts.append("</section>")
    parts.append('<section id="diff"><h2>Diff</h2>')
    for i, (path, hunks) in enumerate(files):
        parts.append(f'<section id="file-{i}"><h3><code>{esc(path)}</code></h3>')
        parts += _table(hunks, findings, slots)
        parts.append("</section>")
    parts.append("</section>")
    parts += _claims(outcome)
    parts += [
        '<section id="figures"><h2>Figures</h2><table>',
        *(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in extras(outcome)),
        f"<tr><th>prompt tokens</th><td>{outcome.usage.prompt_tokens}</td></tr>",
        f"<tr><th>completion tokens</th><td>{outcome.usage.completion_tokens}</td></tr>",
        "</table></section>",
        f'<footer class="mute"><p>verify {esc(version)}</p></footer>',
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _slots(
    hunks: tuple[DiffHunk, ...], findings: tuple[Finding, ...]
) -> dict[tuple[str, int], list[int]]:
    """(path, new line) of a shown line -> the indices of the findings on it.

    ``_table`` pops each entry as it draws the line, so a finding appears once, under the
    first line of its path with its number; a finding on no shown line is not in here.
    """
    wanted: dict[tuple[str, int], list[int]] = {}
    for n, f in enumerate(findings):
        wanted.setdefault((f.path, f.line), []).append(n)
    shown = {(h.path, ln.new) for h in hunks for ln in h.lines if ln.new is not None}
    return {key: ns for key, ns in wanted.items() if key in shown}


def _files(hunks: tuple[DiffHunk, ...]) -> list[tuple[str, list[DiffHunk]]]:
    """The diff's hunks grouped by file, in diff order."""
    out: dict[str, list[DiffHunk]] = {}
    for h in hunks:
        if h.source == "diff":
            out.setdefault(h.path, []).append(h)
    return list(out.items())


def _header(outcome: Outcome, title: str) -> list[str]:
    x = outcome.extra
    severities = Counter(f.severity for f in outcome.findings)
    omitted = sum(h.omitted for h in outcome.hunks if h.source == "diff")
    u = outcome.usage
    items = [
        f"<li>{severities['block']} blocking, {severities['warn']} warning findings</li>",
        f"<li>{_figure(x, 'changed_files')} files</li>",
        f"<li>{_figure(x, 'changed_lines')} changed lines, "
        f"{_figure(x, 'verified_lines')} verified</li>",
        f"<li>{_count(len(outcome.verdicts), 'prose claim')}</li>",
    ]
    if "agent_tokens" in x:
        items.append(
            f"<li>{_figure(x, 'agent_tokens')} agent tokens "
            f"({_figure(x, 'tokens_per_verified_line')} per verified line)</li>"
        )
    items.append(f"<li>{u.prompt_tokens + u.completion_tokens} tokens spent checking</li>")
    parts = [
        f'<header class="top {esc(outcome.decision)}"><h1>{esc(title)}</h1>',
        f'<p class="decision">{"✅ pass" if outcome.decision == "pass" else "⛔ block"}'
        + (f' <span class="mute">{esc(plain(x["change"]))}</span>' if "change" in x else "")
        + "</p>",
        f'<ul class="counts">{"".join(items)}</ul>',
    ]
    if omitted:
        parts.append(
            f'<p class="cut">{omitted} diff lines are not shown, to keep the page readable; '
            "findings on them are listed above the diff.</p>"
        )
    parts.append("</header>")
    return parts


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _figure(extra: Mapping[str, JSON], key: str) -> str:
    return esc(plain(extra[key])) if key in extra else "?"


def _toc(files: list[tuple[str, list[DiffHunk]]], findings: tuple[Finding, ...]) -> list[str]:
    by_path: dict[str, Counter[str]] = {}
    for f in findings:
        by_path.setdefault(f.path, Counter())[f.severity] += 1
    parts = ['<nav class="toc"><h2>Files</h2><ol>']
    for i, (path, _) in enumerate(files):
        counts = by_path.get(path, Counter())
        shown = ", ".join(f"{counts[s]} {s}" for s in ("block", "warn") if counts[s])
        parts.append(
            f'<li><a href="#file-{i}"><code>{esc(path)}</code></a> '
            + (f"<strong>{shown}</strong>" if shown else '<span class="n0">no findings</span>')
            + "</li>"
        )
    parts.append("</ol></nav>")
    return parts


def _rules(findings: tuple[Finding, ...]) -> list[str]:
    if not findings:
        return ['<section id="rules"><h2>Findings</h2><p>No findings.</p></section>']
    by_rule: dict[tuple[str, str], list[int]] = {}
    for n, f in enumerate(findings):
        by_rule.setdefault((f.severity, f.rule), []).append(n)
    parts = [
        '<section id="rules"><h2>Findings</h2><table>',
        "<tr><th>severity</th><th>rule</th><th>count</th><th>where</th></tr>",
    ]
    for (severity, rule), ns in sorted(by_rule.items(), key=_block_first):
        links = ", ".join(
            f'<a class="loc" href="#f-{n}">{esc(_where(findings[n]))}</a>' for n in ns[:8]
        ) + (f", … {len(ns) - 8} more" if len(ns) > 8 else "")
        parts.append(
            f'<tr class="{_SEVERITY_CLASS.get(severity, "")}"><td><span class="badge">'
            f"{esc(severity)}</span></td><td><code>{esc(rule)}</code></td><td>{len(ns)}</td>"
            f"<td>{links}</td></tr>"
        )
    parts.append("</table></section>")
    return parts


def _block_first(item: tuple[tuple[str, str], list[int]]) -> tuple[bool, str, str]:
    (severity, rule), _ = item
    return severity != "block", severity, rule


def _table(
    hunks: list[DiffHunk], findings: tuple[Finding, ...], slots: dict[tuple[str, int], list[int]]
) -> list[str]:
    """One file's (or the description's) hunks, each finding in a row under its line."""
    rows = ['<table class="diff"><colgroup><col class="n"><col class="n"><col></colgroup>']
    for h in hunks:
        if h.source == "diff":  # the description's section says what it is
            rows.append(f'<tr class="hh"><td colspan="3">{esc(h.header)}</td></tr>')
        for ln in h.lines:
            rows.append(_line(ln))
            for n in slots.pop((h.path, ln.new), []) if ln.new is not None else ():
                f = findings[n]
                rows.append(
                    f'<tr class="f" id="f-{n}" data-path="{esc(f.path, visible=False)}" '
                    f'data-line="{f.line}"><td colspan="3">{_pair(n, f)}</td></tr>'
                )
        if h.omitted:
            rows.append(
                f'<tr class="hh cut"><td colspan="3">… {h.omitted} more lines of this hunk '
                "not shown</td></tr>"
            )
    rows.append("</table>")
    return rows


def _line(ln: DiffLine) -> str:
    old = "" if ln.old is None else f' data-n="{ln.old}"'
    new = "" if ln.new is None else f' data-n="{ln.new}"'
    text = esc(ln.text[:MAX_CHARS])
    if len(ln.text) > MAX_CHARS:
        text += f'<span class="cut"> … {len(ln.text) - MAX_CHARS} more characters</span>'
    return f'<tr class="{_ROW[ln.kind]}"><td{old}></td><td{new}></td><td>{text}</td></tr>'


def _finding(n: int, f: Finding) -> str:
    """A finding outside the diff, with its anchor and place."""
    return (
        f'<div class="fw" id="f-{n}" data-path="{esc(f.path, visible=False)}" '
        f'data-line="{f.line}">{_pair(n, f)}</div>'
    )


def _pair(n: int, f: Finding) -> str:
    """The finding on the left, its evidence on the right."""
    left = (
        f'<div class="fm"><p><span class="badge">{esc(f.severity)}</span> '
        f'<code>{esc(f.rule)}</code> <a class="loc" href="#f-{n}">{esc(_where(f))}</a></p>'
        f"<p>{esc(f.message)}</p></div>"
    )
    if not f.evidence:
        return f'<div class="pair one {_SEVERITY_CLASS.get(f.severity, "")}">{left}</div>'
    right = "".join(
        f'<div><span class="loc">{esc(ev.source)}:{ev.start_line}</span>'
        f"<blockquote>{esc(ev.quote)}</blockquote></div>"
        for ev in f.evidence
    )
    return (
        f'<div class="pair {_SEVERITY_CLASS.get(f.severity, "")}">{left}'
        f'<div class="ev"><p class="mute">evidence</p>{right}</div></div>'
    )


def _where(f: Finding) -> str:
    """``path:line``; a finding with no path is on the description (line > 0) or the change."""
    path = f.path or ("description" if f.line > 0 else "the change")
    return f"{path}:{f.line}" if f.line > 0 else path


def _claims(outcome: Outcome) -> list[str]:
    """Prose claims that are no finding: supported ones, and those that could not be checked."""
    if not outcome.verdicts:
        return []
    counts = outcome.summary()
    parts = [
        '<section id="claims"><h2>Prose claims</h2>',
        f'<p class="mute">{_count(len(outcome.verdicts), "claim")} in the added prose: '
        f"{counts['supported']} supported, {counts['contradicted']} contradicted, "
        f"{counts['unverifiable']} unverifiable, {counts['error']} not checked. "
        "Contradicted and unverifiable claims are findings on their lines above.</p>",
    ]
    parts += [
        card(n, v, False)
        for n, v in enumerate(outcome.verdicts)
        if v.label not in ("contradicted", "unverifiable")
    ]
    parts.append("</section>")
    return parts
