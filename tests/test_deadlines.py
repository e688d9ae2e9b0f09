"""A model call that stalls is stopped at its deadline, not waited for.

Two kinds of stalled model, each registered through ``register_generator`` (the path
``--judge NAME`` and ``--model NAME`` take):

- ``stalled``: a generator that cannot be interrupted (it sleeps two minutes and never looks
  at a clock); ``generate_within`` runs its call in a worker process and kills it;
- ``rambling``: the real bundled SmolLM2 under a grammar that never lets it finish; the
  llama.cpp generator stops itself at the deadline between two tokens.

For the judge (``verify check --judge``) and for the agent's backend (``verify run --model``),
the command must exit 3 well before the stalled call would have ended, print an ``error``
verdict whose reason names the stage and the deadline, and (for the agent) run no action. A
control with a judge that answers at once proves the claim does reach the judge. The margin is
generous (the stall lasts two minutes, the deadline is a second or two, and the command may
take up to half the stall): this checks that the call is interrupted, not how fast anything is.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FAKE_ENTAILMENT, HashEmbedder, write_corpus
from robustness import tally

import retrieval
from checks import CheckTimeout
from checks.llm import (
    Generation,
    Generator,
    LlamaCppGenerator,
    Message,
    generate_within,
    register_generator,
)
from verify.cli import cli

#: Supported by the test corpus, and inside the judge's band with the fake entailment model.
CLAIM = "The gateway uses port 8443."
STALL = 120.0  # seconds a stalled call would take (the rambling model: many minutes)
DEADLINE = 2.0  # the per-claim deadline (the judge meets it first)
RUN_DEADLINE = 3.0  # the per-run deadline (the agent's)
#: A command that took less than this did not wait for its stalled model. Generous: loading
#: the model, forking and killing take seconds on a busy two-core machine, and the whole
#: command is timed, not the model call alone.
PATIENCE = STALL / 2


class Stalled(Generator):
    """A model that hangs: it answers after two minutes and cannot be told to stop."""

    name = "stalled"

    def generate(
        self,
        messages: Sequence[Message],
        *,
        grammar: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> Generation:
        time.sleep(STALL)
        return Generation('{"verdict": "supported", "why": "late"}', 10, 5, self.name)


class Prompt(Generator):
    """A judge that answers at once (the control)."""

    name = "prompt"

    def generate(
        self,
        messages: Sequence[Message],
        *,
        grammar: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> Generation:
        return Generation('{"verdict": "supported", "why": "stated"}', 10, 5, self.name)


class Rambling(LlamaCppGenerator):
    """The bundled SmolLM2 made to write digits for ever: its grammar has no end."""

    def generate(
        self,
        messages: Sequence[Message],
        *,
        grammar: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
        timeout: float | None = None,
    ) -> Generation:
        return super().generate(
            messages, grammar="root ::= [0-9] root", max_tokens=100_000, timeout=timeout
        )


@pytest.fixture(autouse=True)
def models() -> None:
    retrieval.register_embedder("fake-hash", HashEmbedder)
    register_generator("stalled", Stalled)
    register_generator("prompt", Prompt)
    register_generator("rambling", lambda: Rambling(n_ctx=8192))


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_corpus(tmp_path / "corpus")
    retrieval.build_index([tmp_path / "corpus"], tmp_path / "index", HashEmbedder())
    (tmp_path / "verify.toml").write_text(
        f'entailment = "{FAKE_ENTAILMENT}"\n'
        f"claim_timeout = {DEADLINE}\nrun_timeout = {RUN_DEADLINE}\n"
        'allow_commands = ["touch"]\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(world: Path, judge: str) -> tuple[Result, float]:
    t0 = time.monotonic()
    result = CliRunner().invoke(
        cli, ["check", CLAIM, "--index", str(world / "index"), "--judge", judge, "--json"]
    )
    return result, time.monotonic() - t0


def run(world: Path, model: str) -> tuple[Result, float]:
    t0 = time.monotonic()
    result = CliRunner().invoke(
        cli,
        [
            "run", "Which port does the gateway use? Then touch ran.txt.", "--model", model,
            "--index", str(world / "index"), "--workspace", str(world / "ws"),
            "--ledger", str(world / "ledger.db"), "--json", "-q",
        ],
    )  # fmt: skip
    return result, time.monotonic() - t0


def stalled(result: Result, seconds: float) -> str:
    """The one ``error`` verdict's reason, after counting the case and checking the exit code,
    the JSON and the time taken."""
    late = seconds >= PATIENCE
    tally("deadlines", cases=1, faults=1, crashes=int(result.exit_code != 3), late=int(late))
    assert not late, f"waited {seconds:.1f}s for a stalled model"
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    assert data["decision"] == "block"
    errors = [c for c in data["claims"] if c["verdict"] == "error"]
    assert len(errors) == 1, data["claims"]
    return str(errors[0]["reason"])


def test_the_control_judge_is_asked_and_the_claim_passes(world: Path) -> None:
    result, _ = check(world, "prompt")
    assert result.exit_code == 0, result.output
    claim = json.loads(result.stdout)["claims"][0]
    assert claim["verdict"] == "supported" and "judge: supported" in claim["reason"]


def test_a_judge_that_hangs_is_killed_at_the_claim_deadline(world: Path) -> None:
    result, seconds = check(world, "stalled")
    reason = stalled(result, seconds)
    assert "judge" in reason and "per-claim deadline" in reason and "killed" in reason
    assert "error" in result.stderr and "judge" in result.stderr


@pytest.mark.model
def test_the_real_model_rambling_as_judge_is_stopped_at_the_claim_deadline(world: Path) -> None:
    result, seconds = check(world, "rambling")
    reason = stalled(result, seconds)
    assert "judge" in reason and "per-claim deadline" in reason and "stopped" in reason


def test_an_agent_model_that_hangs_is_killed_at_the_run_deadline(world: Path) -> None:
    result, seconds = run(world, "stalled")
    reason = stalled(result, seconds)
    assert "proposal" in reason and "deadline" in reason and "killed" in reason
    assert not (world / "ws" / "ran.txt").exists()


@pytest.mark.model
def test_the_real_model_rambling_as_agent_is_stopped_at_the_run_deadline(world: Path) -> None:
    result, seconds = run(world, "rambling")
    reason = stalled(result, seconds)
    assert "proposal" in reason and "deadline" in reason and "stopped" in reason


# -- generate_within itself --------------------------------------------------------------------


class Failing(Generator):
    name = "failing"

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def generate(self, messages: Sequence[Message], **options: Any) -> Generation:
        raise self.exc


class Dying(Generator):
    name = "dying"

    def generate(self, messages: Sequence[Message], **options: Any) -> Generation:
        os._exit(7)


MESSAGES: list[Message] = [{"role": "user", "content": "hi"}]


def test_an_answer_within_the_deadline_comes_back_from_the_worker() -> None:
    gen = generate_within(Prompt(), MESSAGES, timeout=30.0)
    assert gen.text.startswith('{"verdict": "supported"') and gen.prompt_tokens == 10


def test_an_error_in_the_worker_is_raised_here_as_itself() -> None:
    with pytest.raises(MemoryError):
        generate_within(Failing(MemoryError()), MESSAGES, timeout=30.0)
    with pytest.raises(ValueError, match="bad grammar"):
        generate_within(Failing(ValueError("bad grammar")), MESSAGES, timeout=30.0)


def test_a_worker_that_dies_without_answering_is_an_error_naming_the_model() -> None:
    from checks import CheckError

    with pytest.raises(CheckError, match=r"'dying' died in its worker process \(exit code 7\)"):
        generate_within(Dying(), MESSAGES, timeout=30.0)


def test_no_time_left_means_the_model_is_not_asked() -> None:
    with pytest.raises(CheckTimeout, match="no time was left"):
        generate_within(Stalled(), MESSAGES, timeout=0.0)


def test_without_a_deadline_the_call_runs_in_this_process() -> None:
    calls: list[int] = []

    class Counting(Prompt):
        def generate(self, messages: Sequence[Message], **options: Any) -> Generation:
            calls.append(os.getpid())
            return super().generate(messages, **options)

    generate_within(Counting(), MESSAGES, timeout=None)
    assert calls == [os.getpid()]
