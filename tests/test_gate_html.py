"""The reviewer's HTML page of ``verify gate``: the diff with each finding under its line.

Real git repositories are built on the fly with ``support.gate``'s helpers and gated
through the CLI with the fake embedder. The page is parsed row by row: a finding must sit
right after the line it is on, its evidence beside it; text from the diff, the description
and the corpus is hostile and must stay text; the page fetches nothing and runs nothing,
and headless Chromium (``conftest.py``'s fixture) shows it without a console message.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from support.browser import console_messages, decode_png, pixels_near, run_chromium
from support.gate import BASE_FILES, EMBED, agent_commit, commit, gate, git

import reports
import verify.gate._hunks as hunks_module
from checks.types import Claim, Evidence, Usage, Verdict
from reports import Finding, Outcome
from verify.gate import Change, MemorySnapshot, parse_patch
from verify.gate._hunks import review_hunks

BIDI = "\u202e"
HOSTILE_CODE = "</td></tr><script>alert(1)</script>"
HOSTILE_DESCRIPTION = "<script>alert(2)</script>"
HOSTILE_EVIDENCE = "</td></tr></table><script>alert(3)</script>"
HOSTILE_PATH = "docs/<img src=x onerror=alert(4)>.md"

HOSTILE_DOCS = BASE_FILES["docs/client.md"].replace(
    "defaults to 30 seconds.", f"defaults to 30 seconds. {HOSTILE_EVIDENCE}{BIDI}"
)
HOSTILE_FILES = {
    "minihttp/evil.py": f"""\
        \"\"\"Evil things.

        The request timeout defaults to 60 seconds.
        \"\"\"

        import nosuchmodule_xyz  # {HOSTILE_CODE}{BIDI}gnp.exe
        """,
    HOSTILE_PATH: "Hello.\n",
}


# --------------------------------------------------------------------------- reading the page


@dataclass
class Row:
    cls: str
    attrs: dict[str, str]
    section: str  # id of the innermost section
    cells: list[dict[str, str]] = field(default_factory=list)
    text: str = ""

    def number(self, column: int) -> int | None:
        n = self.cells[column].get("data-n")
        return None if n is None else int(n)


class Page(HTMLParser):
    """Every table row (its cells' attributes and text) and each section's heading."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[Row] = []
        self.sections: list[str] = []
        self.headings: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str]]] = []
        self._row: Row | None = None
        self._heading: str | None = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if tag == "section":
            self.sections.append(a.get("id", ""))
        elif tag == "tr":
            self._row = Row(a.get("class", ""), a, self.sections[-1] if self.sections else "")
            self.rows.append(self._row)
        elif tag == "td" and self._row is not None:
            self._row.cells.append(a)
        elif tag == "h3":
            self._heading = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.sections.pop()
        elif tag == "tr":
            self._row = None
        elif tag == "h3" and self._heading is not None:
            self.headings[self.sections[-1]] = self._heading
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self._row.text += data
        if self._heading is not None:
            self._heading += data

    def finding_rows(self) -> dict[int, tuple[Row, Row]]:
        """Finding index -> (its row, the diff line row right before its run of findings)."""
        out: dict[int, tuple[Row, Row]] = {}
        line: Row | None = None
        for row in self.rows:
            if row.cls in ("c", "a", "d"):
                line = row
            elif row.cls == "f":
                assert line is not None and line.section == row.section, row
                out[int(row.attrs["id"].removeprefix("f-"))] = (row, line)
            else:
                line = None  # a hunk header: a finding right after it is on no line
        return out


def assert_inert(page: str, parsed: Page) -> None:
    """Only our own markup: no script, no handler, no link out, nothing fetched."""
    allowed_attrs = {"lang", "charset", "http-equiv", "content", "name", "class", "id", "title",
                     "href", "style", "colspan", "data-n", "data-path", "data-line"}  # fmt: skip
    for tag, attrs in parsed.tags:
        assert tag not in ("script", "img", "iframe", "object", "embed", "link", "base"), tag
        for name, value in attrs.items():
            assert name in allowed_attrs, (tag, name)
            if name == "href":
                assert re.fullmatch(r"#(f|file|claim)-\d+", value), value
            if name == "style" and tag != "meta":
                assert re.fullmatch(r"width:\d+\.\d%", value), value
    low = page.lower()
    (style,) = re.findall(r"<style>(.*?)</style>", low, re.S)
    assert "<script" not in low and "url(" not in style and "@import" not in style
    assert not re.search(r"(src|href|action)\s*=\s*[\"']?\s*(https?:)?//", low)
    assert page.count("<tr") == page.count("</tr>") and page.count("<td") == page.count("</td>")


def render_gate(repo: Path, tmp_path: Path, *args: str) -> tuple[int, dict[str, object], str]:
    """Gate ``repo`` into JSON (stdout) and the HTML page at once."""
    out = tmp_path / "page.html"
    code, stdout, err = gate(repo, *EMBED, "-q", "--format", "html", "--out", str(out), *args)
    assert code in (0, 1), err
    return code, json.loads(stdout), out.read_text(encoding="utf-8")


@pytest.fixture
def hostile_repo(repo: Path) -> Path:
    commit(repo, {"docs/client.md": HOSTILE_DOCS}, "Docs")
    git(repo, "checkout", "-q", "-b", "evil")
    commit(repo, HOSTILE_FILES, "Evil")
    return repo


# --------------------------------------------------------------------------- the page


def test_each_finding_sits_under_its_line_with_its_evidence_beside_it(
    repo: Path, tmp_path: Path
) -> None:
    agent_commit(repo)
    code, payload, page = render_gate(repo, tmp_path, "--base", "main", "--format", "json")
    assert code == 1
    findings = payload["findings"]
    assert isinstance(findings, list) and len(findings) >= 5
    parsed = Page(page)
    assert_inert(page, parsed)
    placed = parsed.finding_rows()
    assert sorted(placed) == list(range(len(findings)))  # every finding is on a shown line
    for n, f in enumerate(findings):
        row, line = placed[n]
        assert (row.attrs["data-path"], int(row.attrs["data-line"])) == (f["path"], f["line"])
        assert line.number(1) == f["line"], (f, line)
        assert f["rule"] in row.text and f["message"] in row.text
        if f["path"]:
            assert parsed.headings[row.section] == f["path"]
            assert line.cls in ("a", "c")
        else:  # the description comes from the commit message
            assert row.section == "description" and f["rule"].startswith("description/")
        for ev in f["evidence"]:
            assert f"{ev['source']}:{ev['start_line']}" in row.text and ev["quote"] in row.text
        # finding left, evidence right: one two-column pair in the row
        (cell,) = row.cells
        assert cell["colspan"] == "3"
        html_row = re.search(rf'<tr class="f" id="f-{n}".*?</tr>', page, re.S)
        assert html_row is not None
        pair = 'class="pair v-' if f["evidence"] else 'class="pair one v-'
        assert pair in html_row.group(0)
        assert ('<div class="ev">' in html_row.group(0)) == bool(f["evidence"])

    # the prose claim's contradicting passage is beside the docstring line
    wrong = next(n for n, f in enumerate(findings) if f["rule"] == "prose/contradicted")
    assert "The request timeout defaults to 30 seconds." in placed[wrong][0].text
    assert "The request timeout defaults to 60 seconds." in placed[wrong][1].text

    # the diff itself: the added file's numbers, the old and new numbers of context lines
    lines = [r for r in parsed.rows if r.cls in ("c", "a", "d")]
    cache = [r for r in lines if parsed.headings.get(r.section) == "minihttp/cache.py"]
    assert [r.number(1) for r in cache] == list(range(1, 21))
    assert all(r.cls == "a" and r.number(0) is None for r in cache)
    toml = [(r.cls, r.number(0), r.number(1), r.text.strip()) for r in lines
            if parsed.headings.get(r.section) == "pyproject.toml"]  # fmt: skip
    assert ("a", None, 6, '"requests-cache-turbo>=2.0",') in toml
    assert ("c", 6, 7, "]") in toml

    # the summary: decision, per-rule counts linked to each finding, files with their counts
    assert "⛔ block" in page and "14 changed lines, 10 verified" in page
    for n, f in enumerate(findings):
        assert f'<code>{f["rule"]}</code></td><td>1</td><td><a class="loc" href="#f-{n}">' in page
    cache_toc = '<a href="#file-0"><code>minihttp/cache.py</code></a> <strong>3 block, 1 warn'
    assert cache_toc in page
    assert page.index('id="rules"') < page.index('id="description"') < page.index('id="diff"')
    assert "<title>verify gate — block</title>" in page


def test_hostile_diff_description_and_evidence_stay_text(
    hostile_repo: Path, tmp_path: Path
) -> None:
    description = tmp_path / "pr.md"
    description.write_text(f"Adds tests {HOSTILE_DESCRIPTION}{BIDI} for evil.py.\n")
    _, payload, page = render_gate(
        hostile_repo,
        tmp_path,
        "--base",
        "main",
        "--description",
        str(description),
        "--format",
        "json",
    )
    parsed = Page(page)
    assert_inert(page, parsed)
    assert BIDI not in page
    assert '<span class="cc" title="hidden character">\\u202e</span>' in page
    findings = payload["findings"]
    assert isinstance(findings, list)
    rules = {f["rule"]: n for n, f in enumerate(findings)}
    placed = parsed.finding_rows()

    # the diff line: the finding is under it, the line is text, the row structure holds
    row, line = placed[rules["code/unknown-import"]]
    assert line.number(1) == 6 and HOSTILE_CODE in line.text and "gnp.exe" in line.text
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert all(len(r.cells) == 3 for r in parsed.rows if r.cls in ("c", "a", "d"))

    # the description: its line and the finding that quotes it
    row, line = placed[rules["description/tests-claimed"]]
    assert row.section == "description" and line.number(1) == 1
    assert HOSTILE_DESCRIPTION in line.text and HOSTILE_DESCRIPTION in row.text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page

    # the evidence: the corpus passage with markup in it, beside the contradicted docstring
    row, line = placed[rules["prose/contradicted"]]
    assert HOSTILE_EVIDENCE in row.text and "docs/client.md:3" in row.text
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in page

    # the path: a heading, a table-of-contents entry and an attribute, all escaped
    assert HOSTILE_PATH in parsed.headings.values()
    assert page.count("&lt;img src=x onerror=alert(4)&gt;") >= 2


def test_findings_on_no_shown_line_are_listed_above_the_diff(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent_commit(repo)
    usage = tmp_path / "usage.json"
    usage.write_text(json.dumps({"prompt_tokens": 9000, "completion_tokens": 1000}))
    monkeypatch.setattr(hunks_module, "MAX_LINES", 8)  # cache.py's first 8 lines
    _, payload, page = render_gate(
        repo,
        tmp_path,
        "--base",
        "main",
        "--usage",
        str(usage),
        "--max-tokens-per-line",
        "10",
        "--format",
        "json",
    )
    findings = payload["findings"]
    assert isinstance(findings, list)
    parsed = Page(page)
    assert_inert(page, parsed)
    placed = parsed.finding_rows()
    elsewhere = [int(n) for n in re.findall(r'<div class="fw" id="f-(\d+)"', page)]
    assert sorted([*elsewhere, *placed]) == list(range(len(findings)))
    by_rule = {f["rule"]: n for n, f in enumerate(findings)}
    for rule in ("budget/tokens-per-line", "code/unknown-attribute", "deps/unknown-package"):
        assert by_rule[rule] in elsewhere, rule  # on no line, or on a line cut off
    for rule in ("code/unknown-import", "description/tests-claimed"):  # lines 7 and 1
        assert by_rule[rule] in placed, rule
    assert "10000 agent tokens (1000.0 per verified line)" in page
    assert "… 12 more lines of this hunk not shown" in page
    assert "… 5 more lines of this hunk not shown" in page
    assert "17 diff lines are not shown" in page
    start, end = page.index('id="elsewhere"'), page.index('id="diff"')
    assert start < page.index("the change</a>", start) < end  # the budget's place


def test_a_2000_line_change_makes_a_light_page(repo: Path, tmp_path: Path) -> None:
    body = "".join(f"VALUE_{n} = {n}\n" for n in range(2000))
    commit(repo, {"minihttp/big.py": body, "minihttp/util.py": "# gone\n"}, "Big")
    _, _, page = render_gate(repo, tmp_path, "--base", "HEAD~1", "--format", "json")
    parsed = Page(page)
    lines = [r for r in parsed.rows if r.cls in ("c", "a", "d")]
    assert sum(r.cls == "a" for r in lines) == 2001 and sum(r.cls == "d" for r in lines) == 5
    assert len(page) < 250_000, len(page)  # about 60 bytes of markup per line
    assert "not shown" not in page


def test_long_lines_are_cut_and_say_so(repo: Path, tmp_path: Path) -> None:
    line = "BLOB = '" + "x" * 5000 + "'"
    commit(repo, {"minihttp/data.py": line + "\n"}, "Blob")
    _, _, page = render_gate(repo, tmp_path, "--base", "HEAD~1", "--format", "json")
    assert html.escape(line[:1000]) in page and html.escape(line[:1001]) not in page
    assert f"… {len(line) - 1000} more characters" in page


def test_json_is_unchanged_and_a_check_outcome_keeps_its_page(repo: Path, tmp_path: Path) -> None:
    agent_commit(repo)
    _, payload, page = render_gate(repo, tmp_path, "--base", "main", "--format", "json")
    assert "hunks" not in payload and 'class="diff"' in page
    ev = Evidence("docs/a.md", 3, 3, "The timeout is 30 seconds.", "a#1")
    text = "The timeout is 60 seconds."
    outcome = Outcome(
        (Verdict(Claim("c1", text, 0, len(text)), "contradicted", 0.1, (ev,), "30, not 60"),),
        "block",
        (Finding("code/unknown-import", "block", "src/a.py", 3, "no such module"),),
        Usage(10, 2),
        text,
    )
    page = reports.render(outcome, "html", title="verify check")
    assert 'class="diff"' not in page and 'id="file-' not in page
    assert "<h2>Checked text</h2>" in page and '<mark id="span-0"' in page
    assert '<td class="loc">src/a.py:3</td><td>no such module</td>' in page
    assert "hunks" not in outcome.to_json()


# --------------------------------------------------------------------------- the hunks


PATCH = """\
diff --git a/a.py b/a.py
--- a/a.py
+++ b/a.py
@@ -1,3 +1,3 @@ def f():
 one
-two
+TWO
 three
@@ -10,2 +10,3 @@
 ten
+eleven
 twelve
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
--- a/gone.txt
+++ /dev/null
@@ -1,2 +0,0 @@
-x
-y
diff --git a/old.bin b/new.bin
similarity index 100%
rename from old.bin
rename to new.bin
diff --git a/pic.png b/pic.png
new file mode 100644
Binary files /dev/null and b/pic.png differ
"""


def _change(description: str = "") -> Change:
    empty = MemorySnapshot({})
    return Change(Path(), parse_patch(PATCH), empty, empty, description, "", "t")


def test_hunks_number_old_and_new_lines_and_note_what_has_no_lines() -> None:
    got = review_hunks(_change("Fix f.\n\nMore."))
    assert [(h.path, h.header, h.source) for h in got] == [
        ("", "description", "description"),
        ("a.py", "@@ -1,3 +1,3 @@ def f():", "diff"),
        ("a.py", "@@ -10,2 +10,3 @@", "diff"),
        ("gone.txt", "deleted file", "diff"),
        ("gone.txt", "@@ -1,2 +0,0 @@", "diff"),
        ("new.bin", "renamed from old.bin", "diff"),
        ("pic.png", "new file", "diff"),
        ("pic.png", "binary file, not shown", "diff"),
    ]
    assert [(ln.kind, ln.old, ln.new, ln.text) for ln in got[1].lines] == [
        ("context", 1, 1, "one"),
        ("remove", 2, None, "two"),
        ("add", None, 2, "TWO"),
        ("context", 3, 3, "three"),
    ]
    assert [(ln.old, ln.new) for ln in got[2].lines] == [(10, 10), (None, 11), (11, 12)]
    assert [(ln.new, ln.text) for ln in got[0].lines] == [(1, "Fix f."), (2, ""), (3, "More.")]
    assert all(h.omitted == 0 for h in got)


def test_a_cut_page_keeps_hunks_with_findings_then_live_files_then_deletions() -> None:
    on_eleven = Finding("code/x", "block", "a.py", 11, "m")
    got = {h.header: h for h in review_hunks(_change(), [on_eleven], max_lines=4)}
    first, second, gone = (
        got["@@ -1,3 +1,3 @@ def f():"],
        got["@@ -10,2 +10,3 @@"],
        got["@@ -1,2 +0,0 @@"],
    )
    assert (len(second.lines), second.omitted) == (3, 0)  # the finding's hunk first
    assert (len(first.lines), first.omitted) == (1, 3)
    assert (len(gone.lines), gone.omitted) == (0, 2)
    got = {h.header: h for h in review_hunks(_change(), (), max_lines=6)}
    assert (len(got["@@ -1,2 +0,0 @@"].lines), got["@@ -1,2 +0,0 @@"].omitted) == (0, 2)


# --------------------------------------------------------------------------- in a browser


def test_the_page_renders_in_chromium_without_a_console_message(
    chromium: str, hostile_repo: Path, tmp_path: Path
) -> None:
    _, _, page = render_gate(hostile_repo, tmp_path, "--base", "main", "--format", "json")
    path = tmp_path / "page.html"
    done = run_chromium(chromium, tmp_path / "profile", "--dump-dom", path.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_messages(done.stderr) == []
    assert "<script" not in done.stdout.lower()  # the DOM Chromium built has none either
    assert done.stdout.count('class="f"') == page.count('class="f"')
    shot = tmp_path / "shot.png"
    done = run_chromium(
        chromium, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,1400",
        path.as_uri(),
    )  # fmt: skip
    assert shot.exists(), done.stderr[-2000:]
    assert console_messages(done.stderr) == []
    image = decode_png(shot.read_bytes())
    assert pixels_near(image, "#cf222e") > 200  # the blocking findings' borders and badges
