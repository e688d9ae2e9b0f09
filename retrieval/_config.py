"""Read a config file (YAML, TOML, INI, JSON, .env) as a reader does: by its key paths.

Each value of a mapping reads as a table row of two cells, the mapping's name and the value:
``[partitions.himem]`` with ``preemption = false`` becomes "partitions: himem; preemption:
false", and each object of a list ("flags": [{"key": "a.b", "owner_team": "Commerce"}, ...])
is named by its first value, as a table row is by its first cell ("key: a.b; owner_team:
Commerce"). A value that is prose (a description, a note) is a sentence under its row's name;
a comment after a value is read with it ("replicas: 6 (never fewer than 4 on a cut day)");
comment lines are prose. Lines are read by indentation (YAML, pretty-printed JSON) or by
section headers (TOML, INI); what fits none of these is kept as it stands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["SECTION", "ConfigLine", "read_config"]

#: A section header, TOML's "[a.b]" and "[[a]]", INI's "[a]": the chunker starts a chunk there.
SECTION = re.compile(r"^\s*\[+\s*([^\]\s][^\]]*?)\s*\]+\s*$")
_DOTTED = re.compile(r"\"[^\"]*\"|'[^']*'|[^.\s][^.]*")  # the parts of a.b."c.d"
_COMMENT = re.compile(r"^\s*(?:#|;|//)\s?")
_KEY = re.compile(
    r"""^(?P<indent>\s*)(?P<dash>-\s+)?"""
    r"""(?P<key>"[^"\n]+"|'[^'\n]+'|[A-Za-z_][\w.\-/]*)\s*(?P<sep>:(?=\s|$)|=)\s*(?P<rest>.*)$"""
)
_ITEM = re.compile(r"^(?P<indent>\s*)-\s+(?P<rest>.+)$")
_OPEN = re.compile(r"^(?P<indent>\s*)(?:-\s*)?[{\[]\s*$")
_CLOSE = re.compile(r"^(?P<indent>\s*)[}\]],?\s*$")
# a comment after a value: " # ..." or " ; ..." outside quotes (checked by ``_split_comment``)
_TRAILING = re.compile(r"\s+[#;]\s*")
_OPENERS = ("", "{", "[", "|", ">", "|-", ">-")  # a key whose value is on the lines below
_PROSE_WORDS = 5  # a value of this many words or more is prose, not a cell
_WORD = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class ConfigLine:
    """What one reading of a config file says, at the 0-based line where it starts.
    ``prose``: comment text to be cut into sentences like any prose."""

    line: int
    text: str
    prose: bool = False
    named: bool = False  # a value named by more than its top-level key (a heading's)


@dataclass
class _Frame:
    indent: int
    key: str | None  # None: an element of a list, or the document's outer braces
    element: bool = False  # an element of a list (its first value names it)


@dataclass
class _Row:
    """The values of one mapping read so far."""

    frame: _Frame | None  # the mapping
    name: str  # "partitions: himem"; "" for an element of a list, or the top of a file
    nested: bool  # named by two keys (not a top-level key alone)
    listed: bool  # an element of a list: its first value names it
    first: tuple[str, str] | None = None  # its first (key, value)

    @property
    def named(self) -> bool:
        return self.nested or self.listed

    @property
    def subject(self) -> str:
        """What the row is about: its name, or its first value in a list."""
        return self.name or (self.first[1] if self.first and self.listed else "")

    def cells(self, key: str, value: str) -> str:
        """A value as a table row of two cells, its row's name and itself: "partitions:
        himem; preemption: false" (one cell for the value that names the row)."""
        name = self.name or (": ".join(self.first) if self.first and self.listed else "")
        return f"{name}; {key}: {value}" if name else f"{key}: {value}"


def read_config(lines: list[str], parents: Sequence[str] = ()) -> list[ConfigLine] | None:
    """What the lines of a config file say, in line order; None when they do not read as a
    config (minified JSON, a script): the caller keeps them as runs of lines. ``parents``:
    the keys the lines stand under when they are a piece of a file (its section's key)."""
    out: list[ConfigLine] = []
    stack: list[_Frame] = [_Frame(-1, key) for key in parents]
    row: _Row | None = None  # the mapping whose values are being read
    unread = 0

    def frame_of(indent: int) -> None:
        while stack and stack[-1].indent >= indent:
            stack.pop()

    for i, raw in enumerate(lines):
        if not raw.strip():
            continue
        if _COMMENT.match(raw):
            out.append(ConfigLine(i, _COMMENT.sub("", raw, count=1).strip(), prose=True))
            continue
        if m := SECTION.match(raw):
            row = None
            stack = [_Frame(-1, part.strip("\"'")) for part in _DOTTED.findall(m.group(1))]
        elif m := _CLOSE.match(raw):
            row = None
            frame_of(len(m.group("indent")))
        elif m := _OPEN.match(raw):
            row = None
            indent = len(m.group("indent"))
            frame_of(indent)
            # braces inside something (not the file's own) open an element of a list
            stack.append(_Frame(indent, None, element=bool(stack) or indent > 0))
        elif m := _KEY.match(raw):
            indent = len(m.group("indent"))
            if m.group("dash"):  # "- name: x": a new element of a list, and its first key
                row = None
                frame_of(indent)
                stack.append(_Frame(indent, None, element=True))
                indent += len(m.group("dash"))
            frame_of(indent)
            top = stack[-1] if stack else None
            if row is not None and row.frame is not top:
                row = None
            key = m.group("key").strip("\"'")
            value, comment = _split_comment(m.group("rest"))
            value = value.rstrip(",").strip()
            if value in _OPENERS:
                row = None
                stack.append(_Frame(indent, key))
                if comment:
                    out.append(ConfigLine(i, f"{_name(stack)[0]}: {comment}"))
                continue
            if row is None:
                name, nested = _name(stack)
                row = _Row(top, name, nested, listed=top is not None and top.element)
            value = _plain(value)
            if sum(1 for w in value.split() if _WORD.search(w)) >= _PROSE_WORDS:  # a note
                out.append(ConfigLine(i, f"{row.subject or key}: {value}"))
            else:
                out.append(ConfigLine(i, row.cells(key, value), named=row.named))
                row.first = row.first or (key, value)
            if comment:  # what it says of the value, read with it, right after its row
                out.append(ConfigLine(i, f"{key}: {value} ({comment})"))
        elif m := _ITEM.match(raw):  # "- value" under a key: one value of a list
            row = None
            value, comment = _split_comment(m.group("rest"))
            owner = stack[-1].key if stack and stack[-1].key else "item"
            note = f" ({comment})" if comment else ""
            out.append(ConfigLine(i, f"{owner}: {_plain(value)}{note}"))
        else:
            unread += 1
            row = None
            out.append(ConfigLine(i, raw.strip()))
    if unread * 2 > sum(1 for x in lines if x.strip()):
        return None
    return sorted(out, key=lambda c: c.line)


def _name(stack: list[_Frame]) -> tuple[str, bool]:
    """The name of the innermost mapping, and whether two keys name it: "partitions: himem"
    (its parent's key and its own), "section: service" at the top, "" for an element of a
    list (its first value names it)."""
    keys = [f.key for f in stack]
    if not keys or keys[-1] is None:
        return "", False
    parent = next((k for k in reversed(keys[:-1]) if k is not None), None)
    return f"{parent or 'section'}: {keys[-1]}", parent is not None


def _split_comment(rest: str) -> tuple[str, str]:
    """``rest`` of a key line as (value, comment); a "#" or ";" inside quotes is the value's."""
    quote = ""
    for m in _TRAILING.finditer(rest):
        before = rest[: m.start()]
        quote = '"' if before.count('"') % 2 else "'" if before.count("'") % 2 else ""
        if not quote:
            return before.strip(), rest[m.end() :].strip()
    return rest.strip(), ""


def _plain(value: str) -> str:
    """A value as words: quotes and list brackets gone, items joined by ", "; a ";" (which
    ends a cell) becomes ","."""
    value = value.strip().rstrip(",").strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    elif value.startswith("[") and value.endswith("]"):
        items = [x.strip().strip("\"'") for x in value[1:-1].split(",")]
        value = ", ".join(x for x in items if x)
    return value.replace(";", ",")
