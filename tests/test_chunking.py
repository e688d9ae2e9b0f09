"""Chunking invariants, checked on generated Markdown, Python, YAML and arbitrary text.

Lines are what ``text.split("\\n")`` gives (a final empty line after a trailing newline does
not count). For every document and size cap:

- every line with non-whitespace content lands in a chunk whose span holds its line number;
- spans lie within the file, and a chunk's text is exactly its lines joined and rstripped —
  except the windows cut from a line too long for any chunk, which lie on that line;
- chunks respect the size cap, headings / top-level definitions / top-level keys start a
  chunk and are never straddled, and chunk ids do not change from one run to the next.
"""

from __future__ import annotations

import ast
import itertools
import json
import keyword
import os
import re
import string
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval import MAX_CHUNK_CHARS, Chunk, Document, chunk_document, iter_documents
from retrieval._segments import segment_chunk

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CAPS = st.one_of(st.just(MAX_CHUNK_CHARS), st.integers(min_value=30, max_value=400))

# -- generators ---------------------------------------------------------------------------

WORD = st.text(
    alphabet=string.ascii_letters + string.digits + "_-'.,:;!?()", min_size=1, max_size=12
)
SENTENCE = st.lists(WORD, min_size=1, max_size=14).map(" ".join)
BLANK = st.sampled_from(["", "   ", "\t"])
LONG_LINE = st.lists(WORD, min_size=40, max_size=500).map(" ".join)
NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s) and not keyword.issoftkeyword(s)
)


def _join(parts: list[tuple[str, str]], trailing: bool) -> str:
    text = "".join(block + sep for block, sep in parts)
    return text if trailing else text.rstrip("\n")


SEPARATORS = st.sampled_from(["\n", "\n\n", "\n\n\n", "\n  \n"])

_md_block = st.one_of(
    st.tuples(st.integers(1, 6), SENTENCE).map(lambda t: "#" * t[0] + " " + t[1]),
    st.lists(SENTENCE, min_size=1, max_size=6).map("\n".join),
    st.lists(SENTENCE, min_size=1, max_size=5).map(lambda xs: "\n".join("- " + x for x in xs)),
    st.lists(st.one_of(SENTENCE, st.just("# not a heading inside a fence")), max_size=8).map(
        lambda xs: "\n".join(["```", *xs, "```"])
    ),
    st.lists(SENTENCE, min_size=1, max_size=3).map(lambda xs: "\n".join("    " + x for x in xs)),
    LONG_LINE,
    BLANK,
)
MARKDOWN = st.builds(_join, st.lists(st.tuples(_md_block, SEPARATORS), max_size=25), st.booleans())


@st.composite
def _py_item(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["import", "assign", "def", "class", "comment", "async"]))
    name = draw(NAME)
    if kind == "import":
        return "import os"
    if kind == "assign":
        return f"{name.upper()}_X = {draw(st.integers())}"
    if kind == "comment":
        return "# " + draw(SENTENCE)
    body = [f"    v{i} = {i} * 2" for i in range(draw(st.integers(1, 80)))]
    if draw(st.booleans()):
        body.insert(0, '    """' + draw(SENTENCE).replace("\\", "") + '"""')
    if kind == "class":
        n = draw(st.integers(1, 4))
        methods = [f"    def m{i}(self):\n        return {i}" for i in range(n)]
        return f"class C{name}:\n" + "\n\n".join(methods)
    decorators = [f"@decorator_{i}" for i in range(draw(st.integers(0, 2)))]
    head = "async def" if kind == "async" else "def"
    return "\n".join([*decorators, f"{head} {name}(a, b=1):", *body, "    return a"])


PYTHON = st.builds(_join, st.lists(st.tuples(_py_item(), SEPARATORS), max_size=15), st.booleans())


@st.composite
def _yaml_item(draw: st.DrawFn) -> str:
    key = draw(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True))
    shape = draw(st.sampled_from(["scalar", "map", "list", "comment"]))
    if shape == "scalar":
        return f"{key}: {draw(WORD)}"
    if shape == "comment":
        return "# " + draw(SENTENCE)
    n = draw(st.integers(1, 40))
    if shape == "list":
        return f"{key}:\n" + "\n".join(f"  - item{i}" for i in range(n))
    return f"{key}:\n" + "\n".join(f"  k{i}: value {i}" for i in range(n))


YAML = st.builds(_join, st.lists(st.tuples(_yaml_item(), SEPARATORS), max_size=20), st.booleans())
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=3000)  # what the loader decodes
KINDS = st.sampled_from(["markdown", "rst", "text", "config", "python", "code"])


def _doc(text: str, kind: str, source: str = "docs/sample.md") -> Document:
    return Document(source, kind, text, "0" * 64, title="Sample")


# -- the invariants -----------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _overlong(line: str, max_chars: int) -> bool:
    """A line that cannot fit any chunk (with its newline); it is cut into windows."""
    return len(line) + 1 > max_chars


def check_invariants(doc: Document, chunks: list[Chunk], max_chars: int) -> None:
    lines = _lines(doc.text)
    for c in chunks:
        assert c.source == doc.source
        assert 1 <= c.start_line <= c.end_line <= len(lines), (c, len(lines))
        assert c.text.strip(), c
        assert len(c.text) <= max_chars, (len(c.text), max_chars)
        whole = "\n".join(lines[c.start_line - 1 : c.end_line]).rstrip()
        if c.text != whole:  # only a window of one overlong line may differ
            line = lines[c.start_line - 1]
            assert c.start_line == c.end_line and _overlong(line, max_chars), c
            assert c.text in line
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if _overlong(line, max_chars):
            windows = [line[o : o + max_chars] for o in range(0, len(line), max_chars)]
            on_line = {c.text for c in chunks if c.start_line == c.end_line == n}
            for w in windows:
                assert not w.strip() or w in on_line, f"window of line {n} lost"
            continue
        holders = [c for c in chunks if c.start_line <= n <= c.end_line]
        assert holders, f"line {n} ({line!r}) is in no chunk"
        assert any(line.strip() in c.text for c in holders), f"line {n} text not in its chunk"


def check_starts_chunk(chunks: list[Chunk], line: int) -> None:
    """``line`` (1-based) begins a chunk, and no chunk runs into it from above."""
    assert any(c.start_line == line for c in chunks), f"no chunk starts at line {line}"
    straddling = [c for c in chunks if c.start_line < line <= c.end_line]
    assert not straddling, f"chunk runs across boundary at line {line}: {straddling[0]}"


def _chunk_twice(doc: Document, max_chars: int) -> list[Chunk]:
    chunks = chunk_document(doc, max_chars=max_chars)
    again = chunk_document(Document(**doc.__dict__), max_chars=max_chars)
    assert [c.chunk_id for c in chunks] == [c.chunk_id for c in again], "ids not stable"
    assert chunks == again
    return chunks


_MD_HEADING = re.compile(r"^#{1,6}\s+\S")


def _markdown_headings(lines: list[str]) -> list[int]:
    out, in_fence = [], False
    for n, line in enumerate(lines, 1):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and _MD_HEADING.match(line):
            out.append(n)
    return out


# -- properties ---------------------------------------------------------------------------


@SETTINGS
@given(text=MARKDOWN, max_chars=CAPS)
def test_markdown_invariants_and_headings_start_chunks(text: str, max_chars: int) -> None:
    doc = _doc(text, "markdown")
    chunks = _chunk_twice(doc, max_chars)
    check_invariants(doc, chunks, max_chars)
    for line in _markdown_headings(_lines(text)):
        check_starts_chunk(chunks, line)


@SETTINGS
@given(text=PYTHON, max_chars=CAPS)
def test_python_invariants_and_definitions_start_chunks(text: str, max_chars: int) -> None:
    doc = _doc(text, "python", "src/module.py")
    chunks = _chunk_twice(doc, max_chars)
    check_invariants(doc, chunks, max_chars)
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            check_starts_chunk(chunks, first)


@SETTINGS
@given(text=YAML, max_chars=CAPS)
def test_yaml_invariants_and_top_level_keys_start_chunks(text: str, max_chars: int) -> None:
    doc = _doc(text, "config", "config/service.yaml")
    chunks = _chunk_twice(doc, max_chars)
    check_invariants(doc, chunks, max_chars)
    for n, line in enumerate(_lines(text), 1):
        if re.match(r"[a-z][a-z0-9_]*:", line):
            check_starts_chunk(chunks, n)


@SETTINGS
@given(text=ANY_TEXT, kind=KINDS, max_chars=CAPS)
def test_arbitrary_text_invariants(text: str, kind: str, max_chars: int) -> None:
    doc = _doc(text, kind)
    check_invariants(doc, _chunk_twice(doc, max_chars), max_chars)


@SETTINGS
@given(text=st.one_of(MARKDOWN, ANY_TEXT), kind=KINDS)
def test_segments_lie_inside_their_chunk(text: str, kind: str) -> None:
    for chunk in chunk_document(_doc(text, kind)):
        for seg in segment_chunk(chunk, kind):
            assert seg.chunk_id == chunk.chunk_id and seg.source == chunk.source
            assert chunk.start_line <= seg.line <= chunk.end_line, (seg, chunk)
            assert seg.text.strip()


# -- corpus.jsonl records -----------------------------------------------------------------

RECORD_TEXT = st.one_of(
    st.lists(SENTENCE.map(lambda s: s[:1].upper() + s[1:] + "."), min_size=1, max_size=80).map(
        " ".join
    ),
    LONG_LINE,  # one sentence longer than any chunk
    ANY_TEXT.filter(str.strip),
)


@SETTINGS
@given(texts=st.lists(RECORD_TEXT, min_size=1, max_size=6), max_chars=CAPS)
def test_records_are_chunked_with_file_hash_id_sources(texts: list[str], max_chars: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        lines = [
            json.dumps({"id": f"r{i}", "title": f"T{i}", "text": t}) for i, t in enumerate(texts)
        ]
        (root / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        docs = list(iter_documents([root], root))
    assert all(isinstance(d, Document) for d in docs)
    assert [d.source for d in docs if isinstance(d, Document)] == [
        f"corpus.jsonl#r{i}" for i in range(len(texts))
    ]
    for i, doc in enumerate(d for d in docs if isinstance(d, Document)):
        chunks = _chunk_twice(doc, max_chars)
        assert chunks
        for c in chunks:
            assert c.source == f"corpus.jsonl#r{i}"
            assert c.start_line == c.end_line == i + 1  # the record's line in the file
            assert len(c.text) <= max_chars
        # nothing of the record is lost, whatever the whitespace between pieces
        squeeze = "".join(texts[i].split())
        assert "".join("".join(c.text for c in chunks).split()) == squeeze


# -- examples -----------------------------------------------------------------------------


def test_heading_path_is_the_chunk_context() -> None:
    text = "# Gateway\n\nIntro.\n\n## Ports\n\nPort 8443.\n\n### TLS\n\nTLS 1.3 only.\n"
    chunks = chunk_document(Document("gw.md", "markdown", text, "0", title="Gateway"))
    by_first_line = {c.start_line: c for c in chunks}
    assert by_first_line[5].heading == "Gateway > Ports"
    assert by_first_line[9].heading == "Gateway > Ports > TLS"
    assert "Port 8443." in by_first_line[5].text and "TLS" not in by_first_line[5].text


def test_long_sections_overlap_by_a_line() -> None:
    paragraphs = [f"Paragraph {i} says something about item {i}." for i in range(40)]
    text = "# Title\n\n" + "\n\n".join(paragraphs) + "\n"
    chunks = chunk_document(_doc(text, "markdown"), max_chars=200)
    assert len(chunks) > 3
    assert chunks[0].start_line == 1
    for before, after in itertools.pairwise(chunks):
        assert after.start_line <= before.end_line, "consecutive chunks of a section overlap"
        shared = text.split("\n")[after.start_line - 1 : before.end_line]
        assert any(line.strip() for line in shared), "the overlap is more than blank lines"


def test_pathological_python_falls_back_to_paragraphs() -> None:
    # 5000 terms overflow the parser's recursion; the file must still be chunked, not crash
    text = "def ok():\n    return 1\n\n\nx = " + "1+" * 5000 + "1\n\n\ny = 2\n"
    doc = _doc(text, "python", "gen.py")
    check_invariants(doc, chunk_document(doc), MAX_CHUNK_CHARS)
    deep = "-" * 20000 + "1\n"  # this one makes the parser run out of stack (MemoryError)
    doc = _doc(deep, "python", "deep.py")
    check_invariants(doc, chunk_document(doc), MAX_CHUNK_CHARS)


def test_chunk_ids_do_not_depend_on_the_process() -> None:
    text = "# Gateway\n\nThe gateway listens on port 8443.\n\n## Restart\n\nDrain first.\n"
    here = [c.chunk_id for c in chunk_document(_doc(text, "markdown"))]
    script = (
        "import json, sys\n"
        "from retrieval import Document, chunk_document\n"
        "doc = Document('docs/sample.md', 'markdown', sys.argv[1], '0' * 64, title='Sample')\n"
        "print(json.dumps([c.chunk_id for c in chunk_document(doc)]))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script, text],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert json.loads(out.stdout) == here


@pytest.mark.parametrize("kind", ["markdown", "text", "python", "config"])
def test_empty_and_blank_documents_give_no_chunks(kind: str) -> None:
    assert chunk_document(_doc("", kind)) == []
    assert chunk_document(_doc("\n  \n\t\n", kind)) == []
