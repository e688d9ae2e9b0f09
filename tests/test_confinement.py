"""Agent confinement: ``write_file`` cannot leave the workspace; ``run_command`` runs only
allowlisted programs, without a shell, with a scrubbed environment, a timeout and bounded
output.

Every refusal is checked on the filesystem too: nothing appears, inside the workspace or
outside it, and files outside keep their content. The cases tried are counted and printed
at the end of the module (and there must be at least 100).
"""

from __future__ import annotations

import functools
import os
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from fakes import HashEmbedder, ScriptedBackend, ScriptedCascade, command, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robustness import tally

from verify.agent import (
    ActionChecker,
    AgentRunner,
    ConfinementError,
    Workspace,
    check_command,
    run_command,
)
from verify.agent._commands import MAX_OUTPUT, SAFE_PATH
from verify.checker import Checker
from verify.policy import BlockPolicy

F = TypeVar("F", bound=Callable[..., Any])
TRIED: Counter[str] = Counter()
MIN_CASES = 100


def counted(kind: str, n: int = 1) -> Callable[[F], F]:
    """Count a test's ``n`` cases under ``kind``, and in the robustness tally: an assertion
    failing inside (a refusal that did not happen, a write or command that got out) is an
    escape, any other exception a crash. Below ``@given``, each example counts."""

    def decorate(test: F) -> F:
        @functools.wraps(test)
        def run(*args: Any, **kwargs: Any) -> Any:
            TRIED[kind] += n
            try:
                result = test(*args, **kwargs)
            except (AssertionError, pytest.fail.Exception):
                tally("confinement", cases=n, escapes=n)
                raise
            except Exception:
                tally("confinement", cases=n, crashes=n)
                raise
            tally("confinement", cases=n)
            return result

        return cast(F, run)

    return decorate


SECRET = "outside: do not touch\n"


@pytest.fixture(scope="module", autouse=True)
def _report_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    total = sum(TRIED.values())
    detail = ", ".join(f"{k} {n}" for k, n in sorted(TRIED.items()))
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nconfinement: {total} cases tried ({detail})")


def test_the_suite_tries_at_least_100_cases() -> None:
    planned = (
        len(REFUSED_PATHS)
        + len(FS_TRAPS)
        + len(ACCEPTED)
        + len(REFUSED_COMMANDS)
        + 2 * HYPOTHESIS_EXAMPLES
    )
    assert planned >= MIN_CASES, planned


# -- write_file: paths refused by their text ---------------------------------------------------


def _dotdot_cases() -> list[str]:
    """``..`` in every position of paths 1..4 components deep, in several spellings."""
    out = []
    for depth in range(1, 5):
        for pos in range(depth):
            parts = [f"d{i}" for i in range(depth)]
            parts[pos] = ".."
            out.append("/".join(parts))
            out.append("./" + "/".join(parts))
            out.append("/".join(parts) + "/")
    return [*out, "a/../../b", "a/./../..", "../../../../../../etc/passwd", "..", "../"]


_BAD_CHARS = [
    "\x00",
    "\x01",
    "\t",
    "\n",
    "\r",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u202e",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\ud800",
]

REFUSED_PATHS: list[str] = [
    *_dotdot_cases(),
    # absolute, home
    "/etc/passwd",
    "/tmp/x.md",
    "//x",
    "/",
    "/./x",
    "~",
    "~/x.md",
    "~root/.bashrc",
    # control and invisible characters, at the start, inside and at the end of a name
    *[p for ch in _BAD_CHARS for p in (f"{ch}x.md", f"no{ch}tes/x.md", f"x.md{ch}")],
    # backslashes
    "a\\b.md",
    "..\\x.md",
    "\\etc\\passwd",
    "C:\\x.md",
    # over-long names and paths (bytes, not characters)
    "a" * 256,
    "d/" + "é" * 128,
    "😀" * 64,
    "a/" * 513 + "x",
    ("é" * 100 + "/") * 6 + "x",
    # nothing to write
    "",
    ".",
    "./",
    "./.",
    # version control and tool folders, in any case and with the dots Windows drops
    ".git",
    ".git/config",
    ".GIT/hooks/pre-commit",
    ".Git/HEAD",
    "sub/.git/config",
    ".git./config",
    ".git /config",
    ".git../x",
    "x/.HG/y",
    ".svn/entries",
    ".verify/ledger.db",
    ".ssh/authorized_keys",
    ".\u017fsh/authorized_keys",  # long s casefolds to s
    # the names of verify's own temporary files (the next writer may remove them)
    ".verify-123-0123456789ab.tmp",
    "notes/.verify-1-abcdefabcdef.tmp/x.md",
]


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root``: file bytes, link targets, folders."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "-> " + str(p.readlink())
            elif p.is_dir():
                out[rel] = "dir"
            elif p.is_file():
                out[rel] = p.read_bytes()
            else:
                out[rel] = "special"
    return out


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    """(workspace, outside): the workspace beside a folder it must never touch."""
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    return ws, outside


def assert_refused(tmp_path: Path, ws: Path, rel: str, why: str = "") -> None:
    before = snapshot(tmp_path)
    with pytest.raises(ConfinementError) as err:
        Workspace(ws).write(rel, "# written by the agent\n")
    assert snapshot(tmp_path) == before, f"{rel!r} changed the filesystem"
    if why:
        assert why in str(err.value)


@pytest.mark.parametrize("rel", REFUSED_PATHS)
@counted("write refused (path)")
def test_write_refuses_the_path(world: tuple[Path, Path], tmp_path: Path, rel: str) -> None:
    ws, _ = world
    with pytest.raises(ConfinementError):
        Workspace(ws).check(rel)
    assert_refused(tmp_path, ws, rel)


# -- write_file: paths refused because of what is on disk -------------------------------------

Setup = Callable[[Path, Path], None]


def _link(target: str | Callable[[Path, Path], Path], at: str) -> Setup:
    def setup(ws: Path, outside: Path) -> None:
        dest = target(ws, outside) if callable(target) else Path(target)
        (ws / at).parent.mkdir(parents=True, exist_ok=True)
        (ws / at).symlink_to(dest)

    return setup


def _hardlink(ws: Path, outside: Path) -> None:
    os.link(outside / "secret.txt", ws / "h.txt")


def _hardlink_inside(ws: Path, outside: Path) -> None:
    (ws / "a.txt").write_text("inside\n", encoding="utf-8")
    os.link(ws / "a.txt", ws / "b.txt")


def _files(*rels: str) -> Setup:
    def setup(ws: Path, outside: Path) -> None:
        for rel in rels:
            (ws / rel).parent.mkdir(parents=True, exist_ok=True)
            if rel.endswith("/"):
                (ws / rel).mkdir(exist_ok=True)
            else:
                (ws / rel).write_text("existing\n", encoding="utf-8")

    return setup


def _fifo(ws: Path, outside: Path) -> None:
    os.mkfifo(ws / "pipe.md")


FS_TRAPS: dict[str, tuple[Setup, str]] = {
    "folder link out": (_link(lambda w, o: o, "link"), "link/x.md"),
    "folder link out, nested": (_link(lambda w, o: o, "a/b/link"), "a/b/link/c/x.md"),
    "folder link in": (_link(lambda w, o: w / "real", "link"), "link/x.md"),
    "folder link to /": (_link("/", "root"), "root/tmp/x.md"),
    "folder link relative out": (_link("../outside", "rel"), "rel/x.md"),
    "file link out": (_link(lambda w, o: o / "secret.txt", "f.txt"), "f.txt"),
    "file link in": (_link(lambda w, o: w / "g.txt", "f.txt"), "f.txt"),
    "dangling link out": (_link(lambda w, o: o / "new.txt", "d.txt"), "d.txt"),
    "link loop": (_link("loop", "loop"), "loop/x.md"),
    "hard link to outside": (_hardlink, "h.txt"),
    "hard link inside": (_hardlink_inside, "b.txt"),
    "case twin folder": (_files("Notes/a.md"), "notes/b.md"),
    "case twin file": (_files("README.md"), "readme.md"),
    "case twin, upper": (_files("docs/x.md"), "DOCS/y.md"),
    "normalisation twin": (
        _files(unicodedata.normalize("NFC", "café.md")),
        unicodedata.normalize("NFD", "café.md"),
    ),
    "file used as folder": (_files("a.txt"), "a.txt/b.md"),
    "file used as folder, deep": (_files("a/b.txt"), "a/b.txt/c/d.md"),
    "folder as target": (_files("d/"), "d"),
    "fifo as target": (_fifo, "pipe.md"),
}


@pytest.mark.parametrize("name", list(FS_TRAPS))
@counted("write refused (disk)")
def test_write_refuses_what_is_on_disk(world: tuple[Path, Path], tmp_path: Path, name: str) -> None:
    ws, outside = world
    setup, rel = FS_TRAPS[name]
    if name == "folder link in":
        (ws / "real").mkdir()
    if name == "file link in":
        (ws / "g.txt").write_text("inside\n", encoding="utf-8")
    setup(ws, outside)
    assert_refused(tmp_path, ws, rel)
    assert (outside / "secret.txt").read_text(encoding="utf-8") == SECRET
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


@pytest.mark.parametrize(
    "name",
    [
        "folder link out",
        "file link out",
        "dangling link out",
        "hard link to outside",
        "file used as folder",
    ],
)
@counted("write refused (race)")
def test_the_write_itself_refuses_links_raced_in_after_the_check(
    world: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Were the checks of ``resolve`` passed (a link swapped in just after them), the write
    still does not follow links: every folder is entered O_NOFOLLOW."""
    ws, outside = world
    setup, rel = FS_TRAPS[name]
    setup(ws, outside)
    monkeypatch.setattr(Workspace, "resolve", lambda self, r: self.root / r)
    assert_refused(tmp_path, ws, rel)
    assert (outside / "secret.txt").read_text(encoding="utf-8") == SECRET


@counted("write refused (content)", 2)
def test_content_that_is_not_unicode_is_refused(world: tuple[Path, Path], tmp_path: Path) -> None:
    ws, _ = world
    before = snapshot(tmp_path)
    with pytest.raises(ConfinementError, match="not valid Unicode"):
        Workspace(ws).write("x.md", "lone \ud800 surrogate")
    with pytest.raises(ConfinementError, match="content over"):
        Workspace(ws).write("x.md", "x" * (1024 * 1024 + 1))
    assert snapshot(tmp_path) == before


# -- write_file: ordinary paths are written, inside, exactly ---------------------------------

ACCEPTED = [
    "notes.md",
    "notes/upload-limit.md",
    "a/b/c/d/e.txt",
    "./x.md",
    "a//b.md",
    "docs/v1.2/read.me",
    "-dash.md",
    "..hidden-but-fine",
    "x..y",
    "a/~tilde/x",
    "UPPER/lower.MD",
    "é/ü.md",
    "a" * 255,
    ".gitignore",
    "git/x.md",
    "sp ace/x y.md",
]


def assert_written_inside(ws: Path, outside: Path, rel: str, content: str) -> None:
    before_outside = snapshot(outside)
    path = Workspace(ws).write(rel, content)
    assert path.resolve().is_relative_to(ws.resolve())
    assert path == (ws / rel).resolve() or path == ws.resolve() / Workspace(ws).check(rel)
    assert path.read_bytes() == content.encode("utf-8")
    assert snapshot(outside) == before_outside
    leftovers = [p.name for p in ws.rglob(".verify-*")]
    assert leftovers == [], "temporary files left behind"


@pytest.mark.parametrize("rel", ACCEPTED)
@counted("write accepted")
def test_write_accepts_an_ordinary_path(world: tuple[Path, Path], rel: str) -> None:
    ws, outside = world
    assert_written_inside(ws, outside, rel, f"# {rel}\ncontent for {rel}\n")


@counted("write accepted")
def test_write_replaces_an_existing_file_in_place(world: tuple[Path, Path]) -> None:
    ws, outside = world
    Workspace(ws).write("n/a.md", "one\n")
    assert_written_inside(ws, outside, "n/a.md", "two\n")


HYPOTHESIS_EXAMPLES = 40
_NAME = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
    min_size=1,
    max_size=12,
)
_REL = st.lists(_NAME, min_size=1, max_size=4).map("/".join)


@settings(
    max_examples=HYPOTHESIS_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(rel=_REL, content=st.text(max_size=300))
@counted("write accepted (hypothesis)")
def test_any_ordinary_nested_path_is_written_only_inside(rel: str, content: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws, outside = Path(tmp) / "ws", Path(tmp) / "outside"
        outside.mkdir()
        (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
        assert_written_inside(ws, outside, rel, content)
        assert snapshot(ws).keys() >= {rel}


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None)
@given(
    rel=_REL,
    bad=st.sampled_from(["..", "/", "~", "\\", "\x00", "\n", "\u202e", ".git", ".GIT"]),
    where=st.integers(0, 4),
)
@counted("write refused (hypothesis)")
def test_any_path_with_a_forbidden_piece_is_refused(rel: str, bad: str, where: int) -> None:
    parts = rel.split("/")
    where = min(where, len(parts))
    if bad in ("/", "~"):
        candidate = bad + rel  # absolute or home: only meaningful at the start
    elif bad in ("..", ".git", ".GIT"):
        candidate = "/".join([*parts[:where], bad, *parts[where:]])
    else:
        candidate = "/".join(parts[:where] + [bad + p for p in parts[where:]]) or bad
        if bad not in candidate:
            candidate += bad
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        ws.mkdir()
        before = snapshot(Path(tmp))
        with pytest.raises(ConfinementError):
            Workspace(ws).write(candidate, "x")
        assert snapshot(Path(tmp)) == before


@counted("write refused (runner)", 3)
def test_the_runner_refuses_an_escaping_write_before_anything_runs(
    world: tuple[Path, Path], tmp_path: Path
) -> None:
    ws, outside = world
    (ws / "link").symlink_to(outside)
    backend = ScriptedBackend(
        [write("../outside/x.md", "x\n"), write("link/x.md", "x\n"), write("/tmp/x.md", "x\n")]
    )
    precheck = ActionChecker(
        Checker(ScriptedCascade(), BlockPolicy()),
        Workspace(ws),
        allow_commands=[],
        embedder=HashEmbedder(),
    )
    before = snapshot(tmp_path)
    result = AgentRunner(backend, precheck, Workspace(ws), samples=0, max_steps=3).run("t")
    assert [s.executed for s in result.steps] == [False, False, False]
    assert [f.rule for s in result.steps for f in s.check.findings] == ["policy/workspace"] * 3
    assert snapshot(tmp_path) == before


# -- run_command: what is refused before anything runs ----------------------------------------

ALLOW = ["echo", "cat", "touch", "ls", "env", "printenv", "sleep", "yes", "python3"]

REFUSED_COMMANDS: list[list[str]] = [
    # not on the allowlist (or only a near miss of an allowed name)
    ["rm", "-rf", "."],
    ["sh", "-c", "echo hi"],
    ["bash"],
    ["curl", "example.com"],
    ["python", "-V"],
    ["ECHO", "hi"],
    ["echo ", "hi"],
    [" echo", "hi"],
    [""],
    ["echo\x00"],
    ["sudo", "echo"],
    ["env2"],
    # a program given with a path, even an allowed one
    ["/bin/ls"],
    ["/usr/bin/echo", "hi"],
    ["./echo"],
    ["../bin/echo"],
    ["bin/echo"],
    ["~/echo"],
    # arguments that point outside the workspace
    ["cat", "/etc/passwd"],
    ["cat", "../x"],
    ["cat", "a/../../x"],
    ["cat", "~/.ssh/id_rsa"],
    ["cat", "~root"],
    ["ls", "--file=/etc/x"],
    ["ls", "--dir=../.."],
    ["cat", "-f/etc/passwd"],
    ["ls", "-I../x"],
    ["touch", "x:/tmp/owned"],
    ["echo", "key=/etc/shadow"],
    ["cat", "x", "/etc/hostname"],
    ["ls", "--ignore=a,../b"],
    ["cat", "/"],
    ["cat", "a\x00b"],
    ["echo", "x" * 5000],
    # no arguments at all, or too many
    [],
    ["echo", *["a"] * 64],
]


@pytest.mark.parametrize("argv", REFUSED_COMMANDS, ids=lambda a: " ".join(a)[:40] or "empty")
@counted("command refused")
def test_run_command_refuses(argv: list[str], tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    before = snapshot(tmp_path)
    with pytest.raises(ConfinementError):
        check_command(argv, ALLOW)
    with pytest.raises(ConfinementError):
        run_command(argv, ALLOW, ws, timeout=5)
    assert snapshot(tmp_path) == before


@counted("command refused", 2)
def test_a_refused_command_never_runs(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    marker = tmp_path / "owned"
    for argv in (["touch", str(marker)], ["touch", "../owned"]):
        with pytest.raises(ConfinementError):
            run_command(argv, ALLOW, ws)
    assert not marker.exists()


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None)
@given(
    prefix=st.sampled_from(["", "--out=", "-o", "x:", "a,", "k="]),
    escape=st.sampled_from(["/", "../", "~/", "a/../../"]),
    tail=st.text(alphabet="abcxyz/._-", max_size=20),
)
@counted("command refused (hypothesis)")
def test_any_argument_pointing_outside_is_refused(prefix: str, escape: str, tail: str) -> None:
    with pytest.raises(ConfinementError):
        check_command(["cat", prefix + escape + tail], ALLOW)


# -- run_command: how allowed commands run ----------------------------------------------------


@counted("command run", 3)
def test_allowed_commands_run_without_a_shell(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "a.txt").write_text("x", encoding="utf-8")
    res = run_command(["echo", "$HOME; rm -rf /"], ALLOW, ws)
    assert res.stdout == "$HOME; rm -rf /\n" and res.returncode == 0
    res = run_command(["echo", "*", "$(id)", "`id`", "&&", "a|b"], ALLOW, ws)
    assert res.stdout == "* $(id) `id` && a|b\n"
    res = run_command(["cat", "a.txt"], ALLOW, ws)  # the workspace is the working folder
    assert res.stdout == "x"


@counted("command run", 3)
def test_the_environment_is_scrubbed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERIFY_TEST_SECRET", "hunter2")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hunter3")
    ws = tmp_path / "ws"
    res = run_command(["env"], ALLOW, ws)
    env = dict(line.split("=", 1) for line in res.stdout.splitlines())
    assert "hunter2" not in res.stdout and "hunter3" not in res.stdout
    assert env == {"PATH": SAFE_PATH, "HOME": str(ws), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    res = run_command(["printenv", "VERIFY_TEST_SECRET"], ALLOW, ws)
    assert res.returncode == 1 and res.stdout == ""
    res = run_command(["python3", "-c", "import os; print(sorted(os.environ))"], ALLOW, ws)
    assert "VERIFY_TEST_SECRET" not in res.stdout and "HOME" in res.stdout


@counted("command run")
def test_a_command_past_its_timeout_is_killed(tmp_path: Path) -> None:
    t0 = time.monotonic()
    res = run_command(["sleep", "30"], ALLOW, tmp_path / "ws", timeout=0.5)
    assert res.timed_out and res.returncode != 0
    assert time.monotonic() - t0 < 10


@counted("command run")
def test_the_timeout_also_kills_what_the_command_started(tmp_path: Path) -> None:
    """A child left holding the output pipe neither outlives the timeout nor holds the
    runner (the whole process group is killed)."""
    ws = tmp_path / "ws"
    code = (
        "import subprocess; p = subprocess.Popen(['sleep', '60']); "
        "open('child.pid', 'w').write(str(p.pid)); print('started', flush=True)"
    )
    t0 = time.monotonic()
    res = run_command(["python3", "-c", code], ALLOW, ws, timeout=2)
    assert time.monotonic() - t0 < 15
    assert res.timed_out and res.stdout == "started\n"
    pid = int((ws / "child.pid").read_text(encoding="utf-8"))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid), "the command's child outlived it"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead, only not yet reaped by its new parent
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


@counted("command run", 2)
def test_output_is_bounded_and_the_writer_stopped(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    t0 = time.monotonic()
    res = run_command(["yes", "y" * 100], ALLOW, ws, timeout=20)
    assert time.monotonic() - t0 < 10, "an endless writer ran to its timeout"
    assert res.truncated and not res.timed_out
    assert 0 < len(res.stdout.encode()) <= MAX_OUTPUT
    ws.mkdir(exist_ok=True)
    (ws / "big.txt").write_bytes(b"z" * (MAX_OUTPUT * 4))
    res = run_command(["cat", "big.txt"], ALLOW, ws)
    assert res.truncated and res.stdout == "z" * MAX_OUTPUT


@counted("command run")
def test_small_output_is_whole_and_stderr_kept(tmp_path: Path) -> None:
    res = run_command(["cat", "missing.txt"], ALLOW, tmp_path / "ws")
    assert res.returncode == 1 and "missing.txt" in res.stderr and not res.truncated


@counted("command run")
def test_an_allowed_command_through_the_runner_runs_in_the_workspace(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    backend = ScriptedBackend([command("touch", "made.txt", reason="")])
    precheck = ActionChecker(
        Checker(ScriptedCascade(), BlockPolicy()),
        Workspace(ws),
        allow_commands=["touch"],
        embedder=HashEmbedder(),
    )
    result = AgentRunner(backend, precheck, Workspace(ws), samples=0, max_steps=1).run("t")
    assert result.steps[0].executed and (ws / "made.txt").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws"]
