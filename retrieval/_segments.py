"""Cut a chunk into segments, the units the dense index embeds and evidence is quoted from.

Prose gives one segment per sentence (list items, table rows and HTML lines are sentences of
their own); a config whose structure names what its values belong to gives one per value,
read by its key path (``_config``); code and flat config give short runs of lines. Headings
are not segments: they are the context given to the embedder with every segment of their
section.
"""

from __future__ import annotations

import re

from ._config import read_config
from ._types import Chunk, Segment

__all__ = ["embedding_text", "segment_chunk", "split_prose"]

_MAX_CODE_SEGMENT = 240
_PROSE_KINDS = {"markdown", "rst", "text", "record"}
_ABBREV = "".join(
    rf"(?<!\b{a}\.)" for a in (r"e\.g", r"i\.e", "etc", "vs", "No", "approx", "Dr", "Mr", "cf")
)
# the cheap look-behind first: most positions fail it, and the abbreviations go untested
_SENTENCE_END = re.compile(r"(?<=[.!?])" + _ABBREV + r"[\"')\]]*\s+(?=[A-Z0-9`\"'(\[*_])")
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MD_HEADING = re.compile(r"^#{1,6}\s")
#: A line that starts with a tag or a comment: Markdown reads it as an HTML block, never as a
#: continuation of the sentence above (so markup cannot lend its words to a fact beside it).
_HTML_LINE = re.compile(r"^</?[A-Za-z!?]")
_LINE_END = re.compile(r"[.!?]" + _ABBREV + r"[\"')\]]*\s*$")
_TWO_WORD_CHARS = re.compile(r"\w\W*\w")


def split_prose(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text``; full stops inside code spans do not end a sentence."""
    masked = _CODE_SPAN.sub(lambda m: "x" * len(m.group()), text)
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(masked):
        spans.append((start, m.start() + len(m.group().rstrip())))
        start = m.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def segment_chunk(chunk: Chunk, kind: str) -> list[Segment]:
    lines = chunk.text.split("\n")
    if kind in _PROSE_KINDS:
        return _prose_segments(chunk, lines)
    if kind == "config":
        return _config_segments(chunk, lines)
    return _line_segments(chunk, lines)


def embedding_text(segment_text: str, heading: str) -> str:
    """What the embedder sees: the segment with its title and heading path as context."""
    return f"{heading}: {segment_text}" if heading else segment_text


def _prose_segments(chunk: Chunk, lines: list[str]) -> list[Segment]:
    out: list[Segment] = []
    para: list[tuple[int, str]] = []  # (line number, text) of the paragraph being read
    in_fence = False
    header: list[str] = []  # cells of the current table's header row

    def flush() -> None:
        # a line that ends a sentence ends it whatever the next line starts with
        run: list[tuple[int, str]] = []
        for number, text in para:
            run.append((number, text))
            if _LINE_END.search(text):
                sentences(run)
                run = []
        sentences(run)
        para.clear()

    def sentences(run: list[tuple[int, str]]) -> None:
        if not run:
            return
        joined = " ".join(t.strip() for _, t in run)
        starts = _line_starts([t.strip() for _, t in run])
        for s, e in split_prose(joined):
            idx = max(i for i, off in enumerate(starts) if off <= s)
            _add(out, chunk, run[idx][0], joined[s:e])

    for offset, line in enumerate(lines):
        number = chunk.start_line + offset
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            _add(out, chunk, number, stripped)
            continue
        if stripped.startswith("|"):
            flush()
            cells = _cells(stripped)
            if _TABLE_RULE.match(stripped):
                if out and out[-1].line == number - 1:
                    header = _cells(lines[offset - 1].strip()) if offset else []
                    out.pop()  # the header row states no fact of its own
                continue
            _add(out, chunk, number, _row_text(header, cells) or stripped)
            continue
        header = []
        if not stripped or _MD_HEADING.match(stripped):
            flush()
            continue
        if _HTML_LINE.match(stripped):
            flush()
            para.append((number, line))
            flush()
            continue
        if _LIST_ITEM.match(line):
            flush()  # a list item starts a sentence of its own
        para.append((number, line))
    flush()
    return out


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _row_text(header: list[str], cells: list[str]) -> str:
    """A table row as a sentence: "Key: `a.b`; Default: 30 s" (empty when no header fits)."""
    if len(header) != len(cells) or not any(header):
        return ""
    return "; ".join(f"{h}: {c}" for h, c in zip(header, cells, strict=True) if c and h)


def _line_starts(parts: list[str]) -> list[int]:
    starts, pos = [], 0
    for part in parts:
        starts.append(pos)
        pos += len(part) + 1
    return starts


def _config_segments(chunk: Chunk, lines: list[str]) -> list[Segment]:
    """A config read by its key paths (``_config``), its comment lines as prose; runs of
    lines where no value has a name beyond its section's key (which the heading gives)."""
    parents = chunk.heading.split(" > ")[1:2] if lines and lines[0][:1].isspace() else []
    read = read_config(lines, parents)
    if read is None or not any(item.named for item in read):
        return _line_segments(chunk, lines)
    comments = [""] * len(lines)
    out: list[Segment] = []
    for item in read:
        if item.prose:
            comments[item.line] = item.text
        else:
            _add(out, chunk, chunk.start_line + item.line, item.text)
    out += _prose_segments(chunk, comments)
    return sorted(out, key=lambda s: s.line)


def _line_segments(chunk: Chunk, lines: list[str]) -> list[Segment]:
    out: list[Segment] = []
    buf: list[str] = []
    first = chunk.start_line
    for offset, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or sum(len(x) for x in buf) + len(stripped) > _MAX_CODE_SEGMENT:
            if buf:
                _add(out, chunk, first, " ".join(buf))
            buf = []
        if stripped:
            if not buf:
                first = chunk.start_line + offset
            buf.append(stripped)
    if buf:
        _add(out, chunk, first, " ".join(buf))
    return out


def _add(out: list[Segment], chunk: Chunk, line: int, text: str) -> None:
    text = text.strip()
    if _TWO_WORD_CHARS.search(text):
        out.append(Segment(chunk.chunk_id, chunk.source, line, text))
