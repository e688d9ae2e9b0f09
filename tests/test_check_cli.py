"""``verify check`` end to end through click: inputs, exit codes, formats, --out, config.

The index is built with the fake ``HashEmbedder`` (registered as ``fake-hash``) in a temporary
working directory, at the default location ``.verify/index``; the cascade, the committed
scorer, extraction and the renderers are the real ones.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FAKE_EMBEDDER, deny_reading
from support.corpus import CONTRADICTED, SUPPORTED, UNRELATED, indexed_workdir
from support.precision import record_precisions

from checks.scorer import Scorer
from retrieval import Index
from verify.cli import cli
from verify.testing import Verifier

FORMATS = ("text", "json", "md", "html", "junit", "sarif")


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding a corpus and its index at the default place."""
    monkeypatch.chdir(indexed_workdir(tmp_path))
    return tmp_path


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["check", *args], input=input)


def verdicts(res: Result) -> list[str]:
    return [c["verdict"] for c in json.loads(res.stdout)["claims"]]


def one_line_error(res: Result) -> str:
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert res.stdout == "", "an error prints no result"
    return lines[0]


# -- exit 0 and 1 ------------------------------------------------------------------------------


def test_a_supported_claim_exits_0(cwd: Path) -> None:
    res = run(SUPPORTED, "--json")
    assert res.exit_code == 0, res.output
    assert verdicts(res) == ["supported"]
    assert json.loads(res.stdout)["decision"] == "pass"


def test_a_contradicted_claim_exits_1(cwd: Path) -> None:
    res = run(CONTRADICTED, "--json")
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert verdicts(res) == ["contradicted"] and data["decision"] == "block"
    ev = data["claims"][0]["evidence"][0]
    assert ev["source"] == "docs/gateway.md" and "8443" in ev["quote"]


def test_one_bad_claim_among_good_ones_blocks(cwd: Path) -> None:
    res = run(f"{SUPPORTED} {CONTRADICTED}", "--json")
    assert res.exit_code == 1
    assert verdicts(res) == ["supported", "contradicted"]


@pytest.mark.parametrize("how", ["argument", "file", "file-dash", "stdin", "dash"])
def test_every_input_route_gives_the_same_result(cwd: Path, how: str) -> None:
    text = f"{SUPPORTED}\n{CONTRADICTED}\n"
    (cwd / "answer.md").write_text(text, encoding="utf-8")
    args, stdin = {
        "argument": ([text], None),
        "file": (["--file", "answer.md"], None),
        "file-dash": (["--file", "-"], text),
        "stdin": ([], text),
        "dash": (["-"], text),
    }[how]
    res = run(*args, "--json", input=stdin)
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert [c["text"] for c in data["claims"]] == [SUPPORTED, CONTRADICTED]
    assert verdicts(res) == ["supported", "contradicted"]


# -- exit 2 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, stdin, says",
    [
        (["   "], None, "empty"),
        ([], "", "empty"),
        (["-"], " \n\t\n", "empty"),
        (["--file", "missing.md"], None, "missing.md"),
        (["--file", "latin1.md"], None, "UTF-8"),
        (["--file", "empty.md"], None, "empty"),
        ([SUPPORTED, "--block", "contradicted,bogus"], None, "bogus"),
        ([SUPPORTED, "--block", "supported;error"], None, "supported;error"),
        ([SUPPORTED, "--out", "no/such/folder/report.json"], None, "report.json"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    cwd: Path, args: list[str], stdin: str | None, says: str
) -> None:
    (cwd / "latin1.md").write_bytes("caf\xe9 au lait.\n".encode("latin-1"))
    (cwd / "empty.md").write_bytes(b"")
    res = run(*args, input=stdin)
    assert res.exit_code == 2, res.output
    assert says in one_line_error(res)


def test_an_unreadable_file_exits_2(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (cwd / "locked.md").write_text(SUPPORTED, encoding="utf-8")
    deny_reading(monkeypatch, "locked.md")
    res = run("--file", "locked.md")
    assert res.exit_code == 2
    assert "locked.md" in one_line_error(res)


@pytest.mark.parametrize(
    "args",
    [
        [SUPPORTED, "--file", "answer.md"],
        ["--file", "."],
        [SUPPORTED, "--json", "--format", "md"],
        [SUPPORTED, "--format", "pdf"],
        [SUPPORTED, "--max-blocking", "-1"],
        [SUPPORTED, "--context", "no-such-context.txt"],
    ],
)
def test_usage_errors_exit_2_and_print_no_result(cwd: Path, args: list[str]) -> None:
    (cwd / "answer.md").write_text(SUPPORTED, encoding="utf-8")
    res = run(*args)
    assert res.exit_code == 2, res.output
    assert res.stdout == "" and res.stderr.strip()


def test_a_missing_index_exits_2_and_says_how_to_build_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for args in ([SUPPORTED], [SUPPORTED, "--index", "elsewhere"]):
        res = run(*args)
        assert res.exit_code == 2
        line = one_line_error(res)
        assert "verify index" in line


# -- exit 3: fail closed -----------------------------------------------------------------------


class _Exploding(Scorer):
    def predict(self, signals: Any) -> dict[str, float]:
        raise RuntimeError("scorer exploded")


@pytest.fixture
def broken_scorer(monkeypatch: pytest.MonkeyPatch) -> None:
    from checks.scorer import default_scorer

    real = default_scorer()
    broken = _Exploding(real.features, real.mean, real.scale, real.coef, real.intercept)
    monkeypatch.setattr("checks.cascade._cascade.default_scorer", lambda: broken)


def _decision(fmt: str, out: str) -> str:
    """The decision as each format states it."""
    if fmt == "text":
        found = re.findall(r"decision: (\w+)", out)
        assert len(found) == 1, out
        return str(found[0]).lower()
    if fmt == "json":
        return str(json.loads(out)["decision"])
    if fmt == "md":
        first = out.splitlines()[0]
        return str(re.findall(r"\b(pass|block)\b", first)[0])
    if fmt == "html":
        title = re.search(r"<title>(.*?)</title>", out, re.S)
        assert title is not None
        return str(re.findall(r"\b(pass|block)\b", title.group(1))[-1])
    if fmt == "junit":
        props = {p.get("name"): p.get("value") for p in ET.fromstring(out).iter("property")}
        return str(props["decision"])
    if fmt == "sarif":
        return str(json.loads(out)["runs"][0]["properties"]["decision"])
    raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_failing_check_exits_3_and_is_never_shown_as_pass(
    cwd: Path, broken_scorer: None, fmt: str
) -> None:
    # a lenient policy, to be sure it is the error and not the policy that blocks
    res = run(SUPPORTED, "--format", fmt, "--block", "contradicted", "--max-blocking", "9")
    assert res.exit_code == 3, res.output
    assert _decision(fmt, res.stdout) == "block"
    assert "error" in res.stdout
    if fmt == "json":
        data = json.loads(res.stdout)
        assert data["summary"]["error"] == 1 == len(data["claims"])
        assert "scorer exploded" in data["claims"][0]["reason"]


def test_the_other_claims_keep_their_verdicts_when_one_errors(
    cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from checks.scorer import default_scorer

    real = default_scorer()

    class _FailsOnce(Scorer):
        calls = 0

        def predict(self, signals: Any) -> dict[str, float]:
            type(self).calls += 1
            if type(self).calls == 2:
                raise RuntimeError("second claim breaks")
            return super().predict(signals)

    flaky = _FailsOnce(real.features, real.mean, real.scale, real.coef, real.intercept)
    monkeypatch.setattr("checks.cascade._cascade.default_scorer", lambda: flaky)
    res = run(f"{SUPPORTED} {UNRELATED} {CONTRADICTED}", "--json")
    assert res.exit_code == 3
    assert verdicts(res) == ["supported", "error", "contradicted"]


def test_a_crash_outside_the_cascade_exits_3_with_one_line(
    cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(text: str) -> Any:
        raise RuntimeError("extractor crashed")

    monkeypatch.setattr("verify.checker.extract_claims", crash)
    res = run(SUPPORTED)
    assert res.exit_code == 3
    assert "extractor crashed" in one_line_error(res)


# -- formats -----------------------------------------------------------------------------------


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_every_claim(cwd: Path, fmt: str) -> None:
    res = run(f"{SUPPORTED} {CONTRADICTED}", "--format", fmt)
    assert res.exit_code == 1, res.output
    out = res.stdout
    assert _decision(fmt, out) == "block"
    if fmt in ("json", "sarif"):
        data = json.loads(out)
        if fmt == "sarif":
            assert data["version"] == "2.1.0"
            (result,) = data["runs"][0]["results"]  # only the blocking claim is a result
            assert result["properties"]["verdict"] == "contradicted"
            loc = result["locations"][0]["physicalLocation"]
            assert loc["artifactLocation"]["uri"] == "docs/gateway.md"
    elif fmt == "junit":
        root = ET.fromstring(out)
        cases = list(root.iter("testcase"))
        assert len(cases) == 2
        assert [c.find("failure") is not None for c in cases] == [False, True]
    elif fmt == "html":
        page = _Html()
        page.feed(out)
        assert "html" in page.tags and "title" in page.tags
        shown = " ".join(page.text)
        assert "8443" in shown and "9443" in shown
    else:  # text, md
        assert "8443" in out and "9443" in out
        assert "docs/gateway.md" in out.replace("\\", "")
    assert "contradicted" in out


def test_json_has_the_keys_design_md_fixes(cwd: Path) -> None:
    res = run(f"{SUPPORTED} {CONTRADICTED}", "--json")
    data = json.loads(res.stdout)
    assert {"decision", "claims", "summary", "usage"} <= set(data)
    assert data["decision"] in ("pass", "block")
    assert data["summary"] == {"supported": 1, "contradicted": 1, "unverifiable": 0, "error": 0}
    assert set(data["usage"]) >= {"prompt_tokens", "completion_tokens"}
    assert all(isinstance(v, int) for v in data["usage"].values())
    for c in data["claims"]:
        assert {"id", "text", "verdict", "score", "evidence", "reason"} <= set(c)
        assert isinstance(c["id"], str) and isinstance(c["text"], str)
        assert isinstance(c["reason"], str) and c["reason"]
        assert isinstance(c["score"], float) and 0.0 <= c["score"] <= 1.0
        assert c["evidence"], "a decided claim cites its evidence"
        for ev in c["evidence"]:
            assert {"source", "start_line", "end_line", "quote", "chunk_id"} <= set(ev)
            assert isinstance(ev["start_line"], int) and isinstance(ev["end_line"], int)
            assert 1 <= ev["start_line"] <= ev["end_line"]
            assert (
                not Path(ev["source"]).is_absolute() and (cwd / "corpus" / ev["source"]).is_file()
            )
    assert [c["id"] for c in data["claims"]] == ["c1", "c2"]
    assert run(f"{SUPPORTED} {CONTRADICTED}", "--format", "json").stdout == res.stdout


# -- --out -------------------------------------------------------------------------------------


def test_out_writes_the_report_and_nothing_to_stdout(cwd: Path) -> None:
    shown = run(SUPPORTED, "--json").stdout
    res = run(SUPPORTED, "--json", "--out", "report.json")
    assert res.exit_code == 0 and res.stdout == ""
    assert (cwd / "report.json").read_text(encoding="utf-8") == shown
    assert sorted(p.name for p in cwd.iterdir() if p.name.startswith(".report")) == []


def test_out_replaces_an_old_report_whole(cwd: Path) -> None:
    (cwd / "report.md").write_text("old report\n" * 500, encoding="utf-8")
    res = run(CONTRADICTED, "--format", "md", "--out", "report.md")
    assert res.exit_code == 1
    new = (cwd / "report.md").read_text(encoding="utf-8")
    assert "old report" not in new and "9443" in new


def test_a_failed_write_leaves_the_old_report_and_no_temp_file(
    cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (cwd / "report.json").write_text("old\n", encoding="utf-8")

    def no_space(self: Path, target: Any) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", no_space)
    res = run(SUPPORTED, "--json", "--out", "report.json")
    assert res.exit_code != 0, "a report that was not written is never a pass"
    assert res.stdout == ""
    assert (cwd / "report.json").read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in cwd.iterdir() if p.name.endswith(".tmp")] == []


# -- --context: the RAG case, no index needed --------------------------------------------------


def test_context_mode_needs_no_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .verify/index here
    (tmp_path / "shown.txt").write_text(
        "Release notes.\nThe gateway listens on port 8443 for HTTPS traffic.\n", encoding="utf-8"
    )
    (tmp_path / "other.txt").write_text(
        "Audit logs are kept for four hundred days.\n", encoding="utf-8"
    )
    ctx = ["--context", "shown.txt", "--context", "other.txt", "--embedder", FAKE_EMBEDDER]
    ok = run(SUPPORTED, *ctx, "--json")
    assert ok.exit_code == 0, ok.output
    ev = json.loads(ok.stdout)["claims"][0]["evidence"][0]
    assert (ev["source"], ev["start_line"]) == ("shown.txt", 2)
    bad = run(CONTRADICTED, *ctx, "--json")
    assert bad.exit_code == 1 and verdicts(bad) == ["contradicted"]
    absent = run(UNRELATED, *ctx, "--json")
    assert absent.exit_code == 1 and verdicts(absent) == ["unverifiable"]


# -- policy from [tool.verify] and flags -------------------------------------------------------


def _pyproject(cwd: Path, body: str) -> None:
    (cwd / "pyproject.toml").write_text(
        f"[project]\nname = 'x'\n\n[tool.verify]\n{body}\n", encoding="utf-8"
    )


def test_config_block_list_lets_an_unverifiable_claim_pass(cwd: Path) -> None:
    default = run(UNRELATED, "--json")
    assert default.exit_code == 1 and verdicts(default) == ["unverifiable"]
    _pyproject(cwd, 'block = ["contradicted"]')
    relaxed = run(UNRELATED, "--json")
    assert relaxed.exit_code == 0 and verdicts(relaxed) == ["unverifiable"]
    assert json.loads(relaxed.stdout)["decision"] == "pass"
    assert run(CONTRADICTED).exit_code == 1  # what it still blocks, it blocks


def test_the_block_flag_overrides_the_config(cwd: Path) -> None:
    _pyproject(cwd, 'block = ["contradicted"]')
    assert run(UNRELATED, "--block", "contradicted,unverifiable").exit_code == 1
    assert run(UNRELATED, "--block", "contradicted").exit_code == 0


def test_max_blocking_tolerates_that_many(cwd: Path) -> None:
    assert run(CONTRADICTED, "--max-blocking", "1").exit_code == 0
    _pyproject(cwd, "max_blocking = 1")
    assert run(CONTRADICTED).exit_code == 0
    assert run(f"{CONTRADICTED} {UNRELATED}").exit_code == 1


def test_config_embedder_precision_reaches_every_embedder_made(
    cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = record_precisions(monkeypatch)
    _pyproject(cwd, "embedder_precision = 'fp32'")
    (cwd / "context.txt").write_text(SUPPORTED, encoding="utf-8")
    (cwd / "items.jsonl").write_text(
        json.dumps({"id": "a", "text": SUPPORTED, "context": [SUPPORTED]})
    )
    assert run(SUPPORTED, "--context", "context.txt").exit_code == 0
    assert run("--batch", "items.jsonl").exit_code == 0
    built = CliRunner().invoke(cli, ["index", "corpus", "--index", "minilm-index"])
    assert built.exit_code == 0, built.output
    assert built.stdout.rstrip().endswith("(fp32)")  # the summary says what the vectors are in
    found = CliRunner().invoke(cli, ["search", "upload gateway", "--index", "minilm-index"])
    assert found.exit_code == 0, found.output
    Verifier(root=cwd).embedder()
    # --context, --batch, `verify index`, `verify search`, the pytest plugin
    assert made == ["fp32"] * 5
    with Index.open(cwd / "minilm-index") as index:
        assert index.meta["embedder_precision"] == "fp32"


@pytest.mark.parametrize(
    "body, says",
    [
        ('blok = ["contradicted"]', "blok"),
        ('block = "contradicted"', "block"),
        ('block = ["contradicted", "maybe"]', "maybe"),
        ("support_threshold = 'high'", "support_threshold"),
        ("entailment_precision = 'fp16'", "entailment_precision must be one of auto, fp32"),
        ("embedder_precision = 'int8'", "embedder_precision must be one of auto, fp32"),
        ("[[broken", "pyproject.toml"),
    ],
)
def test_a_bad_config_exits_2(cwd: Path, body: str, says: str) -> None:
    _pyproject(cwd, body)
    res = run(SUPPORTED)
    assert res.exit_code == 2, res.output
    assert says in one_line_error(res)


def test_check_has_help(cwd: Path) -> None:
    res = CliRunner().invoke(cli, ["check", "--help"])
    assert res.exit_code == 0
    for option in ("--file", "--context", "--format", "--out", "--judge", "--block"):
        assert option in res.stdout
