"""Fault injection: every fault, at every stage, of every command fails closed.

A matrix of cells (command x stage x fault). Each cell runs the real command through click
in a temporary working directory, with one fault injected through a real seam: a method or
module-level function replaced by one that raises or stalls, a fake registered through the
public registries (``register_embedder``'s name ``fake-hash``, ``register_generator`` for
``--judge``), a corrupt file on disk, or a SQLite lock held by another connection. Product
code is never edited for a test.

Every cell must end with the exit code the fault means (3, or 2 for a corrupt index, which
the user fixes by rebuilding it), never 0; one line on stderr naming what failed; JSON (when
printed) with decision ``block`` and an ``error`` verdict; and, for ``verify run``, no agent
action executed (the transcript would write ``marker.txt`` and run ``touch ran.txt``).
Each command is also run once without a fault (it must pass), so a cell cannot pass merely
because the setup was broken.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FAKE_ENTAILMENT, HashEmbedder, write_corpus
from robustness import tally

import checks.cascade._stages as stages_module
import checks.scorer._model as scorer_module
import reports
import reports._json
import retrieval
import verify.checker
import verify.gate._prose
import verify.ledger._connection as connection_module
import verify.usage
from checks.llm import Generation, Generator, Message, register_generator
from checks.scorer import Scorer, default_scorer
from verify.cli import cli
from verify.ledger import Ledger

#: Supported by the test corpus, and with P(supported) inside the judge's band, so with
#: ``--judge`` every stage of the cascade (the judge included) runs on it.
CLAIM = "The gateway uses port 8443."
JUDGE = "fault-judge"

COMMANDS = ("check", "run", "gate", "bench", "usage", "import")
#: Where a fault can be put, and the words (any one) a message about it must hold.
STAGES: dict[str, tuple[str, ...]] = {
    "embed": ("embed", "retrieval"),
    "search": ("retrieval", "index"),
    "extraction": ("extraction",),
    "alignment": ("alignment",),
    "signals": ("signals",),
    "scorer": ("scorer",),
    "judge": ("judge",),
    "report": ("report",),
    "ledger": ("ledger",),
}
#: Stages each command goes through.
COMMAND_STAGES: dict[str, tuple[str, ...]] = {
    "check": ("embed", "search", "extraction", "alignment", "signals", "scorer", "judge", "report"),
    "run": ("embed", "search", "extraction", "alignment", "signals", "scorer", "judge", "ledger"),
    "gate": (
        "embed", "search", "extraction", "alignment", "signals", "scorer", "judge", "report",
        "ledger",
    ),
    "bench": ("embed", "search", "alignment", "signals", "scorer"),
    "usage": ("ledger", "report"),
    "import": ("ledger",),
}  # fmt: skip
#: The stages a fault applies to (an exception or running out of memory applies anywhere).
FAULT_STAGES: dict[str, tuple[str, ...]] = {
    "exception": tuple(STAGES),
    "memory": tuple(STAGES),
    "load": ("embed", "scorer", "judge"),
    "timeout": ("embed", "search", "extraction", "alignment", "signals", "scorer", "judge"),
    "corrupt-sqlite": ("search",),
    "truncated-sqlite": ("search",),
    "corrupt-vectors": ("search",),
    "corrupt-faiss": ("search",),
    "locked": ("ledger",),
}
#: Words a message about each fault must also hold (beyond naming the stage).
FAULT_WORDS: dict[str, tuple[str, ...]] = {
    "timeout": ("deadline",),
    "corrupt-sqlite": ("rebuild",),
    "truncated-sqlite": ("rebuild",),
    "corrupt-vectors": ("rebuild",),
    "corrupt-faiss": ("rebuild",),
    "locked": ("locked",),
    "load": ("load", "read"),
}

SLOW = 0.4  # seconds a stalled stage takes
CLAIM_TIMEOUT = 0.05  # the per-claim deadline in a timeout cell
RUN_TIMEOUT = 0.25  # the per-run deadline in a timeout cell (the slow stage is outside a claim)
PER_CLAIM_STAGES = ("alignment", "signals", "scorer", "judge")
LOCK_WAIT_MS = 200  # the ledger's busy timeout in a locked cell


class Injected(RuntimeError):
    """The fault an ``exception`` cell raises. Its message names no stage on purpose: the
    product, not the fault, must say where it happened."""


def the_exception(fault: str) -> BaseException:
    return MemoryError() if fault == "memory" else Injected("boom")


@dataclass(frozen=True)
class Cell:
    command: str
    stage: str
    fault: str

    @property
    def id(self) -> str:
        return f"{self.command}-{self.stage}-{self.fault}"

    @property
    def codes(self) -> frozenset[int]:
        if self.fault.endswith("-sqlite") or self.fault.startswith("corrupt-"):
            return frozenset({2})  # found when the index opens: rebuild it (issue #2)
        if self.stage == "report" and self.fault == "unwritable":
            return frozenset({2})
        return frozenset({3})

    @property
    def words(self) -> tuple[tuple[str, ...], ...]:
        """Groups of words; the stderr line must hold one word of each group."""
        groups = [STAGES[self.stage]]
        if self.fault in FAULT_WORDS:
            groups.append(FAULT_WORDS[self.fault])
        if self.fault == "timeout" and self.command == "run":
            # the runner's own deadline stops the run before the stage can be named
            groups[0] = (*groups[0], "run")
        if self.fault.startswith(("corrupt", "truncated")):
            groups[0] = ("index",)
        if self.fault == "load" and self.stage == "embed":
            groups[0] = ("embed",)
        if self.fault == "locked":
            # the wait inject() set: a patch that stopped taking effect fails here
            groups.append((f"waited {LOCK_WAIT_MS / 1000:g}s",))
        return tuple(groups)


def cells() -> list[Cell]:
    out = []
    for command, stages in COMMAND_STAGES.items():
        for fault, fault_stages in FAULT_STAGES.items():
            for stage in stages:
                if stage not in fault_stages:
                    continue
                if command == "bench" and fault.endswith(("-sqlite", "-vectors", "-faiss")):
                    continue  # bench rebuilds its index: see test_bench_rebuilds_a_corrupt_index
                out.append(Cell(command, stage, fault))
        if "report" in stages:
            out.append(Cell(command, "report", "unwritable"))
    return out


CELLS = cells()


# -- the world a command runs in -----------------------------------------------------------


@dataclass
class World:
    root: Path
    index: Path
    ledger: Path
    ws: Path
    transcript: Path
    repo: Path
    patch: Path
    bench: Path
    import_file: Path
    bad_gguf: Path
    report: Path


TRANSCRIPT = [
    {"action": "write_file", "path": "marker.txt", "content": f"{CLAIM}\n", "reason": CLAIM},
    {"action": "run_command", "argv": ["touch", "ran.txt"], "reason": CLAIM},
    {"action": "answer", "text": CLAIM},
]


def build_world(root: Path, *, hnsw: bool = False) -> World:
    bench = root / "bench"  # a labelled dataset whose corpus every command's index holds
    write_corpus(bench / "corpus")
    index = root / "index"
    retrieval.build_index([bench / "corpus"], index, HashEmbedder(), hnsw=hnsw)
    transcript = root / "transcript.jsonl"
    transcript.write_text("".join(json.dumps(t) + "\n" for t in TRANSCRIPT), encoding="utf-8")
    repo = root / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "gateway.md").write_text("# Gateway\n\nThe gateway.\n", encoding="utf-8")
    patch = root / "change.patch"
    patch.write_text(
        "--- /dev/null\n+++ b/docs/ports.md\n@@ -0,0 +1,3 @@\n+# Ports\n+\n+" + CLAIM + "\n",
        encoding="utf-8",
    )
    claims = [
        {"id": "b1", "claim": CLAIM, "label": "supported"},
        {"id": "b2", "claim": "The gateway listens on port 9443.", "label": "contradicted"},
    ]
    (bench / "claims.jsonl").write_text(
        "".join(json.dumps(c) + "\n" for c in claims), encoding="utf-8"
    )
    ledger = root / "ledger.db"
    with Ledger.open(ledger) as db:  # one finished run, so `verify usage` has a row
        db.start_run(run_id="r1", task="ports", agent="a", user="u")
        db.record_call(
            run_id="r1", purpose="agent", model="m", prompt_tokens=10, completion_tokens=5,
            seconds=0.1, verdict="pass", output=CLAIM, step=1,
        )  # fmt: skip
        db.record_action(
            run_id="r1", step=1, kind="answer", decision="pass", executed=True,
            claims_supported=1, claims_total=1, summary=CLAIM,
        )  # fmt: skip
        db.finish_run(run_id="r1", decision="pass")
    import_file = root / "check.json"
    import_file.write_text(
        json.dumps({"decision": "pass", "claims": [], "usage": {"prompt_tokens": 7,
                    "completion_tokens": 3}}),
        encoding="utf-8",
    )  # fmt: skip
    bad_gguf = root / "broken.gguf"
    bad_gguf.write_bytes(b"GGUF\x03\x00\x00\x00" + b"not a model" * 8)
    return World(
        root, index, ledger, root / "ws", transcript, repo, patch, bench, import_file,
        bad_gguf, root / "out" / "report.json",
    )  # fmt: skip


def write_config(root: Path, **values: object) -> None:
    # the deterministic entailment fake: the claim's P(supported) must stay in the judge's band
    lines = ['allow_commands = ["touch", "echo"]', f"entailment = {json.dumps(FAKE_ENTAILMENT)}"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    (root / "verify.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


class JudgeGenerator(Generator):
    """A judge model registered as ``fault-judge``: answers ``supported`` inside the
    grammar, unless told to raise or to stall first."""

    name = JUDGE

    def __init__(self, *, fail: BaseException | None = None, delay: float = 0.0) -> None:
        self.fail = fail
        self.delay = delay

    def generate(
        self,
        messages: Sequence[Message],
        *,
        grammar: str | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> Generation:
        if self.fail is not None:
            raise self.fail
        if self.delay:
            time.sleep(self.delay)
        return Generation('{"verdict": "supported", "why": "stated"}', 40, 9, self.name)


def register_judge(**kw: Any) -> None:
    register_generator(JUDGE, lambda: JudgeGenerator(**kw))


def invoke(
    world: World, command: str, *, judge: str | None = JUDGE, extra: Sequence[str] = ()
) -> Result:
    judge_args = ["--judge", judge] if judge else []
    args: list[str]
    if command == "check":
        args = ["check", CLAIM, "--index", str(world.index), "--json", *judge_args]
    elif command == "run":
        args = [
            "run", "what port?", "--replay", str(world.transcript), "--index", str(world.index),
            "--workspace", str(world.ws), "--ledger", str(world.ledger), "--json", "-q",
            *judge_args,
        ]  # fmt: skip
    elif command == "gate":
        args = [
            "gate", "--repo", str(world.repo), "--patch", str(world.patch), "--index",
            str(world.index), "--ledger", str(world.ledger), "--format", "json", "-q",
            *judge_args,
        ]  # fmt: skip
    elif command == "bench":
        args = [
            "bench", str(world.bench), "--index", str(world.index), "--embedder", "fake-hash",
            "--json", "-q",
        ]  # fmt: skip
    elif command == "usage":
        args = ["usage", "--ledger", str(world.ledger), "--json"]
    else:
        args = ["usage", "import", str(world.import_file), "--from", "verify-json", "--ledger",
                str(world.ledger)]  # fmt: skip
    return CliRunner().invoke(cli, [*args, *extra])


def with_out(world: World, command: str) -> list[str]:
    """The ``--out`` a report-stage cell adds (the usage command takes it too)."""
    return ["--out", str(world.report)] if command in ("check", "gate", "usage") else []


# -- injecting ------------------------------------------------------------------------------


def raiser(exc: BaseException) -> Callable[..., Any]:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return broken


def staller(real: Callable[..., Any], seconds: float = SLOW) -> Callable[..., Any]:
    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return real(*args, **kwargs)

    return slow


#: (owner, attribute) a stage's work goes through; a fault replaces it.
SEAMS: dict[str, list[tuple[Any, str]]] = {
    "embed": [(HashEmbedder, "embed_batch")],
    # one query, or a batch of them, whichever the evidence source asks for
    "search": [
        (retrieval.Index, name)
        for name in ("search_vector", "search_vectors")
        if hasattr(retrieval.Index, name)
    ],
    "extraction": [(verify.checker, "extract_claims"), (verify.gate._prose, "extract_claims")],
    "alignment": [(stages_module, "run_alignment")],
    "signals": [(stages_module, "signals")],
    "scorer": [(Scorer, "predict")],
}


class FaultyConnection:
    """A ledger's SQLite connection on which every statement raises ``exc``."""

    def __init__(self, real: sqlite3.Connection, exc: BaseException, when: str = "") -> None:
        self._real = real
        self._exc = exc
        self._when = when  # only statements holding this text raise ("": every one)

    def execute(self, sql: str, *args: Any) -> Any:
        if self._when in sql:
            raise self._exc
        return self._real.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def faulty_ledger(mp: pytest.MonkeyPatch, exc: BaseException, when: str = "") -> None:
    """Every connection to a file named ledger.db raises ``exc`` (at statements holding
    ``when``); the index's connections are left alone."""
    real_connect = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> Any:
        conn = real_connect(database, *args, **kwargs)
        if Path(str(database)).name == "ledger.db":
            return FaultyConnection(conn, exc, when)
        return conn

    mp.setattr(connection_module.sqlite3, "connect", connect)


@contextmanager
def held_lock(path: Path) -> Iterator[None]:
    """Another process's exclusive lock on the SQLite file at ``path``: in WAL mode with
    exclusive locking, neither writers nor readers get in until it is released."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("UPDATE runs SET task = task")
        yield
    finally:
        conn.close()


def generation(index: Path) -> Path:
    return index / (index / "CURRENT").read_text(encoding="utf-8").strip()


def garble(path: Path, start: int) -> None:
    """Overwrite ``path`` from byte ``start`` on with bytes that are no valid structure."""
    data = path.read_bytes()
    noise = bytes((i * 131 + 7) % 256 for i in range(len(data) - start))
    path.write_bytes(data[:start] + noise)


def corrupt(world: World, fault: str) -> None:
    gen = generation(world.index)
    if fault == "truncated-sqlite":
        db = gen / "chunks.sqlite"
        db.write_bytes(db.read_bytes()[:100])
    elif fault == "corrupt-sqlite":
        garble(gen / "chunks.sqlite", 4096)  # page 1 (the schema) intact, the rest noise
    elif fault == "corrupt-vectors":
        garble(gen / "vectors.npy", 0)
    elif fault == "corrupt-faiss":
        assert (gen / "vectors.faiss").is_file()
        garble(gen / "vectors.faiss", 16)


def inject(cell: Cell, world: World, mp: pytest.MonkeyPatch, stack: ExitStack) -> str:
    """Put ``cell``'s fault in place; returns the ``--judge`` to pass."""
    stage, fault = cell.stage, cell.fault
    if fault in ("exception", "memory"):
        exc = the_exception(fault)
        if stage in SEAMS:
            for owner, attr in SEAMS[stage]:
                mp.setattr(owner, attr, raiser(exc))
        elif stage == "judge":
            register_judge(fail=exc)
        elif stage == "report" and fault == "exception":  # rendering fails
            mp.setattr(reports._json, "render", raiser(exc))
            mp.setattr(verify.usage.Report, "to_json", raiser(exc))
        elif stage == "report":  # writing fails
            mp.setattr(reports, "write_atomic", raiser(exc))
        elif stage == "ledger":
            faulty_ledger(mp, exc)
    elif fault == "unwritable":  # --out inside a folder that cannot be made (a file)
        (world.root / "out").write_text("a file, not a folder\n", encoding="utf-8")
    elif fault == "load":
        if stage == "embed":
            missing = FileNotFoundError(2, "No such file or directory", "model.safetensors")
            mp.setattr(HashEmbedder, "load", raiser(missing))
        elif stage == "scorer":
            mp.setattr(scorer_module, "resources", SimpleNamespace(files=lambda _: world.root))
            default_scorer.cache_clear()
            stack.callback(default_scorer.cache_clear)
        elif stage == "judge":
            return str(world.bad_gguf)
    elif fault == "timeout":
        if stage in PER_CLAIM_STAGES:
            write_config(world.root, claim_timeout=CLAIM_TIMEOUT)
        else:
            write_config(world.root, run_timeout=RUN_TIMEOUT)
        if stage == "judge":
            register_judge(delay=SLOW)
        for owner, attr in SEAMS.get(stage, []):
            mp.setattr(owner, attr, staller(getattr(owner, attr)))
    elif fault == "locked":
        mp.setattr(connection_module, "BUSY_TIMEOUT_MS", LOCK_WAIT_MS)
        stack.enter_context(held_lock(world.ledger))
    else:
        corrupt(world, fault)
    return JUDGE


# -- checking what a command did --------------------------------------------------------------


def crashed(res: Result) -> bool:
    """Exit 0, a traceback, or an exception click did not turn into an exit code."""
    escaped = res.exception is not None and not isinstance(res.exception, SystemExit)
    return res.exit_code == 0 or escaped or "Traceback" in res.output


def error_line(res: Result) -> str:
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, f"want one line on stderr, got {res.stderr!r}"
    assert lines[0].startswith("verify: error: "), lines[0]
    return lines[0]


def json_verdicts(data: dict[str, Any]) -> list[str]:
    """Every verdict a check/run/gate/bench JSON holds."""
    found = [c["verdict"] for c in data.get("claims", [])]
    found += [p["verdict"] for p in data.get("predictions", [])]
    for step in data.get("steps", []):
        found += [c["verdict"] for c in step.get("claims", [])]
    return found


def assert_blocked_json(stdout: str) -> None:
    """When a result was printed: it blocks and holds an error verdict."""
    if not stdout.strip().startswith("{"):
        return
    data = json.loads(stdout)
    if "decision" in data:
        assert data["decision"] == "block", data["decision"]
    assert "error" in json_verdicts(data), json_verdicts(data)
    for step in data.get("steps", []):
        assert step["executed"] is False, step


def actions_taken(world: World) -> list[str]:
    return [name for name in ("marker.txt", "ran.txt") if (world.ws / name).exists()]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path)
    register_judge()
    yield build_world(tmp_path)
    register_judge()


# -- the matrix -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_without_a_fault_every_command_passes(world: World, command: str) -> None:
    res = invoke(world, command)
    assert res.exit_code == 0, res.output
    assert res.stderr == ""
    if command in ("check", "run", "gate"):
        data = json.loads(res.stdout)
        assert data["decision"] == "pass" and set(json_verdicts(data)) == {"supported"}
    if command == "run":
        assert actions_taken(world) == ["marker.txt", "ran.txt"]


@pytest.mark.parametrize("cell", CELLS, ids=[c.id for c in CELLS])
def test_a_fault_fails_closed(cell: Cell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path)
    register_judge()
    world = build_world(tmp_path, hnsw=cell.fault == "corrupt-faiss")
    try:
        with ExitStack() as stack:
            judge = inject(cell, world, monkeypatch, stack)
            extra = with_out(world, cell.command) if cell.stage == "report" else []
            res = invoke(world, cell.command, judge=judge, extra=extra)
    finally:
        register_judge()
    tally("faults", cases=1, faults=1, crashes=int(crashed(res)))
    assert res.exit_code in cell.codes, (res.exit_code, res.output)
    line = error_line(res).lower()
    for words in cell.words:
        assert any(w in line for w in words), f"{line!r} names none of {words}"
    assert_blocked_json(res.stdout)
    assert actions_taken(world) == []


def test_the_matrix_covers_every_stage_and_fault() -> None:
    assert len(CELLS) >= 100
    assert {c.stage for c in CELLS} == set(STAGES)
    assert {c.fault for c in CELLS} >= set(FAULT_STAGES)
    assert {c.command for c in CELLS} == set(COMMANDS)


# -- beside the matrix ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("disk I/O error"),
        Injected("boom"),
        MemoryError(),
    ],
    ids=["locked", "io-error", "exception", "memory"],
)
def test_a_ledger_that_breaks_mid_run_stops_it_before_the_action(
    world: World, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    """The ledger opens and the run starts; the first model call cannot be recorded. The
    call is recorded before its action takes effect, so nothing is done."""
    faulty_ledger(monkeypatch, exc, when="INSERT INTO calls")
    res = invoke(world, "run")
    tally("faults", cases=1, faults=1, crashes=int(crashed(res)))
    assert res.exit_code == 3, res.output
    line = error_line(res)
    assert "ledger" in line and str(world.ledger) in line
    assert actions_taken(world) == []


@pytest.mark.parametrize(
    "where, taken",
    [
        ("INSERT INTO actions", []),  # the first action's intent could not be recorded: not run
        ("UPDATE actions SET executed", ["marker.txt"]),  # it ran, then its outcome failed
        ("UPDATE runs SET finished_at", ["marker.txt", "ran.txt"]),  # the run's last record
    ],
)
def test_a_ledger_that_breaks_after_an_action_still_fails_the_run(
    world: World, monkeypatch: pytest.MonkeyPatch, where: str, taken: list[str]
) -> None:
    """An action is recorded before it runs (so a failing first write stops it) and its
    outcome after; what was verified and done stays done; nothing after the failure is,
    and the run exits 3 naming the ledger."""
    faulty_ledger(monkeypatch, sqlite3.OperationalError("disk I/O error"), when=where)
    res = invoke(world, "run")
    tally("faults", cases=1, faults=1, crashes=int(crashed(res)))
    assert res.exit_code == 3, res.output
    assert "ledger" in error_line(res)
    assert actions_taken(world) == taken


@pytest.mark.parametrize("fault", ["exception", "memory"])
def test_a_report_that_fails_after_the_run_still_fails_it(
    world: World, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    """The report is written after the actions it reports (they passed their checks)."""
    monkeypatch.setattr(reports._json, "render", raiser(the_exception(fault)))
    res = invoke(world, "run")
    tally("faults", cases=1, faults=1, crashes=int(crashed(res)))
    assert res.exit_code == 3, res.output
    assert "report" in error_line(res)
    assert res.stdout == ""


@pytest.mark.parametrize("fault", ["corrupt-sqlite", "truncated-sqlite", "corrupt-vectors"])
def test_bench_rebuilds_a_corrupt_index(world: World, fault: str) -> None:
    """``verify bench`` builds its own index from the dataset's corpus: a corrupt one is
    rebuilt from scratch (retrieval's rule), and the measurement is the clean one."""
    clean = invoke(world, "bench")
    corrupt(world, fault)
    res = invoke(world, "bench")
    tally("faults", cases=1, faults=1, crashes=int(res.exit_code != 0 or "Traceback" in res.output))
    assert res.exit_code == 0, res.output
    assert predictions(res.stdout) == predictions(clean.stdout)


def predictions(stdout: str) -> list[tuple[str, str, float]]:
    return [(p["id"], p["verdict"], p["score"]) for p in json.loads(stdout)["predictions"]]


def test_the_per_run_deadline_is_configurable_and_documented() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert "`run_timeout`" in readme and "`claim_timeout`" in readme
    from verify.config import DEFAULTS

    assert DEFAULTS["run_timeout"] > DEFAULTS["claim_timeout"] > 0
