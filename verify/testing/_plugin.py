"""The pytest plugin shipped with verify (entry point ``pytest11``: ``verify``).

Off unless used: loading it registers four options, a marker and two fixtures and makes a
``Verifier`` that has read nothing yet; no model library, index or config is touched until a
test checks a text. ``-p no:verify`` leaves it out altogether.

- fixtures ``verifier`` (the session's ``Verifier``) and ``verify_context`` (passages ->
  ``Context``), both session-scoped;
- ``@pytest.mark.grounded(context=..., index=..., block=..., question=...)``: the test's
  return value, or the answers it handed to ``verifier.capture``, must be grounded;
- ``--verify-index DIR``, ``--verify-report FILE`` (every check of the session, in the format
  the suffix names), ``--verify-ledger DB`` (the session as one run of the token ledger),
  ``--verify-judge GGUF``.

Only this module and what it imports at the top load with every pytest session: keep
both free of ``verify.checker``, ``retrieval`` and model libraries.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from ._context import Context, Passages
from ._report import REPORT_FORMATS, report_format, write_report
from ._session import Verifier, activate, deactivate

__all__: list[str] = []  # hooks and fixtures only; pytest finds them by name

_VERIFIER = pytest.StashKey[Verifier]()
_NOTES = pytest.StashKey[list[str]]()  # lines for the terminal summary; "verify: error" fails
_MARKER_KEYS = ("context", "index", "block", "question")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("verify", "grounding checks (verify.testing; docs/pytest.md)")
    group.addoption(
        "--verify-index",
        metavar="DIR",
        default=None,
        help="Index that assert_grounded checks against [default: `index` in [tool.verify], "
        "else .verify/index].",
    )
    group.addoption(
        "--verify-report",
        metavar="FILE",
        default=None,
        help="Write every claim checked in the session to FILE, in the format its suffix "
        f"names: {', '.join(REPORT_FORMATS)} (.xml: JUnit).",
    )
    group.addoption(
        "--verify-ledger",
        metavar="DB",
        default=None,
        help="Record the session's checks and the model calls tests report in this token "
        "ledger, for `verify usage`.",
    )
    group.addoption(
        "--verify-judge",
        metavar="GGUF",
        default=None,
        help="Ask this llama.cpp model (or registered generator) about claims the scorer is "
        "unsure of, as `verify check --judge`.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "grounded(context=None, index=None, block=None, question=None): the test's return "
        "value (or the answers it passes to verifier.capture) must be grounded, as "
        "assert_grounded checks it",
    )
    report = config.getoption("verify_report")
    if report is not None:
        try:
            report_format(Path(report))
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    judge = config.getoption("verify_judge")
    if judge is not None:  # a model file that cannot be read stops the session before tests
        from ..checker import judge_from
        from ..errors import InputError

        try:
            judge_from(judge)
        except InputError as exc:
            raise pytest.UsageError(str(exc).replace("--judge", "--verify-judge", 1)) from None
    invoked = config.invocation_params.dir

    def given(name: str) -> Path | None:
        value = config.getoption(name)
        return None if value is None else invoked / value

    verifier = Verifier(
        # [tool.verify] beside pytest's own config file, else where pytest runs (as `verify`)
        root=config.inipath.parent if config.inipath else invoked,
        index=given("verify_index"),
        judge=judge,
        ledger=given("verify_ledger"),
        task=" ".join(["pytest", *config.invocation_params.args]),
    )
    config.stash[_VERIFIER] = verifier
    config.stash[_NOTES] = []
    activate(verifier)


@pytest.fixture(scope="session")
def verifier(pytestconfig: pytest.Config) -> Verifier:
    """The session's ``Verifier``: ``check``, ``assert_grounded``, ``index()``,
    ``record_call`` and ``capture``."""
    return pytestconfig.stash[_VERIFIER]


@pytest.fixture(scope="session")
def verify_context(verifier: Verifier) -> Callable[[Passages], Context]:
    """``verify_context(passages)``: a ``Context`` to check texts against those passages
    only (the RAG case), embedded once: ``verify_context(docs).assert_grounded(answer)``."""
    return verifier.context


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """Checks made while ``item`` runs are its own (in the report and the ledger)."""
    verifier = item.config.stash[_VERIFIER]
    verifier.begin_test(item.nodeid)
    try:
        return (yield)
    finally:
        try:
            verifier.end_test()
        except Exception as exc:  # the ledger failed: the session must not pass
            _problem(item.config, f"--verify-ledger: {type(exc).__name__}: {exc}")


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    """For a ``grounded`` test: run it keeping its return value, then check that (or what
    it captured) with the marker's arguments."""
    marker = pyfuncitem.get_closest_marker("grounded")
    if marker is None:
        return (yield)
    __tracebackhide__ = True
    options = _marker_options(marker)
    verifier = pyfuncitem.config.stash[_VERIFIER]
    verifier.expect_answers()
    test = pyfuncitem.obj
    returned: list[object] = []

    def keep_return(*args: Any, **kwargs: Any) -> None:
        returned.append(test(*args, **kwargs))

    pyfuncitem.obj = keep_return
    try:
        result = yield
    finally:
        pyfuncitem.obj = test
    returned_text = returned[0] if returned else None
    answers = _answers(returned_text, verifier.captured())
    for n, answer in enumerate(answers):
        what = "the answer the test returned" if n == 0 and returned_text else "a captured answer"
        outcome = verifier.check(answer, **options)
        verifier.fail_unless_grounded(
            outcome, block=options.get("block"), what=f"@pytest.mark.grounded: {what}"
        )
    return result


def _marker_options(marker: pytest.Mark) -> dict[str, Any]:
    if marker.args:
        pytest.fail(
            "@pytest.mark.grounded takes keyword arguments only: "
            f"{', '.join(_MARKER_KEYS)} (as assert_grounded)",
            pytrace=False,
        )
    unknown = sorted(set(marker.kwargs) - set(_MARKER_KEYS))
    if unknown:
        pytest.fail(
            f"@pytest.mark.grounded: unknown argument(s) {', '.join(unknown)}; "
            f"use {', '.join(_MARKER_KEYS)}",
            pytrace=False,
        )
    return dict(marker.kwargs)


def _answers(returned: object, captured: list[str]) -> list[str]:
    if isinstance(returned, str):
        return [returned, *captured]
    if returned is not None:
        pytest.fail(
            f"@pytest.mark.grounded: the test returned {type(returned).__name__}; return the "
            "answer text (or pass it to verifier.capture)",
            pytrace=False,
        )
    if not captured:
        pytest.fail(
            "@pytest.mark.grounded: nothing to check; return the answer text from the test, "
            "or pass it to verifier.capture(text)",
            pytrace=False,
        )
    return captured


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """End the ledger run and write the report; a failure of either fails the session."""
    config = session.config
    verifier = config.stash.get(_VERIFIER, None)
    if verifier is None:
        return
    try:
        verifier.close()
    except Exception as exc:
        _problem(config, f"--verify-ledger: {type(exc).__name__}: {exc}")
    report = config.getoption("verify_report")
    if report is not None:
        path = config.invocation_params.dir / report
        try:
            write_report(path, verifier.checked)
        except Exception as exc:
            _problem(config, f"--verify-report {report}: {type(exc).__name__}: {exc}")
        else:
            claims = sum(len(c.outcome.verdicts) for c in verifier.checked)
            config.stash[_NOTES].append(
                f"verify: {claims} claim(s) of {len(verifier.checked)} check(s) written to {path}"
            )
    if any(n.startswith("verify: error") for n in config.stash[_NOTES]):
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR


def _problem(config: pytest.Config, message: str) -> None:
    config.stash[_NOTES].append(f"verify: error: {message}")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    for note in config.stash.get(_NOTES, []):
        terminalreporter.write_line(note, red=note.startswith("verify: error"))


def pytest_unconfigure(config: pytest.Config) -> None:
    verifier = config.stash.get(_VERIFIER, None)
    if verifier is not None:
        deactivate(verifier)
