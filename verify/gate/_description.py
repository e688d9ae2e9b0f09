"""Rule 3: what the description (PR body or commit messages) says, against the diff itself.

Four kinds of statement are read, each by a documented pattern:

- *tests claimed* — "adds tests", "with unit tests", "includes a regression test", a
  ``test:`` subject — needs a test file among the files the diff adds lines to;
- *no behaviour change* — "no behaviour change", "refactor", "docs only", "typo", "cosmetic"
  — conflicts with code whose logic changed outside tests (for "docs only": any code
  change; otherwise: a new value, operator or changed signature, or any config change);
- *names* — a backticked name, a path, a ``name()`` or a snake_case identifier — must be
  touched: on a changed line, in a changed path, or the function or class a change is in;
- *numbers* — a port or status code, or a duration, size, version or number after a
  setting word ("default", "timeout", "limit", "to", "bump") — must appear on a changed
  line ("fixes a 30s hang" describes, "a new default of 30s" sets).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from checks.alignment import extract_values
from reports import Finding

from ._change import Change, is_doc_path, is_test_path
from ._languages import LogicChange, plugin_instance

__all__ = ["Statement", "description_findings", "read_description"]

_TESTS = re.compile(
    r"\b(?:add(?:s|ed|ing)?|with|includ(?:e|es|ed|ing)|new|writ(?:e|es|ten|ing)|wrote|"
    r"extend(?:s|ed)?|cover(?:s|ed|ing)?(?:\s+by)?)\b(?:\s+[\w-]+){0,3}?\s+"
    r"(?:unit\s+|regression\s+|integration\s+|e2e\s+|end-to-end\s+)?tests?\b"
    r"|\btests?\s+(?:added|included|written)\b|\btest coverage\b|^test(?:\([^)]*\))?:",
    re.I,
)
_NO_TESTS = re.compile(
    r"\b(?:no|without|not|never|skip(?:s|ped)?|n't|lacks?)\b[^.;]*\btests?\b"
    r"|\btests?\b[^.;]*\b(?:not|later|follow(?:-| )up|todo)\b",
    re.I,
)
_NO_BEHAVIOUR = re.compile(
    r"\bno (?:functional|behaviou?r(?:al)?|logic(?:al)?|semantic|user[- ]visible|runtime) "
    r"changes?\b|\bbehaviou?r(?:al)? (?:is )?unchanged\b|\bdoes(?: not|n't) change "
    r"(?:any )?behaviou?r\b|\brefactor(?:s|ed|ing)?\b|\bnon-functional\b|\bcosmetic\b"
    r"|\b(?:formatting|whitespace|rename)[- ]only\b",
    re.I,
)
_DOCS_ONLY = re.compile(
    r"\b(?:docs?|documentation|comments?|typos?|readme|docstrings?|changelog)[- ]only\b"
    r"|\bonly (?:changes|touches|updates|edits) (?:the )?(?:docs|documentation|comments|"
    r"readme|docstrings)\b|^docs(?:\([^)]*\))?:|\bfix(?:es|ed)? (?:a |some )?typos?\b",
    re.I,
)
_BACKTICK = re.compile(r"`([^`\s]{3,80})`")
_PATH = re.compile(
    r"(?<![\w/.-])((?:[\w-]+/)+[\w.-]+|[\w-]+\.(?:py|md|toml|ya?ml|json|cfg|"
    r"ini|txt|rst|js|ts|sh|lock))(?![\w/-])"
)
_CALL = re.compile(r"\b([A-Za-z_][\w.]*[A-Za-z0-9_])\(\)")
_SNAKE = re.compile(r"(?<![\w.-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w-])")
_SETTING = re.compile(
    r"\b(?:defaults?|timeouts?|limits?|max(?:imum)?|min(?:imum)?|caps?|"
    r"thresholds?|retr(?:y|ies)|intervals?|ttl|port|size|to|now|from|sets?|"
    r"versions?|bump(?:s|ed)?|upgrade[sd]?|pin(?:s|ned)?|requires?|every)\b"
    r"|[=:]",
    re.I,
)
_MEASURE = re.compile(r"\b(?:by|in|within|after|took|takes|over|per|than|#)\s*$", re.I)
_ALWAYS = {"port", "status_code"}
_IF_SETTING = {"number", "count", "percent", "duration", "size", "version"}
_NUMBER = re.compile(r"(?<![\w.])\d[\d_]*(?:\.\d+)?(?![\w])")
_URL = re.compile(r"\b(?:https?|ftp|file)://\S+|<[^>\s]+@[^>\s]+>")
#: lines that state nothing about the change: trailers, merge commits, quotes, headings
_NOT_STATEMENTS = (
    "#",
    ">",
    "Signed-off-by:",
    "Co-authored-by:",
    "Reviewed-by:",
    "Merge branch",
    "Merge pull request",
    "Merge remote",
    "Merge commit",
    "Merge ",
)


@dataclass(frozen=True)
class Statement:
    kind: str  # "tests", "no-behaviour", "docs-only", "name", "number"
    text: str  # the sentence (or the name, the value) as written
    line: int  # 1-based line of the description
    detail: str = ""  # the name or value it is about


def read_description(text: str) -> list[Statement]:
    """The checkable statements of a description, in order."""
    out: list[Statement] = []
    seen: set[tuple[str, str]] = set()
    for line_no, sentence in _sentences(text):
        found: list[Statement] = []
        if _TESTS.search(sentence) and not _NO_TESTS.search(sentence):
            found.append(Statement("tests", sentence, line_no))
        if _DOCS_ONLY.search(sentence):
            found.append(Statement("docs-only", sentence, line_no))
        elif _NO_BEHAVIOUR.search(sentence):
            found.append(Statement("no-behaviour", sentence, line_no))
        found += [Statement("name", sentence, line_no, n) for n in _names(sentence)]
        found += [Statement("number", sentence, line_no, raw) for raw in _numbers(sentence)]
        for st in found:
            key = (st.kind, st.detail or st.kind)
            if key not in seen:
                seen.add(key)
                out.append(st)
    return out


def _sentences(text: str) -> Iterator[tuple[int, str]]:
    for n, line in enumerate(text.splitlines(), 1):
        body = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line).strip()
        body = " ".join(_URL.sub(" ", body).split())
        if not body or body.startswith(_NOT_STATEMENTS):
            continue
        for part in re.split(r"(?<=[.!?;])\s+(?=[A-Z`\"'(])", body):
            if part.strip():
                yield n, part.strip()


def _names(sentence: str) -> list[str]:
    names = [m.group(1).rstrip(".,:;").removesuffix("()") for m in _BACKTICK.finditer(sentence)]
    plain = _BACKTICK.sub(" ", sentence)
    names += [m.group(1) for m in _PATH.finditer(plain) if not m.group(1).startswith("http")]
    names += [m.group(1) for m in _CALL.finditer(plain)]
    names += [m.group(1) for m in _SNAKE.finditer(plain)]
    return [
        n
        for n in dict.fromkeys(names)
        if len(n) >= 3 and not n.isdigit() and re.search(r"[A-Za-z]", n)
    ]


def _numbers(sentence: str) -> list[str]:
    out = []
    plain = _BACKTICK.sub(lambda m: " " * len(m.group(0)), sentence)
    for v in extract_values(plain):
        before = plain[max(0, v.start - 40) : v.start]
        if _MEASURE.search(before):
            continue
        if v.kind in _ALWAYS or (v.kind in _IF_SETTING and _SETTING.search(before)):
            out.append(v.raw)
    return out


# -- checking statements against the change ------------------------------------------
def description_findings(change: Change) -> list[Finding]:
    if not change.description.strip():
        return []
    statements = read_description(change.description)
    where = change.description_path
    out: list[Finding] = []
    files = change.live_files()
    touched = _Touched(change)
    logic: dict[str, list[LogicChange]] | None = None
    for st in statements:
        if st.kind == "tests" and not any(is_test_path(f.path) and f.added for f in files):
            out.append(
                Finding(
                    "description/tests-claimed",
                    "block",
                    where,
                    st.line,
                    f"the description says “{_short(st.text)}” but the diff adds no test file",
                )
            )
        elif st.kind in ("docs-only", "no-behaviour"):
            logic = logic if logic is not None else _logic(change)
            for path, changes in logic.items():
                hits = changes if st.kind == "docs-only" else [c for c in changes if c.behaviour]
                if hits:
                    out.append(
                        Finding(
                            "description/no-behaviour-change",
                            "block",
                            path,
                            hits[0].line,
                            f"the description says “{_short(st.text)}” but {path} changes code: "
                            f"{hits[0].why}",
                        )
                    )
        elif st.kind == "name" and not touched.name(st.detail):
            out.append(
                Finding(
                    "description/names-untouched",
                    "warn",
                    where,
                    st.line,
                    f"the description names `{st.detail}` but the diff does not touch it",
                )
            )
        elif st.kind == "number" and not touched.value(st.detail):
            out.append(
                Finding(
                    "description/number-mismatch",
                    "block",
                    where,
                    st.line,
                    f"the description states {st.detail} (“{_short(st.text)}”) "
                    "but no changed line of the diff has that value",
                )
            )
    return out


def _logic(change: Change) -> dict[str, list[LogicChange]]:
    """Per non-doc, non-test file: where its code changed."""
    out: dict[str, list[LogicChange]] = {}
    for f in change.files:
        if f.binary or is_doc_path(f.path) or is_test_path(f.path):
            continue
        before, after = change.base.read(f.old_path), change.head.read(f.path)
        found = plugin_instance(f.path).logic_lines(f, before, after)
        if found:
            out[f.path] = found
    return out


class _Touched:
    """What the diff touches: changed lines, paths, enclosing defs, and the values on them."""

    def __init__(self, change: Change) -> None:
        self.change = change
        self.lines = [t for f in change.files for t in (*f.added.values(), *f.removed.values())]
        self.paths = [p for f in change.files for p in {f.path, f.old_path}]
        self.sections = [h.section for f in change.files for h in f.hunks]
        self._defs: set[str] | None = None
        self._values: tuple[set[tuple[str, object]], set[float]] | None = None

    def name(self, name: str) -> bool:
        if any(
            p == name
            or p.endswith("/" + name)
            or PurePosixPath(p).name == name
            or PurePosixPath(p).stem == name
            for p in self.paths
        ):
            return True
        last = re.split(r"[./:]", name.rstrip("/"))[-1] or name
        pattern = re.compile(r"(?<![\w-])" + re.escape(last) + r"(?![\w-])")
        if any(pattern.search(t) for t in (*self.lines, *self.sections)):
            return True
        return last in self.defs()

    def defs(self) -> set[str]:
        if self._defs is None:
            self._defs = set()
            for f in self.change.files:
                if f.path.endswith(".py"):
                    self._defs |= _enclosing(self.change.head.read(f.path), set(f.added))
                    self._defs |= _enclosing(self.change.base.read(f.old_path), set(f.removed))
        return self._defs

    def value(self, raw: str) -> bool:
        if self._values is None:
            kinds: set[tuple[str, object]] = set()
            numbers: set[float] = set()
            for text in self.lines:
                for v in extract_values(text):
                    kinds.add((v.kind, v.norm))
                    if isinstance(v.norm, int | float):
                        numbers.add(float(v.norm))
                    if v.amount is not None:
                        numbers.add(float(v.amount))
                numbers |= {float(m.group(0).replace("_", "")) for m in _NUMBER.finditer(text)}
            self._values = kinds, numbers
        kinds, numbers = self._values
        for v in extract_values(raw):
            if (v.kind, v.norm) in kinds:
                return True
            if v.amount is not None and float(v.amount) in numbers:
                return True
            if isinstance(v.norm, int | float) and float(v.norm) in numbers:
                return True
        return False


def _enclosing(text: str | None, lines: set[int]) -> set[str]:
    if not text or not lines:
        return set()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            end = node.end_lineno or node.lineno
            if any(node.lineno <= n <= end for n in lines):
                out.add(node.name)
    return out


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
