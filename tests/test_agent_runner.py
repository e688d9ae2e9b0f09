"""The agent runner with a deterministic backend registered through the backend interface.

``ScriptedBackend`` (tests/fakes.py) hands out queued actions and records what it was asked;
``ScriptedCascade`` labels claims by their words, so each test decides what is true. The
gate's other checks (policy, confinement, consistency) and the ledger are the real ones.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakes import (
    Built,
    FakeJudge,
    HashEmbedder,
    InjectedFault,
    RecordingCallLog,
    ScriptedBackend,
    ScriptedCascade,
    answer,
    command,
    search,
    write,
)

from checks.cascade import Cascade, Policy
from checks.evidence import IndexEvidence
from retrieval import Index
from verify import agent
from verify.agent import (
    ActionChecker,
    AgentRunner,
    Backend,
    CallLog,
    Proposal,
    RunResult,
    Workspace,
    get_backend,
    register_backend,
)
from verify.checker import Checker
from verify.cli import cli
from verify.ledger import Ledger
from verify.policy import BlockPolicy

TRUE = "The gateway listens on port 8443."
TRUE_2 = "Health checks are served on port 9100."
FALSE = "The gateway listens on port 9999."  # ScriptedCascade: contradicted


@pytest.fixture
def index(built_index: Built) -> Index:
    return Index.open(built_index.folder, embedder=HashEmbedder())


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return tmp_path / "ws"


def make_runner(
    backend: Backend,
    index: Index,
    ws: Path,
    *,
    cascade: Cascade | None = None,
    ledger: CallLog | None = None,
    allow: tuple[str, ...] = ("echo", "touch"),
    samples: int = 0,
    max_steps: int = 6,
    run_timeout: float = 60.0,
    embedder: HashEmbedder | None = None,
    **kw: Any,
) -> AgentRunner:
    checker = Checker(cascade or ScriptedCascade(), BlockPolicy())
    precheck = ActionChecker(
        checker, Workspace(ws), allow_commands=list(allow), embedder=embedder or HashEmbedder()
    )
    return AgentRunner(
        backend,
        precheck,
        Workspace(ws),
        index=index,
        ledger=ledger,
        samples=samples,
        max_steps=max_steps,
        run_timeout=run_timeout,
        **kw,
    )


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


# -- the loop -------------------------------------------------------------------------------


def test_a_blocked_action_is_not_executed_and_the_next_proposal_sees_why(
    index: Index, ws: Path
) -> None:
    backend = ScriptedBackend(
        [
            write("notes/port.md", f"{FALSE}\n"),
            command("touch", "made-by-agent", reason=f"Marks the check. {FALSE}"),
            write("notes/port.md", f"{TRUE}\n"),
        ]
    )
    result = make_runner(backend, index, ws).run("write down the gateway port")

    assert [s.check.decision for s in result.steps] == ["block", "block", "pass"]
    assert [s.executed for s in result.steps] == [False, False, True]
    assert (ws / "notes/port.md").read_text(encoding="utf-8") == f"{TRUE}\n"
    assert not (ws / "made-by-agent").exists()  # touch is allowlisted, but was blocked
    # what the model was told after each blocked step: the action and the reasons
    second, third = backend.calls[1], backend.calls[2]
    assert second.history[-1].action == write("notes/port.md", f"{FALSE}\n")
    assert second.history[-1].outcome.startswith("blocked:")
    assert "contradicted" in second.history[-1].outcome and FALSE in second.history[-1].outcome
    assert third.history[-1].outcome.startswith("blocked:") and FALSE in third.history[-1].outcome
    assert len(third.history) == 2
    assert result.decision == "block" and not result.errored and result.verified_actions == 1


def test_a_policy_refusal_reaches_the_agent_too(index: Index, ws: Path) -> None:
    backend = ScriptedBackend(
        [command("rm", "-rf", "notes"), write("../escape.md", TRUE), answer(TRUE)]
    )
    result = make_runner(backend, index, ws).run("clean up")

    assert [s.executed for s in result.steps] == [False, False, True]
    assert "not on the allowlist" in backend.calls[1].history[0].outcome
    assert "climbs out" in backend.calls[2].history[1].outcome
    assert not (ws.parent / "escape.md").exists()
    rules = [f.rule for s in result.steps[:2] for f in s.check.findings]
    assert rules == ["policy/command", "policy/workspace"]


def test_a_malformed_proposal_is_blocked_and_reported_back(index: Index, ws: Path) -> None:
    bad = Proposal(None, "{not json", "fake-agent", 30, 4, error="model output: not JSON")
    backend = ScriptedBackend([bad, answer(TRUE)])
    result = make_runner(backend, index, ws).run("port?")

    assert result.steps[0].check.decision == "block" and not result.steps[0].executed
    assert backend.calls[1].history[0].outcome == "malformed: model output: not JSON"
    assert result.steps[0].to_json()["action"] == {"action": "malformed", "raw": "{not json"}
    assert result.answer == TRUE


@pytest.mark.parametrize("max_steps", [1, 2, 5])
def test_max_steps_bounds_the_proposals(index: Index, ws: Path, max_steps: int) -> None:
    backend = ScriptedBackend([answer(FALSE)] * 10)  # never passes
    result = make_runner(backend, index, ws, max_steps=max_steps).run("port?")

    assert len(backend.calls) == max_steps and len(result.steps) == max_steps
    assert len(backend.script) == 10 - max_steps
    assert result.decision == "block" and result.answer == ""


def test_an_answer_that_passes_ends_the_run(index: Index, ws: Path) -> None:
    backend = ScriptedBackend(
        [answer(FALSE), answer(TRUE), write("late.md", TRUE), search("anything")]
    )
    result = make_runner(backend, index, ws).run("port?")

    assert len(backend.calls) == 2 and len(result.steps) == 2
    assert result.answer == TRUE and result.verified_actions == 1
    assert not (ws / "late.md").exists()
    assert [s.result for s in result.steps] == [
        result.steps[0].result,
        "executed: answer delivered",
    ]


def test_the_backend_running_dry_ends_the_run(index: Index, ws: Path) -> None:
    backend = ScriptedBackend([search("gateway port")])
    result = make_runner(backend, index, ws, max_steps=6).run("port?")
    assert len(backend.calls) == 2 and len(result.steps) == 1  # the second propose said None
    assert result.decision == "pass"


def test_a_search_adds_passages_to_the_context(index: Index, ws: Path) -> None:
    backend = ScriptedBackend([search("how long are raw uploads kept fourteen days"), answer(TRUE)])
    result = make_runner(backend, index, ws).run("Which port does the gateway listen on?")

    before, after = backend.calls[0].context, backend.calls[1].context
    assert after[: len(before)] == before and len(after) > len(before)
    added = after[len(before) :]
    assert any("fourteen days" in passage for passage in added)
    assert result.steps[0].executed and result.steps[0].result == (
        f"executed: {len(added)} passages"
    )


def test_a_blocked_search_adds_nothing(index: Index, ws: Path) -> None:
    backend = ScriptedBackend([search("raw uploads fourteen days"), answer(TRUE)])
    runner = make_runner(backend, index, ws)
    runner.precheck.allow_actions = {"answer"}  # the policy forbids searching
    result = runner.run("port?")
    assert not result.steps[0].executed
    assert backend.calls[1].context == backend.calls[0].context


def test_answers_get_extra_samples_and_write_actions_do_not(index: Index, ws: Path) -> None:
    backend = ScriptedBackend(
        [write("a.md", TRUE), answer(TRUE)],
        sample_texts=[TRUE, "The gateway listens on port 8443 too."],
    )
    result = make_runner(backend, index, ws, samples=2).run("port?")
    assert backend.sample_calls == [("port?", 2)]
    assert set(result.steps[1].check.consistency) == {"answer.c1"}
    assert result.steps[1].check.consistency["answer.c1"] > 0.5


# -- fail closed ----------------------------------------------------------------------------

FAULTS = ["cascade", "policy", "claim_vs_action", "internal", "samples"]
ACTIONS = {
    "answer": answer(TRUE),
    "write_file": write("notes/port.md", TRUE, reason=TRUE),
    "run_command": command("touch", "made-by-agent", reason=TRUE),
}


def _inject(fault: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Make one part of the gate raise; returns runner keyword arguments it needs."""

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise InjectedFault(f"{fault} check broke")

    if fault == "cascade":
        return {"cascade": ScriptedCascade(raise_on="port")}
    if fault == "policy":
        monkeypatch.setattr(ActionChecker, "_policy", boom)
    elif fault == "claim_vs_action":
        monkeypatch.setattr(agent._precheck, "_claim_vs_action", boom)
    elif fault == "internal":
        monkeypatch.setattr(agent._precheck, "_internal_consistency", boom)
    elif fault == "samples":
        return {"samples": 2, "embedder": HashEmbedder(fail_after=0)}
    return {}


@pytest.mark.parametrize(
    ("fault", "kind"),
    [  # only answers are sampled
        (f, k) for f in FAULTS for k in ACTIONS if f != "samples" or k == "answer"
    ],
)
def test_a_gate_check_that_raises_blocks_the_action_and_errors_the_run(
    index: Index, ws: Path, monkeypatch: pytest.MonkeyPatch, fault: str, kind: str
) -> None:
    log = RecordingCallLog()
    backend = ScriptedBackend([ACTIONS[kind], answer(TRUE), write("later.md", TRUE)])
    runner = make_runner(backend, index, ws, ledger=log, **_inject(fault, monkeypatch))
    result = runner.run("port?")

    assert len(result.steps) == 1 and len(backend.calls) == 1  # stopped at the broken check
    step = result.steps[0]
    assert step.check.decision == "block" and not step.executed
    broke = "EmbedderCrashed" if fault == "samples" else "InjectedFault"
    assert step.result.startswith("blocked:") and broke in step.result
    assert [v.label for v in step.check.verdicts] == ["error"]
    assert files_under(ws) == [] and not (ws / "made-by-agent").exists()
    assert result.errored and result.decision == "block"
    assert log.actions[0]["executed"] is False and log.finished[0]["decision"] == "error"
    outcome = result.outcome()
    assert outcome.summary()["error"] == 1 and outcome.decision == "block"


def test_a_slow_model_past_the_run_deadline_acts_on_nothing(index: Index, ws: Path) -> None:
    backend = ScriptedBackend([write("notes/port.md", TRUE)], delay=0.4)
    log = RecordingCallLog()
    result = make_runner(backend, index, ws, ledger=log, run_timeout=0.2).run("port?")

    assert len(result.steps) == 1 and not result.steps[0].executed
    assert not (ws / "notes/port.md").exists()
    assert result.errored and result.decision == "block"
    assert "deadline" in result.steps[0].result
    assert log.finished == [{"run_id": result.run_id, "decision": "error"}]


def test_a_slow_check_past_the_run_deadline_acts_on_nothing(index: Index, ws: Path) -> None:
    backend = ScriptedBackend([command("touch", "made-by-agent", reason=TRUE)])
    cascade = ScriptedCascade(delay=0.4)
    result = make_runner(backend, index, ws, cascade=cascade, run_timeout=0.2).run("port?")
    assert cascade.seen == [TRUE]  # the check ran, and passed, but too late
    assert not result.steps[0].executed and not (ws / "made-by-agent").exists()
    assert result.errored


def test_the_deadline_stops_the_loop_between_steps(index: Index, ws: Path) -> None:
    backend = ScriptedBackend([search("gateway"), write("notes/port.md", TRUE)])
    result = make_runner(
        backend, index, ws, run_timeout=0.2, on_step=lambda step: time.sleep(0.4)
    ).run("port?")
    assert len(backend.calls) == 1 and len(result.steps) == 1
    assert result.errored and "deadline" in result.error
    assert not (ws / "notes/port.md").exists()
    assert result.outcome().summary()["error"] == 1
    assert result.outcome().extra["error"] == result.error


def test_several_runs_report_together_with_a_stopped_one_as_an_error(
    index: Index, ws: Path
) -> None:
    done = make_runner(ScriptedBackend([answer(TRUE)]), index, ws).run("port?")
    stopped = make_runner(
        ScriptedBackend([search("gateway"), answer(TRUE)]),
        index,
        ws,
        run_timeout=0.2,
        on_step=lambda step: time.sleep(0.4),
    ).run("port?")
    assert not done.errored and stopped.errored

    outcome = agent.runs_outcome([done, stopped])
    assert outcome.decision == "block"
    assert outcome.summary()["error"] == 1  # the stopped run's deadline, as in `verify run`
    assert [r["error"] for r in outcome.extra["runs"]] == ["", stopped.error]
    assert [s["run_id"] for s in outcome.extra["steps"]] == [done.run_id, stopped.run_id]
    assert outcome.extra["verified_actions"] == done.verified_actions + stopped.verified_actions
    assert agent.runs_outcome([done]).decision == done.decision


def test_a_crashing_backend_still_closes_the_run_in_the_ledger(index: Index, ws: Path) -> None:
    class Crashing(ScriptedBackend):
        def propose(self, *args: Any, **kwargs: Any) -> Proposal | None:
            raise InjectedFault("model crashed")

    log = RecordingCallLog()
    with pytest.raises(InjectedFault):
        make_runner(Crashing([]), index, ws, ledger=log).run("port?")
    assert len(log.runs) == 1 and log.finished[0]["decision"] == "error"


# -- the ledger: one row per model call, with the backend's tokens ----------------------------

SCRIPT = [search("gateway port"), answer(FALSE), write("notes/port.md", TRUE), answer(TRUE)]


def _expected_calls(backend: ScriptedBackend) -> list[tuple[str, int, int]]:
    return [(purpose, p.prompt_tokens, p.completion_tokens) for purpose, p in backend.handed]


def test_the_call_log_gets_one_record_per_model_call(index: Index, ws: Path) -> None:
    backend = ScriptedBackend(list(SCRIPT))
    log = RecordingCallLog()
    result = make_runner(backend, index, ws, ledger=log, samples=2).run("port?")

    # 4 agent calls, and 2 samples for each of the 2 answers
    assert [purpose for purpose, _ in backend.handed].count("sample") == 4
    got = [(c["purpose"], c["prompt_tokens"], c["completion_tokens"]) for c in log.calls]
    assert sorted(got) == sorted(_expected_calls(backend)) and len(got) == 8
    assert [c["step"] for c in log.calls if c["purpose"] == "agent"] == [1, 2, 3, 4]
    assert [a["executed"] for a in log.actions] == [True, False, True, True]
    assert {c["run_id"] for c in log.calls} == {result.run_id}
    by_purpose = result.usage_by_purpose
    assert by_purpose["agent"].prompt_tokens == sum(
        p.prompt_tokens for purpose, p in backend.handed if purpose == "agent"
    )
    assert by_purpose["sample"].completion_tokens == sum(
        p.completion_tokens for purpose, p in backend.handed if purpose == "sample"
    )


def test_the_sqlite_ledger_gets_one_row_per_model_call(
    index: Index, ws: Path, tmp_path: Path
) -> None:
    backend = ScriptedBackend(list(SCRIPT))
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        result = make_runner(backend, index, ws, ledger=ledger, samples=2).run("port?")
        rows = ledger.execute(
            "SELECT c.purpose, c.prompt_tokens, c.completion_tokens, c.step, c.verdict"
            " FROM calls c JOIN runs r ON c.run = r.id WHERE r.run_id = ? ORDER BY c.id",
            (result.run_id,),
        )
        actions = ledger.execute("SELECT step, kind, decision, executed FROM actions ORDER BY id")
        run = ledger.execute("SELECT decision, finished_at IS NOT NULL FROM runs")

    assert sorted(r[:3] for r in rows) == sorted(_expected_calls(backend))
    assert len(rows) == len(backend.handed) == 8
    assert [r[4] for r in rows if r[0] == "agent"] == ["pass", "block", "pass", "pass"]
    assert actions == [
        (1, "search", "pass", 1),
        (2, "answer", "block", 0),
        (3, "write_file", "pass", 1),
        (4, "answer", "pass", 1),
    ]
    assert run == [("block", 1)]


def test_each_judge_call_is_its_own_ledger_row(
    built_index: Built, ws: Path, tmp_path: Path
) -> None:
    embedder = HashEmbedder()
    index = Index.open(built_index.folder, embedder=embedder)
    judge = FakeJudge(default="supported")
    # the judge is asked about every claim without a value conflict
    cascade = Cascade(IndexEvidence(index), judge=judge, policy=Policy(judge_band=(0.0, 1.0)))
    backend = ScriptedBackend([answer(f"{TRUE} {TRUE_2}")])
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        result = make_runner(backend, index, ws, cascade=cascade, ledger=ledger).run("port?")
        rows = ledger.execute(
            "SELECT purpose, model, prompt_tokens, completion_tokens"
            " FROM calls WHERE purpose = 'judge' ORDER BY id"
        )

    assert len(judge.usages) == 2  # one question per claim
    assert rows == [
        ("judge", "FakeJudge", u.prompt_tokens, u.completion_tokens) for u in judge.usages
    ]
    judged = result.usage_by_purpose["judge"]
    assert judged.prompt_tokens == sum(u.prompt_tokens for u in judge.usages)


def test_replayed_usage_lands_in_the_ledger(index: Index, ws: Path, tmp_path: Path) -> None:
    lines = [
        {
            "action": "search",
            "query": "port",
            "model": "elsewhere",
            "usage": {"prompt_tokens": 321, "completion_tokens": 12},
        },
        {"action": "answer", "text": TRUE},
    ]  # no usage: zero tokens, still one row
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    log = RecordingCallLog()
    make_runner(agent.ReplayBackend(path), index, ws, ledger=log, samples=2).run("t")
    assert [(c["model"], c["prompt_tokens"], c["completion_tokens"]) for c in log.calls] == [
        ("elsewhere", 321, 12),
        ("replay", 0, 0),
    ]


# -- `verify run` through the CLI, with the fake registered as a backend ----------------------


@pytest.fixture
def registered() -> Iterator[dict[str, ScriptedBackend]]:
    """Backends by name, registered through ``register_backend`` for ``--model NAME``."""
    made: dict[str, ScriptedBackend] = {}

    def add(name: str, backend: ScriptedBackend) -> None:
        made[name] = backend
        register_backend(name, lambda: backend)

    add("fake-pass", ScriptedBackend([write("notes/port.md", f"{TRUE}\n"), answer(TRUE)]))
    add("fake-block", ScriptedBackend([write("notes/port.md", f"{FALSE}\n")]))
    add("fake-slow", ScriptedBackend([write("notes/port.md", f"{TRUE}\n")], delay=0.5))
    yield made


def verify_run(name: str, built: Built, root: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "what port?",
            "--model",
            name,
            "--index",
            str(built.folder),
            "--workspace",
            str(root / "ws"),
            "--ledger",
            str(root / "ledger.db"),
            "--json",
            "-q",
            *extra,
        ],
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def scripted_checker(monkeypatch: pytest.MonkeyPatch) -> None:
    """`verify run` builds its checker with the scripted cascade (the real policy)."""

    def build(evidence: Any, config: Any, **kw: Any) -> Checker:
        return Checker(ScriptedCascade(), BlockPolicy.from_config(config))

    monkeypatch.setattr(Checker, "build", build)


def test_get_backend_finds_a_registered_fake(registered: dict[str, ScriptedBackend]) -> None:
    assert get_backend("fake-pass") is registered["fake-pass"]


@pytest.mark.usefixtures("scripted_checker")
def test_verify_run_passes_and_acts(
    registered: dict[str, ScriptedBackend],
    built_index: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = verify_run("fake-pass", built_index, tmp_path)
    assert code == 0, err
    data = json.loads(out)
    assert [s["executed"] for s in data["steps"]] == [True, True]
    assert data["verified_actions"] == 2
    assert (tmp_path / "ws/notes/port.md").read_text(encoding="utf-8") == f"{TRUE}\n"


@pytest.mark.usefixtures("scripted_checker")
def test_verify_run_blocks_with_exit_1(
    registered: dict[str, ScriptedBackend],
    built_index: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = verify_run("fake-block", built_index, tmp_path)
    assert code == 1, err
    assert json.loads(out)["steps"][0]["executed"] is False
    assert not (tmp_path / "ws/notes/port.md").exists()


def test_verify_run_exits_3_when_a_check_raises(
    registered: dict[str, ScriptedBackend],
    built_index: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)

    def broken(self: Checker, text: str) -> Any:
        raise InjectedFault("claim checker broke")

    monkeypatch.setattr(Checker, "check_text", broken)
    code, out, err = verify_run("fake-pass", built_index, tmp_path)
    assert code == 3, err
    data = json.loads(out)
    assert data["decision"] == "block" and data["summary"]["error"] == 1
    step = data["steps"][0]
    assert step["decision"] == "block" and step["executed"] is False
    assert "claim checker broke" in step["claims"][0]["reason"]
    assert not (tmp_path / "ws").exists() or files_under(tmp_path / "ws") == []
    assert len(data["steps"]) == 1  # nothing after the broken check


@pytest.mark.usefixtures("scripted_checker")
def test_verify_run_exits_3_past_the_configured_run_timeout(
    registered: dict[str, ScriptedBackend],
    built_index: Built,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "verify.toml").write_text("run_timeout = 0.2\n", encoding="utf-8")
    code, out, err = verify_run("fake-slow", built_index, tmp_path)
    assert code == 3, err
    data = json.loads(out)
    assert data["steps"][0]["executed"] is False and "deadline" in data["steps"][0]["result"]
    assert not (tmp_path / "ws/notes/port.md").exists()
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        assert ledger.execute("SELECT decision FROM runs") == [("error",)]


def test_verify_run_exits_3_when_the_model_crashes(
    built_index: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Crashing(ScriptedBackend):
        def propose(self, *args: Any, **kwargs: Any) -> Proposal | None:
            raise InjectedFault("model crashed")

    register_backend("fake-crash", lambda: Crashing([]))
    monkeypatch.chdir(tmp_path)
    code, out, err = verify_run("fake-crash", built_index, tmp_path)
    assert code == 3 and out == ""
    assert err.strip() == "verify: error: model crashed"


def test_run_result_without_steps_never_passes() -> None:
    assert RunResult("r", "t", "a").decision == "block"


def test_verify_demo_runs_a_registered_agent_and_the_recorded_transcript(
    registered: dict[str, ScriptedBackend], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``verify demo`` end to end on the bundled corpus and real embedder, the agent being a
    scripted backend registered by name (the path a plugin's agent takes)."""
    registered["fake-demo"] = ScriptedBackend(
        [answer("The Ingot upload gateway listens on port 9999.")]  # the corpus says 8443
    )
    register_backend("fake-demo", lambda: registered["fake-demo"])
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["demo", "--model", "fake-demo", "--tasks", "1", "--workdir", "w", "--json", "-q"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    runs = out["runs"]
    assert len(runs) == 2 and runs[1]["agent"] == "replay"  # the task, then the transcript
    assert runs[0]["decision"] == "block"  # the false port was caught
    assert out["decision"] == "block" and out["summary"]["contradicted"] >= 1
    assert {s["run_id"] for s in out["steps"]} == {r["run_id"] for r in runs}
    report = Path(out["report"])
    assert report.is_file() and "9999" in report.read_text(encoding="utf-8")
