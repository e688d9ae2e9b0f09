"""Cut documents into chunks that follow their structure, with a size cap and overlap.

A document is first cut into *blocks* (runs of lines) at structural boundaries: Markdown and
reStructuredText headings, paragraphs, code fences, top-level Python definitions, top-level
config keys (and, softly, a config's objects and nested mappings) and tables. Blocks are then
packed into chunks of at most ``max_chars``; a hard boundary (a heading, a definition, a
top-level key) always starts a new chunk. When a section needs several chunks, each repeats
the last ``overlap_lines`` lines of the one before (a config's, none: a line read out of its
object would be misread). Every line of a file lands in at least one chunk.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from ._config import SECTION
from ._loader import Document
from ._types import Chunk, chunk_id_for

__all__ = ["MAX_CHUNK_CHARS", "chunk_document"]

MAX_CHUNK_CHARS = 1200
OVERLAP_LINES = 1

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+:.])\1{2,}\s*$")
_YAML_TOP_KEY = re.compile(r"^([A-Za-z0-9_.\"'-]+)\s*:")
_TOML_KEY = re.compile(r"^([A-Za-z0-9_.\"'-]+)\s*=")
_JSON_TOP_KEY = re.compile(r"^\s{1,4}\"([^\"]+)\"\s*:")
#: A line that opens an element of a list or a mapping one level down ("    {", "  - name: x",
#: "  align:"): a config's pieces start there, so an object is read whole where it fits.
_NESTED_START = re.compile(r"^[ \t]{1,4}(?:[{\[]\s*$|-\s|[\w\"'.-]+\s*:\s*(?:[{\[]\s*)?(?:#.*)?$)")
_RECORD_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")


@dataclass
class _Block:
    start: int  # 0-based index of the first line
    end: int  # 0-based index one past the last line
    hard: bool  # a hard boundary comes before it
    heading: str


def chunk_document(
    doc: Document, *, max_chars: int = MAX_CHUNK_CHARS, overlap_lines: int = OVERLAP_LINES
) -> list[Chunk]:
    if doc.kind == "record":
        return _chunk_record(doc, max_chars)
    lines = doc.text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    blocks = _blocks(doc.kind, lines, doc.title)
    if doc.kind == "config":
        overlap_lines = 0  # its pieces start where its objects do: a repeated line is misread
    return _pack(doc, lines, blocks, max_chars, overlap_lines)


def _blocks(kind: str, lines: list[str], title: str) -> list[_Block]:
    starts: dict[int, tuple[bool, str]] = {}  # line index -> (hard, heading)
    if kind == "markdown":
        starts = _markdown_starts(lines, title)
    elif kind == "rst":
        starts = _rst_starts(lines, title)
    elif kind == "python":
        starts = _python_starts(lines, title)
    elif kind == "config":
        starts = _config_starts(lines, title)
    if not starts:
        starts = _paragraph_starts(lines, title)
    starts.setdefault(0, (True, title))
    ordered = sorted(starts)
    blocks = []
    for i, s in enumerate(ordered):
        e = ordered[i + 1] if i + 1 < len(ordered) else len(lines)
        hard, heading = starts[s]
        if s < e:
            blocks.append(_Block(s, e, hard, heading))
    return blocks


def _paragraph_starts(lines: list[str], title: str, base: int = 0) -> dict[int, tuple[bool, str]]:
    """Soft starts at each line that follows a blank line."""
    out: dict[int, tuple[bool, str]] = {}
    for i in range(1, len(lines)):
        if lines[i].strip() and not lines[i - 1].strip():
            out[base + i] = (False, title)
    return out


def _markdown_starts(lines: list[str], title: str) -> dict[int, tuple[bool, str]]:
    out: dict[int, tuple[bool, str]] = {}
    path: list[str] = []
    heading = title
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            if not in_fence and i > 0 and not lines[i - 1].strip():
                out.setdefault(i, (False, heading))
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = _MD_HEADING.match(line)
        if m:
            level = len(m.group(1))
            path = [*path[: level - 1], m.group(2)]
            heading = " > ".join([title, *[p for p in path if p and p != title]])
            out[i] = (True, heading)
        elif line.strip() and i > 0 and not lines[i - 1].strip():
            out.setdefault(i, (False, heading))
    return out


def _rst_starts(lines: list[str], title: str) -> dict[int, tuple[bool, str]]:
    out = _paragraph_starts(lines, title)
    for i in range(len(lines) - 1):
        text, under = lines[i].rstrip(), lines[i + 1].rstrip()
        if text.strip() and _RST_UNDERLINE.match(under) and len(under) >= len(text.strip()):
            out[i] = (True, f"{title} > {text.strip()}")
    return out


def _python_starts(lines: list[str], title: str) -> dict[int, tuple[bool, str]]:
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}  # not Python we can parse (too deeply nested included): cut by paragraphs
    out: dict[int, tuple[bool, str]] = {}
    for node in tree.body:
        first = node.lineno - 1
        decorators = getattr(node, "decorator_list", [])
        if decorators:
            first = min(d.lineno for d in decorators) - 1
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out[first] = (True, f"{title} > {node.name}")
        else:
            out.setdefault(first, (False, title))
    return out


def _config_starts(lines: list[str], title: str) -> dict[int, tuple[bool, str]]:
    out: dict[int, tuple[bool, str]] = {}
    table = ""
    heading = title
    for i, line in enumerate(lines):
        if m := SECTION.match(line):
            table = m.group(1)
            heading = f"{title} > {table}"
            out[i] = (True, heading)
        elif (m := _YAML_TOP_KEY.match(line)) and not line.startswith((" ", "\t", "-")):
            heading = f"{title} > {m.group(1)}"
            out[i] = (True, heading)
        elif m := _JSON_TOP_KEY.match(line):
            if line.startswith(('  "', '\t"', '    "')) and len(line) - len(line.lstrip()) <= 4:
                heading = f"{title} > {m.group(1)}"
                out[i] = (False, heading)
        elif _NESTED_START.match(line):  # an object of a list, a mapping under a top key
            out.setdefault(i, (False, heading))
        elif _TOML_KEY.match(line) and i > 0 and not lines[i - 1].strip():
            out.setdefault(i, (False, f"{title} > {table}" if table else title))
    return out


def _pack(
    doc: Document, lines: list[str], blocks: list[_Block], max_chars: int, overlap: int
) -> list[Chunk]:
    chunks: list[Chunk] = []
    start, end, size, heading = -1, -1, 0, doc.title  # the chunk being filled; -1: none

    for block in blocks:
        block_size = _size(lines, block.start, block.end)
        if start >= 0 and (block.hard or size + block_size > max_chars):
            chunks.append(_make(doc, lines, start, end, heading))
            carry = block.start
            if not block.hard:  # same section goes on: repeat the tail of the last chunk
                last = end  # one past its last non-blank line: blank lines are no overlap
                while last > start and not lines[last - 1].strip():
                    last -= 1
                carry = max(start + 1, last - overlap)
                while carry < block.start and not lines[carry].strip():
                    carry += 1
            start, size = -1, 0
            if carry < block.start and block_size + _size(lines, carry, block.start) <= max_chars:
                start, size = carry, _size(lines, carry, block.start)
        if block_size > max_chars:  # too big on its own: cut by lines
            if start >= 0:
                chunks.append(_make(doc, lines, start, block.start, heading))
                start, size = -1, 0
            chunks.extend(_split_block(doc, lines, block, max_chars))
            continue
        if start < 0:
            start, heading = block.start, block.heading
        end = block.end
        size += block_size
    if start >= 0:
        chunks.append(_make(doc, lines, start, end, heading))
    return [c for c in chunks if c.text.strip()]


def _size(lines: list[str], start: int, end: int) -> int:
    return sum(len(x) + 1 for x in lines[start:end])


def _split_block(doc: Document, lines: list[str], block: _Block, max_chars: int) -> list[Chunk]:
    out: list[Chunk] = []
    start, size = block.start, 0
    for i in range(block.start, block.end):
        n = len(lines[i]) + 1
        if n > max_chars:  # one huge line: windows over it, all on that line
            if i > start:
                out.append(_make(doc, lines, start, i, block.heading))
            for off in range(0, len(lines[i]), max_chars):
                piece = lines[i][off : off + max_chars]
                if piece.strip():
                    out.append(_chunk(doc, i + 1, i + 1, piece, block.heading))
            start, size = i + 1, 0
            continue
        if size + n > max_chars and i > start:
            out.append(_make(doc, lines, start, i, block.heading))
            start, size = i, 0
        size += n
    if block.end > start:
        out.append(_make(doc, lines, start, block.end, block.heading))
    return [c for c in out if c.text.strip()]


def _make(doc: Document, lines: list[str], start: int, end: int, heading: str) -> Chunk:
    return _chunk(doc, start + 1, end, "\n".join(lines[start:end]).rstrip(), heading)


def _chunk(doc: Document, first: int, last: int, text: str, heading: str) -> Chunk:
    return Chunk(
        chunk_id_for(doc.source, first, last, text), doc.source, first, last, text, heading
    )


def _chunk_record(doc: Document, max_chars: int) -> list[Chunk]:
    """A corpus.jsonl record is one line of its file: pack its sentences into chunks."""
    line = doc.line_offset + 1
    sentences = _RECORD_SENTENCE.split(doc.text)
    # a sentence longer than a chunk is cut into windows, as an overlong line of a file is
    pieces = [s[o : o + max_chars] for s in sentences for o in range(0, len(s), max_chars)]
    chunks: list[Chunk] = []
    buf = ""
    for sentence in pieces:
        if buf and len(buf) + len(sentence) + 1 > max_chars:
            chunks.append(_chunk(doc, line, line, buf, doc.title))
            buf = ""
        buf = f"{buf} {sentence}".strip()
    if buf:
        chunks.append(_chunk(doc, line, line, buf, doc.title))
    return chunks
