"""checks.language: the one tokenizer, stemmer and word lists that extraction and alignment read."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from checks.language import (
    IRREGULAR_FORMS,
    IRREGULAR_VERBS,
    is_content,
    stem,
    tokenize,
    verb_tags,
    words,
)

PACKAGE = Path(__file__).resolve().parents[1] / "checks" / "language"
_LETTERS = re.compile(r"[^\W\d_][\w'’]*")

#: text made of the pieces that make tokenizing hard: code spans, apostrophes, hyphens,
#: digits, non-ASCII letters, punctuation and every kind of space
PIECES = st.sampled_from(
    [
        "`",
        "``",
        "a",
        "Z",
        "é",
        "İ",
        "ß",
        "'",
        "’",
        "-",
        ".",
        "_",
        "3",
        " ",
        "\t",
        "\n",
        "isn't",
        "fails-over",
        "v3.1",
        "«",
        "(",
        ")",
        ",",
        "x_y",
        "\u00a0",
        "日本",
    ]
)


@given(st.lists(PIECES, max_size=40).map("".join))
def test_the_words_of_a_text_are_the_letter_runs_of_its_tokens(text: str) -> None:
    from_tokens = [
        (m.start(), m.end())
        for t in tokenize(text)
        for m in _LETTERS.finditer(text, t.start, t.end)
    ]
    assert [(w.start, w.end) for w in words(text)] == from_tokens
    assert all(text[w.start : w.end] == w.text for w in words(text))


def test_tokens_keep_code_spans_whole_and_offsets_exact() -> None:
    text = "Set `retry limit` to 3 in İstanbul."
    toks = tokenize(text)
    assert [t.raw for t in toks] == ["Set", "`retry limit`", "to", "3", "in", "İstanbul."]
    assert toks[1].code and toks[3].number
    assert all(text[t.start : t.end] == t.raw for t in toks)


def test_one_stem_for_the_forms_of_a_word() -> None:
    assert stem("retries") == stem("retried") == stem("retry")
    assert stem("stopped") == stem("stop")
    assert stem("owner") == stem("owns")
    assert stem("db") == stem("database")
    assert stem("stores") == stem("keeps")  # a synonym class
    # a nominalisation meets its verb: "Retention period: 90 days" / "kept for 90 days"
    assert stem("retention") == stem("kept") == stem("retained")
    assert stem("rotation") == stem("rotated") and stem("notifications") == stem("notify")


def test_irregular_verbs_are_one_table_read_by_both_steps() -> None:
    assert IRREGULAR_VERBS["write"] == ("wrote", "written")
    assert IRREGULAR_FORMS["written"] == "write" and "write" not in IRREGULAR_FORMS
    assert {"past"} <= verb_tags("wrote") and {"pp"} <= verb_tags("written")
    assert "ed" in verb_tags("retried")


def test_content_words_leave_out_function_words() -> None:
    assert [w.lower for w in words("The gateway is not retried") if is_content(w)] == [
        "gateway",
        "retried",
    ]


def test_the_package_depends_on_nothing_else_of_ours() -> None:
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                assert node.module.split(".")[0] not in {
                    "checks",
                    "retrieval",
                    "verify",
                    "reports",
                }, f"{path.name} imports {node.module}"
