"""Rule 4: claims in the prose a change adds, checked against the corpus as ``verify check``.

Prose is the added lines of docs (Markdown, reST, text, changelogs; fenced code left out)
and the comments and docstrings the language plugins find. Each block is cut into claims;
only claims on added lines are checked, all in one batch. A contradicted claim blocks with
the evidence that contradicts it; an unverifiable one warns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from checks.extraction import extract_claims
from checks.types import Claim, Usage, Verdict
from reports import Finding

from ..checker import Checker, extraction_failed
from ._change import Change, is_doc_path
from ._diff import FileChange
from ._languages import ProseBlock, plugin_instance

__all__ = ["ProseResult", "check_prose", "prose_blocks"]

_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass
class ProseResult:
    verdicts: list[Verdict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    text: str = ""  # the checked blocks, one after another; claim spans point into it


def prose_blocks(change: Change) -> list[ProseBlock]:
    blocks: list[ProseBlock] = []
    for f in change.live_files():
        if not f.added:
            continue
        text = change.head.read(f.path)
        if text is None:
            continue
        if is_doc_path(f.path):
            blocks += _doc_blocks(f, text)
        else:
            blocks += plugin_instance(f.path).prose(f, text)
    return blocks


def _doc_blocks(f: FileChange, text: str) -> list[ProseBlock]:
    """Runs of added lines outside fenced code."""
    fenced: set[int] = set()
    inside = False
    for n, line in enumerate(text.split("\n"), 1):
        if _FENCE.match(line):
            inside = not inside
            fenced.add(n)
        elif inside:
            fenced.add(n)
    blocks: list[ProseBlock] = []
    run: list[tuple[int, str]] = []
    for n in sorted(f.added):
        if n in fenced:
            continue
        if run and run[-1][0] != n - 1:
            blocks.append(ProseBlock(f.path, run[0][0], "\n".join(t for _, t in run), "doc"))
            run = []
        run.append((n, f.added[n]))
    if run:
        blocks.append(ProseBlock(f.path, run[0][0], "\n".join(t for _, t in run), "doc"))
    return [b for b in blocks if b.text.strip()]


def check_prose(
    change: Change, blocks: list[ProseBlock], checker: Callable[[], Checker | None]
) -> ProseResult:
    """Check the claims of ``blocks``; ``checker`` is called only if there is a claim."""
    added = {f.path: set(f.added) for f in change.live_files()}
    claims: list[Claim] = []
    places: list[tuple[ProseBlock, int]] = []
    parts: list[str] = []
    size = 0
    for block in blocks:
        header = f"{block.path}:{block.line}\n"
        offset = size + len(header)
        lines = added.get(block.path, set())
        try:
            found = extract_claims(block.text).claims
        except Exception as exc:  # fail closed: prose that could not be read never passes
            raise extraction_failed(exc, f"{block.path}:{block.line}") from exc
        for c in found:
            first = block.line + block.text.count("\n", 0, c.start)
            last = block.line + block.text.count("\n", 0, max(c.end - 1, c.start))
            if not any(n in lines for n in range(first, last + 1)):
                continue
            claims.append(
                replace(c, id=f"p{len(claims) + 1}", start=c.start + offset, end=c.end + offset)
            )
            places.append((block, next(n for n in range(first, last + 1) if n in lines)))
        chunk = header + block.text + "\n\n"
        parts.append(chunk)
        size += len(chunk)
    result = ProseResult(text="".join(parts))
    if not claims:
        return result
    the_checker = checker()
    if the_checker is None:
        verdicts = [
            Verdict(
                c, "unverifiable", 0.0, (), "the repository has no docs or code to check it against"
            )
            for c in claims
        ]
    else:
        cascade = the_checker.check_claims(claims)
        verdicts, result.usage = list(cascade.verdicts), cascade.usage
    result.verdicts = verdicts
    for v, (block, line) in zip(verdicts, places, strict=True):
        what = f"{block.kind} claim “{_short(v.claim.text)}”"
        if v.label == "contradicted":
            result.findings.append(
                Finding(
                    "prose/contradicted",
                    "block",
                    block.path,
                    line,
                    f"{what} is contradicted by the corpus: {v.reason}",
                    v.evidence,
                )
            )
        elif v.label == "unverifiable":
            result.findings.append(
                Finding(
                    "prose/unverifiable",
                    "warn",
                    block.path,
                    line,
                    f"{what} is not supported by the corpus",
                    v.evidence,
                )
            )
    return result


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
