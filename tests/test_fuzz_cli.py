"""Bad input everywhere: every CLI entry point and file reader, fed junk by hypothesis.

Random bytes, huge lines, deep nesting, numbers too long to convert, invalid UTF-8, lone
surrogates, malformed JSONL, config files of the wrong shape, patches that do not parse or do
not apply. The contract (docs/architecture.md, "Exit codes"): no traceback ever; an input the
command cannot use is exit 2 with one clear ``verify: error:`` line on stderr (warnings about
skipped records may come before it, each on its own ``verify:`` line); nothing is half
written. Exit 3 is for internal faults, and junk input is not one.

Every command runs through click's ``CliRunner`` with the fake embedder (``fake-hash``,
registered by conftest) against small indexes built once per module, so an example costs
milliseconds. Examples are derandomized and no example database is kept: CI sees the same
inputs every run. Each ``@example`` is a crash fuzzing found, kept as a regression.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fakes import FAKE_EMBEDDER, HashEmbedder, write_corpus
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from robustness import tally

import retrieval
from verify.cli import cli
from verify.errors import InputError
from verify.usage import SOURCES, Defaults
from verify.usage._import import parse as parse_import

SUITE = "fuzz"
EMBED = ["--embedder", FAKE_EMBEDDER]

# Derandomized, no example database: the same inputs on every machine and every run.
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
    ],
)
FEW = settings(FUZZ, max_examples=50)


# -- junk ----------------------------------------------------------------------------------

DEEP_LIST = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 20_000 + b"1" + b"}" * 20_000
LONG_NUMBER = b'{"n": ' + b"7" * 5000 + b"}"  # past Python's int-from-string digit limit
HUGE_LINE = b"word " * 60_000  # 300 KB, one line
SURROGATE = b'{"text": "lone \\ud800 surrogate", "id": 1}'

#: Shapes of bad input worth trying in every reader, whatever its format.
SPECIAL: tuple[bytes, ...] = (
    b"",
    b"\n\n\r\n",
    b"\xff\xfe\x00\x00",  # UTF-32 BOM: not UTF-8
    b"caf\xe9\n",  # Latin-1
    b"\xed\xa0\x80",  # an encoded surrogate: invalid UTF-8
    "\ufeffa BOM first\n".encode(),
    b"nul \x00 byte",
    b"\r only\r line\r",
    DEEP_LIST,
    DEEP_OBJECT,
    LONG_NUMBER,
    SURROGATE,
    HUGE_LINE,
    b"null",
    b"[]",
    b'"a string"',
    b"1e999",
    b"NaN",
    b'{"a": Infinity}',
)

unicode_text = st.text(st.characters(codec="utf-8"), max_size=300)
any_text = st.text(max_size=300)  # may hold lone surrogates

junk_bytes = st.one_of(
    st.sampled_from(SPECIAL),
    st.binary(max_size=600),
    unicode_text.map(lambda s: s.encode()),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # NaN and the infinities included
    any_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(unicode_text, inner, max_size=4),
    max_leaves=12,
)


def _dump(value: object, ascii: bool = False) -> bytes:
    """JSON bytes; lone surrogates become ``\\ud800`` escapes (ascii) or invalid UTF-8."""
    return json.dumps(value, ensure_ascii=ascii).encode("utf-8", "surrogatepass")


dumped = st.builds(_dump, json_values, st.booleans())
one_line_junk = junk_bytes.filter(lambda b: b"\n" not in b and b"\r" not in b)


@dataclass(frozen=True)
class Lines:
    """Strategies for one line of a JSONL format: ``good`` has the right shape (with hostile
    values where the format allows any), ``any`` is good, half-right or junk."""

    good: st.SearchStrategy[bytes]
    any: st.SearchStrategy[bytes]


def records(fields: dict[str, st.SearchStrategy[object]], required: Sequence[str] = ()) -> Lines:
    keys = sorted(fields)
    right = st.fixed_dictionaries(
        {k: fields[k] for k in required}, optional={k: fields[k] for k in keys if k not in required}
    )
    wrong = st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys))
    mixed = st.tuples(right, wrong).map(lambda p: {**p[0], **p[1]})
    good = st.builds(_dump, right, st.booleans())
    half = st.builds(_dump, mixed, st.booleans())
    return Lines(good, st.one_of(good, half, dumped, one_line_junk))


def jsonl(lines: Lines, max_size: int = 6) -> st.SearchStrategy[bytes]:
    """A JSONL file: all lines good, any lines, or no lines at all but junk."""
    return (
        st.one_of(
            st.lists(lines.good, min_size=1, max_size=max_size),
            st.lists(lines.any, max_size=max_size),
        ).map(lambda ls: b"\n".join(ls) + b"\n")
        | junk_bytes
    )


nat = st.integers(min_value=0, max_value=10_000)
#: Counts a format allows but that stress what stores them: 0, past 64 bits, floats.
counts = st.one_of(nat, st.sampled_from([0, 2**63 - 1, 2**63, 2**70, 1.0, 3.5, 1e300, -1]))
#: Unix times: now, zero, negative, past the year 9999, not finite.
times = st.one_of(
    st.just(1.7e9), st.sampled_from([0, -1, 2**40, 1e20, 1e308, float("inf")]), st.floats()
)
sentences = st.sampled_from(
    [
        "The gateway listens on port 8443.",
        "The gateway listens on port 9443.",
        "Raw uploads are kept for fourteen days.",
        "Bananas ripen faster next to apples.",
        "x",
        "",
    ]
)
words = st.one_of(sentences, any_text, st.lists(sentences, max_size=4).map(" ".join))

replay_line = records(
    {
        "action": st.sampled_from(["answer", "search", "write_file", "run_command", "fly"]),
        "text": words,
        "query": words,
        "path": st.sampled_from(["notes.md", "../escape", "/etc/passwd", "a/b.txt", "", "\x00"]),
        "content": words,
        "reason": words,
        "argv": st.lists(st.sampled_from(["echo", "ls", "hi", "-la", "/", "rm"]), max_size=3),
        "usage": st.fixed_dictionaries(
            {}, optional={"prompt_tokens": counts, "completion_tokens": counts}
        ),
        "model": json_scalars,
    },
    required=["action", "text", "query", "path", "content", "argv"],
)

claim_line = records(
    {
        "id": st.one_of(st.text(max_size=5), nat),
        "claim": words,
        "label": st.sampled_from(["supported", "refutes", "NEI", "contradicted", "maybe", ""]),
        "split": st.sampled_from(["dev", "train", ""]),
    },
    required=["id", "claim", "label"],
)

corpus_line = records(
    {"id": st.one_of(st.text(max_size=5), nat), "title": words, "text": words},
    required=["text"],
)

usage_block = st.fixed_dictionaries(
    {"prompt_tokens": counts},
    optional={"completion_tokens": counts, "input_tokens": counts, "output_tokens": counts},
)
openai_line = records(
    {
        "id": st.text(max_size=8),
        "model": st.text(max_size=8),
        "created": times,
        "usage": usage_block,
        "choices": st.lists(
            st.fixed_dictionaries({"message": st.fixed_dictionaries({"content": words})}),
            max_size=2,
        ),
        "metadata": st.dictionaries(
            st.sampled_from(["agent", "user", "team", "run", "task", "step", "verdict"]),
            json_values,
            max_size=3,
        ),
        "request": json_values,
        "response": st.fixed_dictionaries({"usage": usage_block}, optional={"body": json_values}),
        "custom_id": st.text(max_size=8),
    },
    required=["usage"],
)

_timing = st.builds(
    "{} time = {} ms / {} {}".format,
    st.sampled_from(["prompt eval", "eval", "total", "Prompt Eval"]),
    st.sampled_from(["35.46", "0", "1e5", "-3", "9" * 5000, "9" * 30, ""]),
    st.sampled_from(["12", "0", "-1", "9" * 5000, "9" * 25, "x"]),
    st.sampled_from(["tokens", "runs", "bananas"]),
)
llama_line = st.one_of(
    _timing.map(str.encode),
    st.builds("slot print_timing: id  0 | task {} |".format, st.integers()).map(str.encode),
    st.builds(lambda msg, task: _dump({"msg": msg, "id_task": task}), _timing, json_scalars),
    one_line_junk,
)
llama_log = st.one_of(
    st.lists(llama_line, max_size=8).map(b"\n".join),
    st.lists(st.tuples(counts, counts), min_size=1, max_size=4).map(
        lambda pairs: "".join(
            f"prompt eval time = 1.5 ms / {p} tokens\n       eval time = 2.5 ms / {c} tokens\n"
            for p, c in pairs
        ).encode()
    ),
)

_step = st.fixed_dictionaries(
    {
        "action": st.fixed_dictionaries(
            {"action": st.sampled_from(["answer", "search", "write_file", "run_command"])},
            optional={"text": words, "query": words, "path": words, "argv": json_values},
        ),
        "decision": st.sampled_from(["pass", "block", "maybe"]),
        "executed": st.booleans(),
    },
    optional={"claims": st.lists(json_values, max_size=2)},
)
_verdicts = st.sampled_from(["supported", "contradicted", "unverifiable", "error", "x"])
verify_doc = st.fixed_dictionaries(
    {
        "decision": st.sampled_from(["pass", "block"]),
        "claims": st.lists(
            st.fixed_dictionaries({"verdict": _verdicts, "text": words}), max_size=3
        ),
        "usage": usage_block,
    },
    optional={
        "steps": st.lists(_step | json_values, max_size=3),
        "findings": st.lists(json_values, max_size=2),
        "run_id": json_scalars,
        "changed_lines": counts,
        "summary": json_values,
    },
)
verify_json_file = st.one_of(
    st.builds(lambda d, ascii: _dump(d, ascii), verify_doc, st.booleans()),
    st.lists(verify_doc, max_size=3).map(_dump),
    jsonl(records({"decision": st.just("pass"), "usage": usage_block, "claims": json_values})),
    junk_bytes,
)

IMPORT_FORMATS = {
    "openai-jsonl": jsonl(openai_line),
    "llama-server-log": llama_log,
    "verify-json": verify_json_file,
}


# -- the world the commands run in ---------------------------------------------------------


@dataclass(frozen=True)
class World:
    root: Path
    index: Path  # the standard test corpus, indexed with the fake embedder
    repo: Path  # a small project for `verify gate --patch`
    good_patch: Path  # a patch that applies to ``repo``

    def scratch(self) -> tempfile.TemporaryDirectory[str]:
        return tempfile.TemporaryDirectory(dir=self.root)


REPO_FILES = {
    "README.md": "# tinyhttp\n\nThe request timeout defaults to 30 seconds.\n",
    "pyproject.toml": '[project]\nname = "tinyhttp"\ndependencies = ["click>=8.1"]\n',
    "tinyhttp/__init__.py": '"""A tiny client."""\n\n\ndef fetch(url: str) -> str:\n'
    "    return url\n",
    "docs/client.md": "# Client\n\nRetries happen 3 times.\n",
}

GOOD_PATCH = """\
--- a/tinyhttp/__init__.py
+++ b/tinyhttp/__init__.py
@@ -3,2 +3,6 @@
 def fetch(url: str) -> str:
     return url
+
+
+def head(url: str) -> str:
+    return fetch(url)
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("fuzz")
    corpus = write_corpus(root / "corpus")
    retrieval.build_index([corpus], root / "index", HashEmbedder())
    repo = root / "repo"
    for rel, text in REPO_FILES.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    (root / "good.diff").write_text(GOOD_PATCH, encoding="utf-8")
    return World(root, root / "index", repo, root / "good.diff")


@pytest.fixture(scope="module", autouse=True)
def _neutral_cwd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Run from an empty folder: no config of the repo's, nothing written into the repo."""
    old = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    try:
        yield
    finally:
        os.chdir(old)


def verify(*args: str | Path, input: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=True)


def check_clean(result: Result, codes: Sequence[int] = (0, 1, 2), *, what: str = "") -> None:
    """The bad-input contract for one run; counts the case (a crash if it breaks it)."""
    problem = _problem(result, codes)
    event(f"{what}: exit {result.exit_code}")  # `pytest --hypothesis-show-statistics`
    tally(SUITE, cases=1, crashes=int(problem is not None))
    assert problem is None, f"{what}: {problem}"


def _problem(result: Result, codes: Sequence[int]) -> str | None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(result.exception))
        return f"uncaught {result.exception!r}\n{tb}"
    both = result.stdout + result.stderr
    if "Traceback" in both:
        return f"a traceback was printed:\n{result.stderr[-2000:]}"
    if result.exit_code not in codes:
        return f"exit {result.exit_code} (expected one of {list(codes)}): {result.stderr[-800:]}"
    if result.exit_code == 2:
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("verify: error: ")]
        if len(errors) != 1 or lines[-1] != errors[0]:
            return f"exit 2 must end with exactly one `verify: error:` line: {lines[-5:]!r}"
        if any(not ln.startswith("verify: ") for ln in lines):
            return f"stderr holds lines that are not verify's: {lines[:5]!r}"
        if len(errors[0]) < len("verify: error: ") + 10:
            return f"the error line says too little: {errors[0]!r}"
    return None


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- verify check ---------------------------------------------------------------------------


@FUZZ
@given(text=words)
@example(text="\ud800 lone surrogate")
@example(text="   ")
@example(text="-")  # stdin, which is empty here
def test_check_any_text_argument(world: World, text: str) -> None:
    check_clean(verify("check", "--index", world.index, "--json", "--", text), what="check TEXT")


@FUZZ
@given(data=junk_bytes, how=st.sampled_from(["file", "stdin", "dash"]))
@example(data=b"a" * (2 * 1024 * 1024 + 1), how="file")  # over the input cap
def test_check_any_file_or_stdin(world: World, data: bytes, how: str) -> None:
    with world.scratch() as tmp:
        out = Path(tmp) / "report.json"
        args: list[str | Path] = ["check", "--index", world.index, "--json", "--out", out]
        if how == "file":
            result = verify(*args, "--file", write(Path(tmp) / "in.txt", data))
        elif how == "stdin":
            result = verify(*args, "--file", "-", input=data)
        else:
            result = verify(*args, "-", input=data)
        check_clean(result, what=f"check via {how}")
        _out_whole_or_absent(out, result)


@FEW
@given(data=junk_bytes, text=words)
def test_check_any_context_file(world: World, data: bytes, text: str) -> None:
    with world.scratch() as tmp:
        ctx = write(Path(tmp) / "passage.txt", data)
        result = verify("check", text or "x", "--context", ctx, *EMBED, "--json")
        check_clean(result, what="check --context")


def _out_whole_or_absent(out: Path, result: Result) -> None:
    """A report file exists only after a result, and then is whole; no temporary is left."""
    leftovers = [p.name for p in out.parent.iterdir() if p.name.endswith(".tmp")]
    assert not leftovers, leftovers
    if result.exit_code in (0, 1):
        json.loads(out.read_text(encoding="utf-8"))
    else:
        assert not out.exists(), "a failed command left a report behind"


# -- verify search and index ----------------------------------------------------------------


@FUZZ
@given(query=any_text)
@example(query="\ud800")
@example(query='"unbalanced AND (NEAR')  # FTS5 syntax
@example(query="x" * 100_000)
def test_search_any_query(world: World, query: str) -> None:
    result = verify("search", "--index", world.index, "--json", "--", query)
    check_clean(result, what="search")
    if result.exit_code == 0:
        assert isinstance(json.loads(result.stdout)["results"], list)


CORPUS_NAMES = ("a.md", "b.yaml", "c.json", "d.toml", "e.py", "f.txt", "g.rst", "corpus.jsonl")


@FUZZ
@given(
    files=st.dictionaries(
        st.sampled_from(CORPUS_NAMES),
        st.one_of(junk_bytes, jsonl(corpus_line)),
        min_size=1,
        max_size=4,
    )
)
@example(files={"corpus.jsonl": SURROGATE + b"\n"})
@example(files={"corpus.jsonl": DEEP_LIST + b"\n"})
@example(files={"corpus.jsonl": LONG_NUMBER + b"\n"})
def test_index_any_corpus_files(world: World, files: dict[str, bytes]) -> None:
    with world.scratch() as tmp:
        corpus, folder = Path(tmp) / "corpus", Path(tmp) / "index"
        for name, data in files.items():
            write(corpus / name, data)
        result = verify("index", corpus, "--index", folder, *EMBED, "--json", "-q")
        check_clean(result, what="index")
        if result.exit_code == 0:  # what was indexed can be searched
            found = verify("search", "gateway", "--index", folder, "--json")
            check_clean(found, codes=(0,), what="search after index")
        else:
            assert not (folder / "CURRENT").exists(), "a failed first build published an index"


# -- verify bench ----------------------------------------------------------------------------


@FEW
@given(claims=jsonl(claim_line), corpus=jsonl(corpus_line), split=st.none() | st.just("dev"))
@example(claims=b"\xff\n", corpus=b'{"text": "x"}\n', split=None)
@example(claims=DEEP_LIST + b"\n", corpus=b'{"text": "x"}\n', split=None)
@example(claims=LONG_NUMBER + b"\n", corpus=b'{"text": "x"}\n', split=None)
def test_bench_any_dataset(world: World, claims: bytes, corpus: bytes, split: str | None) -> None:
    with world.scratch() as tmp:
        data = Path(tmp) / "set"
        write(data / "claims.jsonl", claims)
        write(data / "corpus.jsonl", corpus)
        args = ["bench", data, "--index", Path(tmp) / "index", *EMBED, "--json", "-q"]
        result = verify(*args, *(["--split", split] if split else []))
        check_clean(result, what="bench")


# -- verify run --replay ---------------------------------------------------------------------


@FUZZ
@given(transcript=jsonl(replay_line))
@example(transcript=b'{"action": "answer", "text": "x", "usage": {"prompt_tokens": "many"}}\n')
@example(transcript=b'{"action": "answer", "text": "x", "usage": {"prompt_tokens": 1e999}}\n')
@example(transcript=b'{"action": "answer", "text": "x", "usage": {"prompt_tokens": [1]}}\n')
@example(transcript=DEEP_OBJECT + b"\n")
@example(transcript=b"\xff\xfe\n")
def test_run_any_replay(world: World, transcript: bytes) -> None:
    with world.scratch() as tmp:
        base = Path(tmp)
        result = verify(
            "run",
            "fuzzed task",
            "--replay",
            write(base / "t.jsonl", transcript),
            "--index",
            world.index,
            "--workspace",
            base / "ws",
            "--ledger",
            base / "ledger.db",
            "--json",
            "-q",
        )
        check_clean(result, what="run --replay")


# -- verify gate -----------------------------------------------------------------------------

_paths = st.sampled_from(
    [
        "tinyhttp/__init__.py",
        "README.md",
        "docs/client.md",
        "missing.py",
        "../outside.py",
        "/etc/hostname",
        "a b/c d.md",
        '"tinyhttp/\\303\\251.py"',
        "",
    ]
)
_hunk_line = st.one_of(
    st.builds("{}{}".format, st.sampled_from([" ", "+", "-", "\\", "?", ""]), unicode_text),
    st.sampled_from(["    return url", "def fetch(url: str) -> str:", "import nosuchmodule"]).map(
        lambda s: f"+{s}"
    ),
)
_hunk = st.builds(
    lambda a, b, c, d, lines: "\n".join([f"@@ -{a},{b} +{c},{d} @@", *lines]),
    st.integers(-2, 10**30),
    st.integers(-1, 50),
    st.integers(-2, 10**30),
    st.integers(-1, 50),
    st.lists(_hunk_line, max_size=6),
)
_file_diff = st.builds(
    lambda extra, old, new, hunks: "\n".join(
        [f"diff --git a/{old} b/{new}", *extra, f"--- a/{old}", f"+++ b/{new}", *hunks]
    ),
    st.lists(
        st.sampled_from(
            [
                "new file mode 100644",
                "deleted file mode 100644",
                "similarity index 90%",
                "rename from x",
                "rename to y",
                "old mode 100755",
                "index 0000000..1111111",
                "Binary files a/x and b/x differ",
                "GIT binary patch",
                "literal 5",
            ]
        ),
        max_size=3,
    ),
    _paths,
    _paths,
    st.lists(_hunk, max_size=3),
)
_added_line = st.one_of(
    sentences,
    unicode_text.filter(lambda t: "\n" not in t and "\r" not in t),
    st.sampled_from(
        [
            "import nosuchmodule",
            "from tinyhttp import fetch, nothing",
            "fetch(1, 2, 3)",
            "def g(): return fetch('u')",
            "    return )(",
            "The request timeout defaults to 90 seconds.",
            "Retries happen 3 times.",
        ]
    ),
)


def _new_file(path: str, lines: list[str]) -> str:
    body = "".join(f"+{line}\n" for line in lines)
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"


def _appended(path: str, lines: list[str]) -> str:
    old = REPO_FILES[path].splitlines()
    body = "".join(f"+{line}\n" for line in lines)
    n = len(old)
    return f"--- a/{path}\n+++ b/{path}\n@@ -{n},1 +{n},{1 + len(lines)} @@\n {old[-1]}\n{body}"


#: Patches that apply to the world's repository, adding lines of every kind.
applying = st.lists(
    st.one_of(
        st.builds(
            _new_file,
            st.sampled_from(["notes.md", "tinyhttp/extra.py", "docs/new.md", "setup.cfg"]),
            st.lists(_added_line, min_size=1, max_size=5),
        ),
        st.builds(
            _appended,
            st.sampled_from(sorted(REPO_FILES)),
            st.lists(_added_line, min_size=1, max_size=5),
        ),
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda text: text.split("\n", 2)[1],
).map(lambda files: "".join(files).encode("utf-8"))

patches = st.one_of(
    applying,
    st.lists(_file_diff, min_size=1, max_size=3).map(lambda fs: ("\n".join(fs) + "\n").encode()),
    st.builds(
        lambda head, body: head + body,
        st.sampled_from([b"From 1234 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] x\n\n", b""]),
        junk_bytes,
    ),
    st.just(GOOD_PATCH.replace("return url", "return URL").encode()),  # does not apply
)


@FUZZ
@given(patch=patches)
@example(patch=b"\x00\x01\x02binary")
@example(patch=b"--- a/tinyhttp/__init__.py\n+++ b/tinyhttp/__init__.py\n@@ -1 +1 @@\n-nope\n+x\n")
def test_gate_any_patch(world: World, patch: bytes) -> None:
    with world.scratch() as tmp:
        path = write(Path(tmp) / "change.diff", patch)
        result = verify("gate", "--patch", path, "--repo", world.repo, *EMBED, "--json", "-q")
        check_clean(result, what="gate --patch")
        if result.exit_code in (0, 1):
            assert json.loads(result.stdout)["decision"] in ("pass", "block")


@FEW
@given(data=junk_bytes, which=st.sampled_from(["--description", "--usage", "--allow-packages"]))
@example(data=b'{"usage": {"prompt_tokens": ' + b"[" * 50_000 + b"}}", which="--usage")
@example(data=DEEP_OBJECT, which="--usage")
@example(data=LONG_NUMBER, which="--usage")
def test_gate_any_side_file(world: World, data: bytes, which: str) -> None:
    with world.scratch() as tmp:
        side = write(Path(tmp) / "side", data)
        result = verify(
            "gate", "--patch", world.good_patch, "--repo", world.repo, which, side, *EMBED, "-q"
        )
        check_clean(result, what=f"gate {which}")


@FEW
@given(patch=junk_bytes)
def test_gate_any_patch_on_stdin(world: World, patch: bytes) -> None:
    result = verify("gate", "--patch", "-", "--repo", world.repo, *EMBED, "-q", input=patch)
    check_clean(result, what="gate --patch -")


# -- verify usage and usage import -----------------------------------------------------------


import_cases = st.sampled_from(SOURCES).flatmap(lambda s: st.tuples(st.just(s), IMPORT_FORMATS[s]))
LLAMA_LONG_TOKENS = b"prompt eval time = 1 ms / %s tokens\neval time = 1 ms / 1 tokens" % (
    b"9" * 5000
)
LLAMA_LONG_MS = b"prompt eval time = 1 ms / 2 tokens\neval time = %s ms / 1 tokens" % (b"9" * 5000)
LLAMA_DEEP_JSON = b'{"msg": "x", "id_task": 1}\n' + DEEP_OBJECT


@FUZZ
@given(case=import_cases)
@example(case=("llama-server-log", LLAMA_LONG_TOKENS))
@example(case=("openai-jsonl", LONG_NUMBER))
@example(case=("verify-json", DEEP_LIST))
def test_usage_import_any_file(world: World, case: tuple[str, bytes]) -> None:
    source, content = case
    with world.scratch() as tmp:
        base = Path(tmp)
        ledger = base / "ledger.db"
        path = write(base / "log", content)
        result = verify("usage", "import", path, "--from", source, "--ledger", ledger, "--json")
        check_clean(result, what=f"usage import --from {source}")
        if result.exit_code == 2 and ledger.exists():  # nothing written
            with sqlite3.connect(ledger) as conn:
                assert conn.execute("SELECT count(*) FROM calls").fetchone() == (0,)
        if result.exit_code == 0:  # and the report reads what was written
            check_clean(verify("usage", "--ledger", ledger, "--json"), codes=(0,), what="usage")


@FUZZ
@given(case=import_cases)
@example(case=("llama-server-log", LLAMA_LONG_TOKENS))
@example(case=("llama-server-log", LLAMA_LONG_MS))
@example(case=("llama-server-log", LLAMA_DEEP_JSON))
@example(case=("openai-jsonl", DEEP_OBJECT))
@example(case=("verify-json", LONG_NUMBER))
def test_import_parsers_return_a_batch_or_an_input_error(
    world: World, case: tuple[str, bytes]
) -> None:
    source, content = case
    with world.scratch() as tmp:
        path = write(Path(tmp) / "log", content)
        try:
            batch = parse_import(path, source, Defaults(user="fuzz"), now=1.7e9)
        except InputError:
            batch = None
        except Exception as exc:  # anything else is a crash
            tally(SUITE, cases=1, crashes=1)
            raise AssertionError(f"{source} parser crashed on {content[:80]!r}") from exc
        calls = batch.calls if batch is not None else []
        bad = [c for c in calls if not 0 <= c.prompt_tokens < 2**63 > c.completion_tokens >= 0]
        tally(SUITE, cases=1, crashes=int(bool(bad)))
        assert not bad, bad


@FEW
@given(data=junk_bytes)
@example(data=b"SQLite format 3\x00" + b"\x00" * 200)  # a header and nothing behind it
def test_usage_report_on_any_ledger_file(world: World, data: bytes) -> None:
    with world.scratch() as tmp:
        ledger = write(Path(tmp) / "ledger.db", data)
        check_clean(verify("usage", "--ledger", ledger, "--json"), what="usage on junk")


@FUZZ
@given(
    since=st.sampled_from(["2024-01-01", "7d", "0h", "2999-12-31T23:59:59+14:00"]) | any_text,
    weight=st.builds("{}={}".format, st.sampled_from(["claim", "action", "line"]), counts)
    | any_text,
    by=st.sampled_from(["run", "agent", "user", "team"]),
)
@example(since="9" * 5000 + "d", weight="claim=1", by="run")
@example(since="2024-01-01", weight="claim=nan", by="run")
@example(since="2024-01-01", weight="line=1e400", by="user")
def test_usage_any_flag_values(world: World, since: str, weight: str, by: str) -> None:
    with world.scratch() as tmp:
        ledger = Path(tmp) / "ledger.db"
        log = write(Path(tmp) / "log", b'{"model": "m", "usage": {"prompt_tokens": 3}}\n')
        verify("usage", "import", log, "--from", "openai-jsonl", "--ledger", ledger)
        result = verify(
            "usage", "--ledger", ledger, "--by", by, f"--since={since}", f"--weight={weight}"
        )
        check_clean(result, what="usage --since --weight")


# -- config files ----------------------------------------------------------------------------

KEYS = (
    "index",
    "ledger",
    "embedder",
    "embedder_precision",
    "entailment_precision",
    "user",
    "block",
    "max_blocking",
    "support_threshold",
    "contradict_threshold",
    "claim_timeout",
    "run_timeout",
    "allow_commands",
    "samples",
    "max_steps",
    "nonsense",
)
toml_values = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats().map(repr),
    st.sampled_from(["true", "false", '""', '"x"', "[]", '["error"]', '["maybe"]', "[1, 2]", "{}"]),
    st.sampled_from(["-1", "0", "1e400", "nan", "-inf", "1.5", '"30"', "2", "0.4"]),
)


def _toml_value(v: object) -> str:
    return v if isinstance(v, str) else str(v)


toml_docs = st.one_of(
    st.builds(
        lambda table, items: table + "".join(f"{k} = {_toml_value(v)}\n" for k, v in items.items()),
        st.sampled_from(["[tool.verify]\n", "[tool]\nverify = 3\n", "tool = 1\n", ""]),
        st.dictionaries(st.sampled_from(KEYS), toml_values, max_size=4),
    ).map(str.encode),
    junk_bytes,
)


@FUZZ
@given(doc=toml_docs, name=st.sampled_from(["pyproject.toml", "verify.toml"]))
@example(doc=b"[tool]\nverify = 3\n", name="pyproject.toml")
@example(doc=b"tool = 1\n", name="verify.toml")
@example(doc=b"[tool.verify]\nmax_blocking = true\n", name="pyproject.toml")
@example(doc=b"[tool.verify]\nclaim_timeout = -1\n", name="pyproject.toml")
@example(doc=b"[tool.verify]\nsupport_threshold = nan\n", name="pyproject.toml")
@example(doc=b"[tool.verify]\nblock = [1, 2]\n", name="pyproject.toml")
@example(doc=b'[tool.verify]\nblock = ["maybe"]\n', name="pyproject.toml")
@example(doc=b'[tool.verify]\nembedder = ""\n', name="pyproject.toml")
def test_any_config_file(world: World, doc: bytes, name: str) -> None:
    old = Path.cwd()
    with world.scratch() as tmp:
        write(Path(tmp) / name, doc)
        os.chdir(tmp)  # the config is read from the working directory
        try:
            result = verify("check", "The gateway listens on port 8443.", "--index", world.index)
        finally:
            os.chdir(old)
        check_clean(result, what=f"config {name}")
