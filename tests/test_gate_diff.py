"""Unified diffs: parsing git, plain and mail patches, line numbers, applying both ways."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.errors import InputError
from verify.gate import DiffError, apply_hunks, parse_patch

GIT_DIFF = """\
diff --git a/pkg/mod.py b/pkg/mod.py
index 1111111..2222222 100644
--- a/pkg/mod.py
+++ b/pkg/mod.py
@@ -1,4 +1,5 @@ def top():
 import os
-X = 1
+X = 2
+Y = 3
{blank}
 def f():
@@ -10,2 +11,3 @@ def f():
 a
+b
 c
diff --git a/docs/new.md b/docs/new.md
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/docs/new.md
@@ -0,0 +1,2 @@
+# New
+Text.
diff --git a/old.txt b/old.txt
deleted file mode 100644
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-gone
diff --git a/a.py b/b.py
similarity index 100%
rename from a.py
rename to b.py
diff --git a/logo.png b/logo.png
Binary files a/logo.png and b/logo.png differ
""".replace("{blank}", " ")  # a context line that is blank is one space


def test_git_diff_files_statuses_and_line_numbers() -> None:
    patch = parse_patch(GIT_DIFF)
    by = {f.path: f for f in patch.files}
    assert [f.path for f in patch.files] == [
        "pkg/mod.py",
        "docs/new.md",
        "old.txt",
        "b.py",
        "logo.png",
    ]
    mod = by["pkg/mod.py"]
    assert mod.status == "modified"
    assert mod.added == {2: "X = 2", 3: "Y = 3", 12: "b"}
    assert mod.removed == {2: "X = 1"}
    assert mod.hunks[0].section == "def top():"
    assert by["docs/new.md"].status == "added" and by["docs/new.md"].added == {
        1: "# New",
        2: "Text.",
    }
    assert by["old.txt"].status == "deleted" and by["old.txt"].removed == {1: "gone"}
    assert by["b.py"].status == "renamed" and by["b.py"].old_path == "a.py"
    assert by["b.py"].hunks == ()
    assert by["logo.png"].binary


def test_plain_diff_u_and_no_newline_marker() -> None:
    text = (
        "--- x.txt\t2024-01-01 00:00:00\n+++ x.txt\t2024-01-02 00:00:00\n"
        "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n"
    )
    (f,) = parse_patch(text).files
    assert f.path == "x.txt" and f.added == {1: "b"} and f.removed == {1: "a"}


def test_quoted_paths_with_unicode_and_spaces() -> None:
    text = (
        'diff --git "a/caf\\303\\251 menu.md" "b/caf\\303\\251 menu.md"\n'
        '--- "a/caf\\303\\251 menu.md"\n+++ "b/caf\\303\\251 menu.md"\n'
        "@@ -1 +1 @@\n-a\n+b\n"
    )
    (f,) = parse_patch(text).files
    assert f.path == "café menu.md"


def test_format_patch_mail_gives_its_message() -> None:
    text = (
        "From 123 Mon Sep 17 00:00:00 2001\nFrom: A <a@b>\nSubject: [PATCH 1/2] Add cache\n"
        " with tests\n\nBody line.\n---\n x | 1 +\n\n" + GIT_DIFF + "-- \n2.39.5\n"
    )
    patch = parse_patch(text)
    assert patch.message == "Add cache with tests\n\nBody line."
    assert len(patch.files) == 5


def test_crlf_patch_lines_lose_their_carriage_return() -> None:
    text = "--- a/x\r\n+++ b/x\r\n@@ -1 +1,2 @@\r\n a\r\n+b\r\n"
    assert parse_patch(text).files[0].added == {2: "b"}


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "no file changes"),
        ("hello\nworld\n", "no file changes"),
        ("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n", "ends early"),
        ("--- a/x\n+++ b/x\n@@ -1 +1 @@\n a\n+b\n", "longer than its header"),
        ("--- a/x\n+++ b/x\n@@ -1 +1 @@\n*a\n", "not a context"),
        ("--- a/x\n+++ b/x\n@@ -a +b @@\n", "malformed hunk header"),
        ("@@ -1 +1 @@\n-a\n+b\n", "no file header"),
        ("diff --git nonsense\n", "malformed `diff --git`"),
        ("--- a/x\n+++ b/x\nno hunk\n", "no hunks"),
        ("--- a/x\n+++ b/../../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n", "outside the repository"),
        ("--- /dev/null\n+++ /etc/cron.d/x\n@@ -0,0 +1 @@\n+b\n", "outside the repository"),
    ],
)
def test_broken_patches_raise_an_input_error_naming_the_problem(text: str, words: str) -> None:
    with pytest.raises(DiffError, match=words) as info:
        parse_patch(text)
    assert isinstance(info.value, InputError)


def test_apply_forward_and_back_with_moved_hunks() -> None:
    patch = parse_patch(GIT_DIFF)
    mod = patch.file("pkg/mod.py")
    assert mod is not None
    old = ["import os", "X = 1", "", "def f():", "  pass", "", "", "", "", "a", "c", ""]
    new = apply_hunks(old, mod.hunks)
    assert new == [
        "import os",
        "X = 2",
        "Y = 3",
        "",
        "def f():",
        "  pass",
        "",
        "",
        "",
        "",
        "a",
        "b",
        "c",
        "",
    ]
    assert new is not None and apply_hunks(new, mod.hunks, reverse=True) == old
    shifted = ["# a new first line", *old]  # the hunks apply where they moved to
    assert apply_hunks(shifted, mod.hunks) == ["# a new first line", *new]
    assert apply_hunks(["nothing", "alike"], mod.hunks) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "", "x = 1", "def f():"]), min_size=0, max_size=25),
    st.lists(st.sampled_from(["a", "b", "c", "", "y = 2", "return 3"]), min_size=0, max_size=25),
)
def test_git_diffs_of_random_files_parse_and_round_trip(
    tmp_path_factory: pytest.TempPathFactory, old: list[str], new: list[str]
) -> None:
    """Whatever ``git diff`` prints, the parser reads, and its hunks rebuild both sides."""
    d = tmp_path_factory.mktemp("d")
    a, b = d / "a.txt", d / "b.txt"
    a.write_text("".join(line + "\n" for line in old))
    b.write_text("".join(line + "\n" for line in new))
    out = subprocess.run(
        ["git", "diff", "--no-index", "--no-color", str(a), str(b)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    if not out:
        assert old == new
        return
    (f,) = parse_patch(out).files
    assert apply_hunks(old, f.hunks) == new
    assert apply_hunks(new, f.hunks, reverse=True) == old
    assert sorted(f.added.values()) == sorted(
        new[n - 1] for n in f.added
    )  # line numbers point at the new file's lines


def test_reads_a_real_git_diff_of_this_repository(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        ["git", "-C", str(root), "log", "-3", "-p", "--format=%n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    patch = parse_patch(out)
    assert patch.files and all(f.path for f in patch.files)
