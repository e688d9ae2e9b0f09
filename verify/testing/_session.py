"""``Verifier``: one session's checker, its models loaded lazily and once, its checks kept.

The pytest plugin makes one per session (the ``verifier`` fixture) and makes it current, so
that ``assert_grounded`` anywhere in the session uses it; outside pytest, the first
``assert_grounded`` makes a default one from the ``[tool.verify]`` config of the working
folder. Nothing is imported, loaded or opened before the first check: the embedder (one per
model name, shared by every index and context), each index (opened once per folder), the
entailment model (``verify.checker.entailment_model``, one per process) and the judge.
Verdicts come from the same cascade as ``verify check``, built by
``verify.checker.make_cascade`` with the config's thresholds and timeouts; which verdicts
block is the config's block policy unless a check passes its own ``block``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ._context import Context, Passages
from ._failure import GroundingError, failure_message
from ._ledger import ModelCall, SessionLedger
from ._report import Checked

if TYPE_CHECKING:
    from checks.evidence import EvidenceSource
    from checks.judge import Judge
    from reports import Outcome
    from retrieval import Embedder, Index

    from ..config import Config
    from ..policy import BlockPolicy

__all__ = ["Block", "Verifier", "activate", "current_verifier", "deactivate"]

#: Verdicts that block for one check: labels, or one comma-separated string; None: the config's.
Block = Iterable[str] | str | None


class Verifier:
    """Checks texts against an index or given passages and keeps every outcome.

    ``root``: where ``[tool.verify]`` (``pyproject.toml``) or ``verify.toml`` is read, and
    what a relative ``index`` there is relative to [default: the working folder]. ``index``:
    the default index folder (``--verify-index``) [default: the config's ``index``].
    ``judge``: an LLM judge for uncertain claims, as ``verify check --judge``. ``ledger``:
    record the session in this ledger (``--verify-ledger``). ``task``: the run's task there.
    """

    def __init__(
        self,
        *,
        root: Path | None = None,
        index: Path | None = None,
        judge: str | None = None,
        ledger: Path | None = None,
        task: str = "pytest session",
    ) -> None:
        self.root = root or Path.cwd()
        self._index_dir = index
        self.judge_name = judge
        self.ledger_path = ledger
        self.task = task
        self.checked: list[Checked] = []
        self._config: Config | None = None
        self._embedders: dict[str, Embedder] = {}
        self._indexes: dict[Path, Index] = {}
        self._judge: Judge | None = None
        self._ledger: SessionLedger | None = None
        self._test: str | None = None
        self._checks_in_test = 0
        self._calls: list[ModelCall] = []
        self._grounded = False
        self._captured: list[str] = []

    # ------------------------------------------------------------------ what it checks with

    @property
    def config(self) -> Config:
        """The ``[tool.verify]`` config of ``root``, read at first use (installed plugins are
        loaded then too, as the CLI loads them)."""
        if self._config is None:
            from ..config import load_config
            from ..plugins import load_plugins

            load_plugins()
            self._config = load_config(self.root)
        return self._config

    @property
    def index_dir(self) -> Path:
        """The default index folder: ``index`` given, else the config's, under ``root``."""
        return self._index_dir or self.root / str(self.config["index"])

    def embedder(self, name: str | None = None) -> Embedder:
        """The embedder ``name`` names [default: the config's], one instance per name."""
        name = name or str(self.config["embedder"])
        if name not in self._embedders:
            from retrieval import get_embedder

            precision = str(self.config["embedder_precision"])
            self._embedders[name] = get_embedder(name, precision=precision)
        return self._embedders[name]

    def index(self, folder: str | Path | None = None) -> Index:
        """The index at ``folder`` [default: ``index_dir``], opened once per session with the
        session's embedder of its model. A folder with no index is an ``InputError`` naming
        it and the fix."""
        from retrieval import RetrievalError

        from ..checker import open_index
        from ..errors import InputError

        path = Path(folder) if folder is not None else self.index_dir
        key = path.resolve()
        if key not in self._indexes:
            try:
                self._indexes[key] = open_index(path, self.embedder(), self.embedder)
            except RetrievalError as exc:
                if not exc.user_error:
                    raise
                raise InputError(
                    f"{exc} (or point --verify-index, `index` in [tool.verify] or index= at "
                    "an index that exists)"
                ) from exc
        return self._indexes[key]

    def context(self, passages: Passages) -> Context:
        """``passages`` to check texts against (the ``verify_context`` fixture)."""
        return Context(self, passages)

    def _judge_model(self) -> Judge | None:
        if self.judge_name and self._judge is None:
            from ..checker import judge_from

            self._judge = judge_from(self.judge_name)
        return self._judge

    # ------------------------------------------------------------------ checking

    def check(
        self,
        text: str,
        *,
        context: Context | Passages | None = None,
        index: str | Path | Index | None = None,
        block: Block = None,
        question: str | None = None,
    ) -> Outcome:
        """The claims of ``text`` and their verdicts, against ``context`` (passages: the RAG
        case) or ``index`` (a folder or an open index) [default: the session's index], read as
        the answer to ``question`` if given. ``block``: the verdicts that block [default: the
        config's ``block``; ``error`` always blocks]. The outcome is kept for the report and
        written to the ledger. Bad input (no text, both ``context`` and ``index``, an unknown
        verdict, a missing index) is an ``InputError`` or ``TypeError``."""
        from ..checker import Checker, make_cascade

        gate, evidence = self._prepare(text, context, index, block)
        started = time.monotonic()
        cascade = make_cascade(evidence, self.config, judge=self._judge_model(), started=started)
        outcome = Checker(cascade, gate).check_text(text, question)
        self._keep(outcome, time.monotonic() - started)
        return outcome

    def assert_grounded(
        self,
        text: str,
        *,
        context: Context | Passages | None = None,
        index: str | Path | Index | None = None,
        block: Block = None,
        question: str | None = None,
    ) -> Outcome:
        """``check``, then raise ``GroundingError`` (an ``AssertionError``) unless every claim
        is within policy: a claim whose verdict blocks, or any ``error`` verdict (a model
        failure or a timeout), fails. Returns the outcome when it passes."""
        __tracebackhide__ = True
        outcome = self.check(text, context=context, index=index, block=block, question=question)
        return self.fail_unless_grounded(outcome, block=block)

    def fail_unless_grounded(
        self, outcome: Outcome, *, block: Block = None, what: str = "assert_grounded"
    ) -> Outcome:
        """``outcome`` if it passed, else ``GroundingError`` whose message begins with
        ``what`` (the assertion that failed) and shows every claim."""
        __tracebackhide__ = True
        if outcome.decision != "pass":
            raise GroundingError(failure_message(outcome, self._gate(block), what=what), outcome)
        return outcome

    def _gate(self, block: Block) -> BlockPolicy:
        from ..policy import BlockPolicy

        labels = [b.strip() for b in block.split(",")] if isinstance(block, str) else block
        return BlockPolicy.from_config(self.config, block=labels)

    def _prepare(
        self,
        text: str,
        context: Context | Passages | None,
        index: str | Path | Index | None,
        block: Block,
    ) -> tuple[BlockPolicy, EvidenceSource]:
        from checks.evidence import IndexEvidence
        from retrieval import Index

        from ..errors import InputError

        if not isinstance(text, str):
            raise TypeError(f"the text to check must be a str, not {type(text).__name__}")
        if not text.strip():
            raise InputError("the text to check is empty: nothing to check")
        if context is not None and index is not None:
            raise InputError("give context= (passages) or index= (an index), not both")
        gate = self._gate(block)
        if context is not None:
            bound = context if isinstance(context, Context) else Context(self, context)
            return gate, bound.evidence()
        opened = index if isinstance(index, Index) else self.index(index)
        return gate, IndexEvidence(opened)

    def _keep(self, outcome: Outcome, seconds: float) -> None:
        self._checks_in_test += 1
        if self._test is None:
            label = f"check {len(self.checked) + 1}"
        elif self._checks_in_test > 1:
            label = f"{self._test}#{self._checks_in_test}"
        else:
            label = self._test
        self.checked.append(Checked(label, outcome))
        ledger = self._session_ledger()
        calls, self._calls = self._calls, []
        if ledger is not None:
            ledger.record_check(
                outcome,
                summary=f"{label}: {outcome.text}",
                calls=calls,
                judge=self.judge_name,
                seconds=seconds,
            )

    # ------------------------------------------------------------------ the test's part

    def record_call(
        self,
        *,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        seconds: float = 0.0,
        output: str = "",
    ) -> None:
        """Report a model call of the code under test (say, the LLM of a RAG pipeline). With
        ``--verify-ledger`` it is written at the test's next check, with that check's
        decision (or, if none follows, when the test ends); without, it is dropped."""
        self._calls.append(ModelCall(model, prompt_tokens, completion_tokens, seconds, output))

    def capture(self, text: str) -> None:
        """Hand an answer of a ``@pytest.mark.grounded`` test to the check that follows it
        (for a test that does not return its answer)."""
        from ..errors import InputError

        if not self._grounded:
            raise InputError(
                "verifier.capture(): this test is not marked @pytest.mark.grounded; mark it, "
                "or check the text with assert_grounded()"
            )
        if not isinstance(text, str):
            raise TypeError(f"verifier.capture() takes the answer text, not {type(text).__name__}")
        self._captured.append(text)

    def begin_test(self, test: str) -> None:
        """Checks from here on belong to ``test`` (a pytest node id)."""
        self._test, self._checks_in_test = test, 0
        self._calls, self._captured, self._grounded = [], [], False

    def expect_answers(self) -> None:
        """The running test is ``@pytest.mark.grounded``: ``capture`` may be called."""
        self._grounded = True

    def captured(self) -> list[str]:
        """The answers the running test captured, taken."""
        texts, self._captured = self._captured, []
        return texts

    def end_test(self) -> None:
        """The test is over: calls it reported with no check after them are written."""
        ledger = self._session_ledger()
        calls, self._calls = self._calls, []
        if ledger is not None:
            ledger.record_calls(calls)
        self._test, self._grounded, self._captured = None, False, []

    def _session_ledger(self) -> SessionLedger | None:
        if self.ledger_path is not None and self._ledger is None:
            self._ledger = SessionLedger(self.ledger_path, task=self.task, user=self.config.user)
        return self._ledger

    def close(self) -> None:
        """End the ledger run and close the indexes."""
        try:
            if self._ledger is not None:
                self._ledger.close()
        finally:
            for opened in self._indexes.values():
                opened.close()
            self._indexes.clear()


_ACTIVE: list[Verifier] = []


def activate(verifier: Verifier) -> None:
    """Make ``verifier`` the one ``assert_grounded`` uses (the plugin does, per session)."""
    _ACTIVE.append(verifier)


def deactivate(verifier: Verifier) -> None:
    """Undo ``activate`` (a nested pytest session, as ``pytester`` runs, restores the outer)."""
    if verifier in _ACTIVE:
        _ACTIVE.remove(verifier)


def current_verifier() -> Verifier:
    """The active verifier; outside a pytest session, one made (and made active) on first use
    from the config of the working folder."""
    if not _ACTIVE:
        activate(Verifier())
    return _ACTIVE[-1]
