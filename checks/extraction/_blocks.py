"""Markdown block structure: paragraphs, list items, headings, fenced code, table rows.

A deliberately small reading of CommonMark, tuned for agent answers: fenced code blocks
(unclosed ones run to the end), ATX and ``===`` setext headings, bullet and numbered list
items, block quotes, pipe tables and thematic breaks. Indented code blocks are read as
paragraphs (list continuations look the same and are far more common in answers).
Every block is a span of the source with markers and surrounding blanks trimmed away.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from checks.language import code_spans

__all__ = ["Block", "BlockKind", "blocks", "table_cells", "trim"]

BlockKind = Literal["para", "heading", "code", "row", "header_row"]

_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_ATX = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")
_ATX_CLOSE = re.compile(r"[ \t]+#+[ \t]*$")
_SETEXT_EQ = re.compile(r" {0,3}=+[ \t]*$")
_BREAK = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r"(?: {0,3}>[ \t]?)+")
_BULLET = re.compile(r"[ \t]*(?:[-*+•‣◦▪]|\d{1,9}[.)])(?:[ \t]+(?:\[[ xX]\][ \t]+)?|$)")
_NUMBERED = re.compile(r"[ \t]*(\d{1,9})[.)]")
_DELIMITER = re.compile(r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")


@dataclass(frozen=True, slots=True)
class Block:
    start: int
    end: int
    kind: BlockKind
    #: for a table row: the cells of its table's header row
    header: tuple[str, ...] = ()


def _invisible(c: str) -> bool:
    return c.isspace() or unicodedata.category(c) in ("Cc", "Cf")


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow ``[start, end)`` past whitespace, control and zero-width/bidi characters."""
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return start, end


def table_cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cell spans of a table row (outer pipes already trimmed); ``\\|`` and code keep pipes."""
    cells: list[tuple[int, int]] = []
    spans = code_spans(text, start, end)
    i = cell = start
    while i < end:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "`":
            i = spans.get(i, i + 1)
            continue
        if c == "|":
            cells.append(trim(text, cell, i))
            cell = i + 1
        i += 1
    cells.append(trim(text, cell, end))
    return cells


def _lines(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    i = 0
    while True:
        j = text.find("\n", i)
        if j < 0:
            out.append((i, len(text)))
            return out
        out.append((i, j))
        i = j + 1


def _is_blank(text: str, s: int, e: int) -> bool:
    a, b = trim(text, s, e)
    return a == b


class _Reader:
    """One pass over the lines; ``para`` is the open paragraph as [start, end, is_item]."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _lines(text)
        self.out: list[Block] = []
        self.para: list[int] | None = None

    def flush(self) -> None:
        if self.para is not None:
            self.emit(self.para[0], self.para[1], "para")
            self.para = None

    def emit(self, s: int, e: int, kind: BlockKind, header: tuple[str, ...] = ()) -> None:
        s, e = trim(self.text, s, e)
        if s < e:
            self.out.append(Block(s, e, kind, header))

    def body(self, n: int) -> int:
        """Offset of line ``n`` past block-quote markers."""
        s, e = self.lines[n]
        m = _QUOTE.match(self.text, s, e)
        return m.end() if m else s

    def run(self) -> list[Block]:
        n = 0
        while n < len(self.lines):
            n = self.step(n)
        self.flush()
        return self.out

    def step(self, n: int) -> int:
        text = self.text
        e = self.lines[n][1]
        b = self.body(n)
        if _is_blank(text, b, e):
            self.flush()
            return n + 1
        m = _FENCE.match(text, b, e)
        if m and not (m.group(1)[0] == "`" and "`" in text[m.end() : e]):
            return self.fence(n, m.group(1))
        if m := _ATX.match(text, b, e):
            self.flush()
            close = _ATX_CLOSE.search(text, m.end(), e)
            self.emit(m.end(), close.start() if close else e, "heading")
            return n + 1
        if self.para is not None and not self.para[2] and _SETEXT_EQ.match(text, b, e):
            self.emit(self.para[0], self.para[1], "heading")
            self.para = None
            return n + 1
        if _BREAK.match(text, b, e):
            self.flush()
            return n + 1
        if "|" in text[b:e]:
            table_end = self.table(n)
            if table_end > n:
                return table_end
        if m := _BULLET.match(text, b, e):
            numbered = _NUMBERED.match(text, b, e)
            interrupts = self.para is None or self.para[2] or not numbered
            if interrupts or (numbered is not None and numbered.group(1) == "1"):
                self.flush()
                self.para = [m.end(), e, 1]
                return n + 1
        if self.para is None:
            self.para = [b, e, 0]
        else:
            self.para[1] = e
        return n + 1

    def fence(self, n: int, marker: str) -> int:
        self.flush()
        start = self.body(n)
        close = re.compile(r"[ \t]*" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}[ \t]*$")
        last = len(self.lines) - 1
        for k in range(n + 1, len(self.lines)):
            if close.match(self.text, self.body(k), self.lines[k][1]):
                last = k
                break
        self.emit(start, self.lines[last][1], "code")
        return last + 1

    def table(self, n: int) -> int:
        """Read a pipe table starting at line ``n``; return the next line, or ``n`` if none."""
        text = self.text
        e = self.lines[n][1]
        b = self.body(n)
        has_delim = False
        if n + 1 < len(self.lines):
            b2, e2 = self.body(n + 1), self.lines[n + 1][1]
            has_delim = "|" in text[b2:e2] and bool(_DELIMITER.match(text, b2, e2))
        if not has_delim and not text[b:e].lstrip().startswith("|"):
            return n
        self.flush()
        header: tuple[str, ...] = ()
        k = n
        if has_delim:
            hs, he = self.row_span(k)
            header = tuple(text[a:z] for a, z in table_cells(text, hs, he))
            self.emit(hs, he, "header_row")
            k += 2
        while k < len(self.lines):
            b, e = self.body(k), self.lines[k][1]
            if _is_blank(text, b, e) or "|" not in text[b:e]:
                break
            if not (_DELIMITER.match(text, b, e) and "-" in text[b:e]):
                rs, re_ = self.row_span(k)
                self.emit(rs, re_, "row", header)
            k += 1
        return k

    def row_span(self, n: int) -> tuple[int, int]:
        s, e = trim(self.text, self.body(n), self.lines[n][1])
        if s < e and self.text[s] == "|":
            s += 1
        if e > s and self.text[e - 1] == "|" and (e - 2 < s or self.text[e - 2] != "\\"):
            e -= 1
        return trim(self.text, s, e)


def blocks(text: str) -> list[Block]:
    """The Markdown blocks of ``text`` in order, each trimmed of markers and blanks."""
    return _Reader(text).run()
