"""Durability and concurrency: kill -9 at random points, and four writers at once.

What tests/test_index.py and tests/test_ledger.py already prove is not repeated here (one kill
while embedding; two writer threads; four API writers on a fresh ledger; one kill mid-batch).
This suite adds, with real processes and SIGKILL:

- ledger writes killed at seeded random points, on fresh ledgers (inside creation and
  migration) and on one ledger again and again: every row a writer reported committed is
  there, every batch is whole or absent, and ``PRAGMA integrity_check`` passes;
- ``verify index`` killed at seeded random points of incremental builds and rebuilds: the
  live generation is always complete (the previous one or the new one), opens and searches;
- four ``verify index`` processes on one index, some with no patience for the lock: each
  exits 0 or 2 with one line, and the final index holds every file;
- four CLI writers (``usage import`` and ``run --replay``) on one fresh ledger: no row lost;
- reports written with ``--out``: a process killed in the middle of writing leaves the old
  file or the new one, whole, never a mix;
- 200 kills across index builds (``verify index``), report writes (``write_atomic``) and
  ledger writes, each followed by the next writer run to the end: after the kill the report
  is absent, old or new and parses, the index opens and searches, the ledger passes
  ``PRAGMA integrity_check``, and nothing a writer reported done is lost; after the next
  writer no temporary file of ours is left in the report, index or ledger folder
  (``reports.sweep_temp``, ``retrieval._store.clear_unfinished``). The writers run as
  children forked from one process that imported everything once, so a kill costs
  milliseconds, not an interpreter's start.

The kill points are drawn from a seeded generator; where exactly a kill lands still depends on
the machine's timing, which is the point. Counts go to ``robustness.tally("durability", ...)``.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fakes import HashEmbedder, write_corpus
from robustness import tally
from support.child import next_line

import retrieval
from reports import write_atomic
from retrieval import Index
from verify.ledger import Ledger

SUITE = "durability"
TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SEED = 20240607


#: ``verify`` itself, with the fake embedder registered (for indexes built with it).
CLI = """
import sys, fakes
fakes.register()
from verify.cli import cli
cli(sys.argv[1:], prog_name="verify")
"""


def _python(code: str, *args: str | Path, cwd: Path) -> subprocess.Popen[str]:
    """This repo's Python running ``code`` with ``args``, stdout a pipe of text lines."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *(str(a) for a in args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(TESTS)},
    )


def _wait_for(proc: subprocess.Popen[str], word: str, timeout: float = 60) -> list[str]:
    """Lines the child printed up to and including the first one starting with ``word``; the
    child is killed and the test fails if that takes more than ``timeout`` seconds."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        left = max(deadline - time.monotonic(), 0.001)
        line = next_line(proc, f"{word!r} (after {lines[-3:]})", timeout=left)
        lines.append(line.rstrip("\n"))
        if line.startswith(word):
            return lines


def _kill(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGKILL ``proc`` (if it still runs) and return what it had printed: stdout in whole
    lines, since a line the kill cut short ("call " of "call 12") was not reported (with
    PYTHONUNBUFFERED set, print writes its pieces one by one)."""
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    return out[: out.rfind("\n") + 1], err


# -- ledger writes killed at random points ---------------------------------------------------

LEDGER_WRITER = textwrap.dedent("""
    import random, sys
    from pathlib import Path
    from verify.ledger import CallRow, Ledger, RunRow

    path, who, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    rng = random.Random(seed)
    print("opening", flush=True)
    with Ledger.open(path) as ledger:
        ledger.start_run(run_id=who, task="durability", agent="a", user="u")
        print("run", who, flush=True)
        n = 0
        while True:
            kind = rng.choice(["call", "call", "action", "batch"])
            if kind == "call":
                ledger.record_call(run_id=who, purpose="agent", model="m", prompt_tokens=n,
                                   completion_tokens=1, seconds=0.0, step=n,
                                   output=f"{who} call {n}. " * 40)
            elif kind == "action":
                ledger.record_action(run_id=who, step=n, kind="search", decision="pass",
                                     executed=True, claims_supported=0, claims_total=0,
                                     summary=f"{who}-{n}")
            else:
                rows = [CallRow(who, f"{who}-b{n}-{i}", prompt_tokens=1, output="x " * 50)
                        for i in range(BATCH)]
                ledger.add([RunRow(who)], rows, [])
            print(kind, n, flush=True)  # after the commit returned: it is durable
            n += 1
""").replace("BATCH", "150")
BATCH = 150


@dataclass
class Committed:
    """What ledger writers reported committed."""

    runs: set[str] = field(default_factory=set)
    calls: set[tuple[str, int]] = field(default_factory=set)  # (run, step)
    actions: set[str] = field(default_factory=set)  # summaries
    batches: set[str] = field(default_factory=set)  # content-key prefixes

    def read(self, who: str, out: str) -> None:
        for line in out.splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "run":
                self.runs.add(rest)
            elif kind == "call":
                self.calls.add((who, int(rest)))
            elif kind == "action":
                self.actions.add(f"{who}-{rest}")
            elif kind == "batch":
                self.batches.add(f"{who}-b{rest}-")


def _lost(path: Path, done: Committed) -> list[str]:
    """Rows reported committed that the ledger at ``path`` does not hold, and torn batches;
    asserts the database is sound."""
    with Ledger.open(path) as ledger:  # opening also recovers the WAL and checks the schema
        assert ledger.execute("PRAGMA integrity_check") == [("ok",)]
        assert ledger.execute("PRAGMA foreign_key_check") == []
        runs = {r for (r,) in ledger.execute("SELECT run_id FROM runs")}
        calls = set(
            ledger.execute(
                "SELECT r.run_id, c.step FROM calls c JOIN runs r ON r.id = c.run"
                " WHERE c.content_key IS NULL"
            )
        )
        actions = {s for (s,) in ledger.execute("SELECT summary FROM actions")}
        batch_rows: dict[str, int] = {}
        for (key,) in ledger.execute("SELECT content_key FROM calls WHERE content_key IS NOT NULL"):
            prefix = key.rsplit("-", 1)[0] + "-"
            batch_rows[prefix] = batch_rows.get(prefix, 0) + 1
    lost = [f"run {r}" for r in done.runs - runs]
    lost += [f"call {r}:{s}" for r, s in done.calls - calls]
    lost += [f"action {a}" for a in done.actions - actions]
    lost += [f"batch {b}" for b in done.batches if batch_rows.get(b) != BATCH]
    lost += [f"torn batch {b} ({n} rows)" for b, n in batch_rows.items() if n != BATCH]
    return lost


def test_ledger_writes_killed_at_random_points_lose_no_committed_row(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    shared, done = tmp_path / "ledger.db", Committed()
    # three kills on fresh ledgers, early (creation, migration, the first writes), then
    # seven on one ledger that every writer adds to
    plan = [(tmp_path / f"fresh{i}.db", rng.uniform(0.0, 0.015)) for i in range(3)]
    plan += [(shared, rng.uniform(0.02, 0.6)) for _ in range(7)]
    for round_, (path, delay) in enumerate(plan):
        who = f"w{round_}"
        proc = _python(LEDGER_WRITER, path, who, str(SEED + round_), cwd=tmp_path)
        _wait_for(proc, "opening")
        time.sleep(delay)
        out, _ = _kill(proc)
        assert proc.returncode == -signal.SIGKILL, "the writer never stops by itself"
        mine = Committed()
        mine.read(who, out)
        if path == shared:
            done.read(who, out)
        # killed before SQLite created the file: then nothing was reported committed either
        lost = _lost(path, done if path == shared else mine) if path.exists() else [*mine.runs]
        tally(SUITE, cases=1, faults=1, lost=len(lost))
        assert not lost, f"round {round_} (kill after {delay:.3f}s): lost {lost[:10]}"
    rows = len(done.calls) + len(done.actions) + BATCH * len(done.batches)
    assert rows > 50, f"the writers committed too little to prove anything ({rows} rows)"


# -- verify index killed at random points -----------------------------------------------------

INDEXER = textwrap.dedent("""
    import sys, time
    import fakes, retrieval

    class Slow(fakes.HashEmbedder):
        def embed_batch(self, texts):
            time.sleep(0.004 * len(texts))  # a build that lasts long enough to be hit
            return super().embed_batch(texts)

    retrieval.register_embedder("fake-hash", Slow)
    from verify.cli import cli
    print("ready", flush=True)
    cli(sys.argv[1:], prog_name="verify")
""")


def _live_files(folder: Path) -> set[tuple[str, str]]:
    """(source, sha256) of every file in the live generation; asserts it is whole."""
    current = (folder / "CURRENT").read_text(encoding="utf-8").strip()
    assert not current.endswith(".tmp") and (folder / current).is_dir(), current
    with Index.open(folder) as index:
        assert index.search("gateway port", 3), "the live index answers"
        gen = index.generation
    with closing(sqlite3.connect(f"file:{gen / 'chunks.sqlite'}?mode=ro", uri=True)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return set(conn.execute("SELECT source, sha256 FROM files"))


def _grow(corpus: Path, n: int) -> None:
    """A corpus of ``n`` extra notes beside the standard files, so a build takes a while."""
    for i in range(n):
        (corpus / "notes" / f"n{i:03}.md").parent.mkdir(parents=True, exist_ok=True)
        (corpus / "notes" / f"n{i:03}.md").write_text(
            f"# Note {i}\n\nNote {i} says the relay {i} restarts every {i % 7 + 1} hours.\n"
            f"Its queue holds {i * 3} jobs.\n",
            encoding="utf-8",
        )


def test_verify_index_killed_at_random_points_keeps_a_whole_live_index(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    corpus, folder = write_corpus(tmp_path / "corpus"), tmp_path / "index"
    _grow(corpus, 60)
    retrieval.build_index([corpus], folder, HashEmbedder())
    args = ["index", corpus, "--index", folder, "--embedder", "fake-hash", "-q"]

    t0 = time.monotonic()  # how long a whole rebuild takes here, from "ready" to the end
    proc = _python(INDEXER, *args, "--rebuild", cwd=tmp_path)
    _wait_for(proc, "ready")
    t_ready = time.monotonic()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    span, startup = time.monotonic() - t_ready, t_ready - t0

    for round_ in range(6):
        before = _live_files(folder)
        (corpus / f"round{round_}.md").write_text(
            f"# Round {round_}\n\nThe killed build of round {round_} may or may not land.\n",
            encoding="utf-8",
        )
        rebuild = round_ % 2 == 1
        delay = rng.uniform(0.0, span * (1.0 if rebuild else 0.5))
        proc = _python(INDEXER, *args, *(["--rebuild"] if rebuild else []), cwd=tmp_path)
        _wait_for(proc, "ready")
        time.sleep(delay)
        _kill(proc)
        after = _live_files(folder)  # whole, opens, searches: whichever generation is live
        sources = {s for s, _ in after}
        landed = f"round{round_}.md" in sources
        lost = [] if after == before or landed else ["a live index that is neither old nor new"]
        if landed:  # the new generation: every earlier file still there, the new one added
            lost += [f"{s} lost" for s, _ in before if s not in sources]
        tally(SUITE, cases=1, faults=1, lost=len(lost))
        assert not lost, (round_, delay, proc.returncode, lost)
    # a build that is left alone finishes what the killed ones began and clears their debris
    report = retrieval.build_index([corpus], folder, HashEmbedder())
    assert {f"round{i}.md" for i in range(6)} <= {s for s, _ in _live_files(folder)}
    assert not list(folder.glob("g-*.tmp")), "unfinished generations are cleared"
    assert len(list(folder.glob("g-*"))) <= 2
    assert report.documents >= 60 and startup < 60


# -- four writers at once ---------------------------------------------------------------------


def test_four_index_writers_each_finish_or_exit_2_and_lose_nothing(tmp_path: Path) -> None:
    corpus, folder = write_corpus(tmp_path / "corpus"), tmp_path / "index"
    _grow(corpus, 40)
    retrieval.build_index([corpus], folder, HashEmbedder())
    for k in range(4):
        (corpus / f"writer{k}.md").write_text(f"# Writer {k}\n\nWriter {k} was here.\n", "utf-8")
    waits = ["0", "0.2", "120", "120"]  # two give up at once, two wait their turn
    procs = [
        _python(
            INDEXER,
            *["index", corpus, "--index", folder, "--embedder", "fake-hash", "-q"],
            *["--rebuild", "--lock-timeout", wait],
            cwd=tmp_path,
        )
        for wait in waits
    ]
    codes = []
    for proc, wait in zip(procs, waits, strict=True):
        _, err = proc.communicate(timeout=300)
        codes.append(proc.returncode)
        lines = err.strip().splitlines()
        ok = proc.returncode == 0 or (
            proc.returncode == 2
            and len(lines) == 1
            and lines[0].startswith("verify: error: ")
            and "another process" in lines[0]
        )
        tally(SUITE, cases=1, crashes=int(not ok))
        assert ok, (wait, proc.returncode, err[-1500:])
    assert codes[2] == codes[3] == 0, "a writer willing to wait always gets its turn"
    sources = {s for s, _ in _live_files(folder)}
    lost = [f"writer{k}.md" for k in range(4) if f"writer{k}.md" not in sources]
    tally(SUITE, cases=1, lost=len(lost))
    assert not lost
    assert not list(folder.glob("g-*.tmp"))


def _openai_log(path: Path, who: str, n: int) -> int:
    lines = [
        json.dumps(
            {
                "id": f"{who}-{i}",
                "model": "m",
                "created": 1_700_000_000 + i,
                "usage": {"prompt_tokens": 10 + i, "completion_tokens": 3},
                "metadata": {"agent": who, "run": f"{who}-run"},
            }
        )
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sum(10 + i + 3 for i in range(n))


def _transcript(path: Path, who: str, n: int) -> int:
    turns = [
        {
            "action": "search",
            "query": f"{who} gateway port {i}",
            "usage": {"prompt_tokens": 100 + i, "completion_tokens": 7},
        }
        for i in range(n)
    ]
    turns.append({"action": "answer", "text": "The gateway listens on port 8443."})
    path.write_text("\n".join(json.dumps(t) for t in turns) + "\n", encoding="utf-8")
    return sum(100 + i + 7 for i in range(n))


def test_four_cli_writers_on_one_fresh_ledger_lose_nothing(tmp_path: Path) -> None:
    corpus, index = write_corpus(tmp_path / "corpus"), tmp_path / "index"
    retrieval.build_index([corpus], index, HashEmbedder())
    ledger = tmp_path / "shared" / "ledger.db"  # neither the file nor its folder exists yet
    expected = 0
    commands = []
    for k in range(2):
        log = tmp_path / f"log{k}.jsonl"
        expected += _openai_log(log, f"importer{k}", 300)
        commands.append(["usage", "import", log, "--from", "openai-jsonl", "--ledger", ledger])
    for k in range(2):
        script = tmp_path / f"t{k}.jsonl"
        expected += _transcript(script, f"agent{k}", 4)
        commands.append(
            [
                *["run", f"task {k}", "--replay", script, "--index", index, "--ledger", ledger],
                *["--workspace", tmp_path / f"ws{k}", "--agent", f"agent{k}", "-q", "--json"],
            ]
        )
    procs = [_python(CLI, *cmd, cwd=tmp_path) for cmd in commands]
    for proc, cmd in zip(procs, commands, strict=True):
        _, err = proc.communicate(timeout=300)
        ok = proc.returncode in (0, 1) and "Traceback" not in err
        tally(SUITE, cases=1, crashes=int(not ok))
        assert ok, (cmd[:2], proc.returncode, err[-1500:])
    with Ledger.open(ledger) as db:
        assert db.execute("PRAGMA integrity_check") == [("ok",)]
        total = db.execute("SELECT sum(prompt_tokens + completion_tokens) FROM calls")[0][0]
        calls = db.execute("SELECT count(*) FROM calls")[0][0]
        runs = {r for (r,) in db.execute("SELECT run_id FROM runs")}
    tally(SUITE, cases=1, lost=int(total != expected))
    assert total == expected, (total, expected)
    assert calls >= 600 + 2 * 4
    assert {"importer0-run", "importer1-run"} <= runs


# -- reports are written atomically -----------------------------------------------------------

REPORT_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from reports import write_atomic

    path, size = Path(sys.argv[1]), int(sys.argv[2])
    print("ready", flush=True)
    n = 0
    while True:
        letter = "ab"[n % 2]
        write_atomic(path, f"{letter} {size}\\n" + letter * size + "\\n")
        print("wrote", letter, flush=True)
        n += 1
""")


def _versions(size: int) -> set[str]:
    return {f"{x} {size}\n" + x * size + "\n" for x in "ab"} | {"old\n"}


def test_a_report_writer_killed_at_random_points_leaves_a_whole_file(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    size = 3_000_000
    path = tmp_path / "report.txt"
    path.write_text("old\n", encoding="utf-8")
    for round_ in range(6):
        proc = _python(REPORT_WRITER, path, str(size), cwd=tmp_path)
        _wait_for(proc, "ready")
        time.sleep(rng.uniform(0.0, 0.4))
        _kill(proc)
        whole = path.read_text(encoding="utf-8") in _versions(size)
        tally(SUITE, cases=1, faults=1, lost=int(not whole))
        assert whole, f"round {round_}: the report is torn"
    write_atomic(path, "old\n")  # the next writer clears what the killed ones left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


FSYNC_STALL = textwrap.dedent("""
    import os, sys, time
    import fakes, retrieval

    retrieval.register_embedder("fake-hash", fakes.HashEmbedder)
    real = os.fsync

    def stalled(fd):
        real(fd)
        print("fsync", flush=True)  # the new report is on disk under its temporary name
        time.sleep(120)

    os.fsync = stalled
    from verify.cli import cli
    cli(sys.argv[1:], prog_name="verify")
""")


@pytest.mark.parametrize("fmt", ["json", "html", "sarif"])
def test_verify_check_killed_while_writing_out_keeps_the_old_report(
    tmp_path: Path, fmt: str
) -> None:
    corpus, index = write_corpus(tmp_path / "corpus"), tmp_path / "index"
    retrieval.build_index([corpus], index, HashEmbedder())
    out = tmp_path / f"report.{fmt}"
    out.write_text("the previous report\n", encoding="utf-8")
    proc = _python(
        FSYNC_STALL,
        *["check", "The gateway listens on port 9443.", "--index", index],
        *["--format", fmt, "--out", out],
        cwd=tmp_path,
    )
    _wait_for(proc, "fsync")
    _kill(proc)
    kept = out.read_text(encoding="utf-8") == "the previous report\n"
    tally(SUITE, cases=1, faults=1, lost=int(not kept))
    assert kept
    # and left alone, the same command replaces it whole
    done = _python(CLI, *proc.args[3:], cwd=tmp_path)
    done.communicate(timeout=120)
    assert done.returncode == 1 and out.read_text(encoding="utf-8") != "the previous report\n"


# -- 200 kills across index, report and ledger writes: no temporary file survives ------------

#: Starts once, imports everything, then forks one child per job line (JSON: script and
#: argv) on stdin. The child prints ``pid N`` and runs the script, writing whole lines only
#: (``Lines``); the forker prints ``dead N STATUS`` once the child is reaped, so everything
#: the child printed comes first. A fork costs milliseconds where a fresh interpreter costs a
#: second: 200 kills stay cheap.
FORKER = textwrap.dedent("""
    import json, os, sys, traceback
    import fakes, reports, retrieval, verify.cli.index, verify.ledger

    class Lines:  # a child's stdout: each whole line one write(2), so a kill never
        # leaves half a line for the forker's "dead" to be glued to
        def __init__(self):
            self.held = ""

        def write(self, text):
            *whole, self.held = (self.held + text).split("\\n")
            for line in whole:
                os.write(1, (line + "\\n").encode())
            return len(text)

        def flush(self):
            pass

    fakes.register()
    print("forker", flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                sys.stdout = Lines()
                print("pid", os.getpid(), flush=True)
                sys.argv = ["-c", *job["argv"]]
                exec(job["script"], {"__name__": "__main__"})
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                os._exit(1)  # only a writer that stopped by itself gets here
        _, status = os.waitpid(pid, 0)
        print("dead", pid, status, flush=True)
""")

#: ``verify index`` again and again; before each build one new file joins the corpus.
INDEX_LOOP = textwrap.dedent("""
    import sys
    from pathlib import Path
    from verify.cli import cli

    corpus, folder, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    args = ["index", str(corpus), "--index", folder, "--embedder", "fake-hash", "-q"]
    print("ready", flush=True)
    while True:
        (corpus / f"k{n}.md").write_text(f"# Knot {n}\\n\\nKnot {n} holds {n % 9} ropes.\\n")
        code = cli([*args, *(["--rebuild"] if n % 4 == 3 else [])], prog_name="verify",
                   standalone_mode=False)
        print("built", n, code, flush=True)  # the build returned: it is published
        n += 1
""")

#: ``write_atomic`` of a JSON report again and again, each with the next sequence number.
REPORT_LOOP = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from reports import write_atomic

    path, n, size = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    print("ready", flush=True)
    while True:
        write_atomic(path, json.dumps({"seq": n, "pad": "x" * size}) + "\\n")
        print("wrote", n, flush=True)  # write_atomic returned: the report is this one
        n += 1
""")

KILLS = 200
REPORT_SIZE = 1_000_000


class Forker:
    """The forking server of ``FORKER``: ``run`` a script in a fresh child, ``kill`` it."""

    #: Seconds to wait for a line: a ledger writer may wait out a 60 s busy timeout.
    PATIENCE = 180.0

    def __init__(self, cwd: Path) -> None:
        self.child: int | None = None  # the writer running now
        self.log = cwd / "forker.err"
        self._out: queue.Queue[str | None] = queue.Queue()
        with self.log.open("w", encoding="utf-8") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", FORKER],
                cwd=cwd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                env={
                    **os.environ,
                    "PYTHONPATH": str(TESTS),
                    "OMP_NUM_THREADS": "1",  # no thread pools in a process that forks
                    "OPENBLAS_NUM_THREADS": "1",
                },
            )
        threading.Thread(target=self._pump, daemon=True).start()
        self.lines("forker")

    def _pump(self) -> None:
        """The forker's stdout, line by line, into a queue (None at its end)."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._out.put(line.rstrip("\n"))
        self._out.put(None)

    def lines(self, word: str) -> list[str]:
        """What the forker and its child printed, up to the first line starting ``word``.

        Fails, never hangs: when the forker ends, when the child dies before printing
        ``word``, or when nothing comes for ``PATIENCE`` seconds."""
        out: list[str] = []
        while True:
            try:
                line = self._out.get(timeout=self.PATIENCE)
            except queue.Empty:
                raise AssertionError(
                    f"nothing from the forker for {self.PATIENCE:g}s while waiting for "
                    f"{word!r}; last lines {out[-5:]}: {self.log.read_text()[-2000:]}"
                ) from None
            if line is None:
                raise AssertionError(f"the forker ended: {self.log.read_text()[-2000:]}")
            if line.startswith(word):
                return [*out, line]
            if line.startswith("dead "):  # the child ended before saying ``word``
                raise AssertionError(
                    f"the writer ended before {word!r} ({line}): {self.log.read_text()[-2000:]}"
                )
            out.append(line)

    def run(self, script: str, *argv: str | Path, ready: str) -> int:
        """Start ``script`` in a child; return its pid once it printed ``ready``."""
        assert self.proc.stdin is not None
        job = {"script": script, "argv": [str(a) for a in argv]}
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        self.child = int(self.lines("pid")[-1].split()[1])
        self.lines(ready)
        return self.child

    def kill(self, pid: int) -> str:
        """SIGKILL the child ``pid``; what it printed after ``ready``. Asserts it was running."""
        os.kill(pid, signal.SIGKILL)
        *out, dead = self.lines("dead")
        self.child = None
        status = int(dead.split()[2])
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
            f"the writer stopped by itself: {self.log.read_text()[-2000:]}"
        )
        return "\n".join(out)

    def close(self) -> None:
        """End the forker (and a writer a failed round left running)."""
        if self.child is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.child, signal.SIGKILL)
        self.proc.communicate(timeout=60)  # closes its stdin: the forker's loop ends


def _leftovers(folder: Path) -> list[str]:
    """Temporary files (ours, SQLite's own aside) in ``folder``, and unfinished generations."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _report_lost(path: Path, committed: int) -> list[str]:
    """Asserts the report at ``path`` is absent or whole; lost if older than ``committed``."""
    if not path.exists():
        return ["the report is gone"] if committed >= 0 else []
    doc = json.loads(path.read_text(encoding="utf-8"))  # a torn report fails right here
    assert doc["pad"] == "x" * REPORT_SIZE, "a report of the wrong size"
    return [f"report {committed} lost, {doc['seq']} there"] if doc["seq"] < committed else []


def test_200_kills_across_index_report_and_ledger_writes_leave_no_temporary_file(
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    corpus, index = write_corpus(tmp_path / "corpus"), tmp_path / "index"
    retrieval.build_index([corpus], index, HashEmbedder())
    (tmp_path / "out").mkdir()
    (tmp_path / "ledger").mkdir()
    report, ledger = tmp_path / "out" / "report.json", tmp_path / "ledger" / "ledger.db"
    built: set[str] = set()  # corpus files a build reported published
    written = -1  # the last report sequence number a writer reported written
    done = Committed()
    kinds = {"index": 0, "report": 0, "ledger": 0}
    debris = {"index": 0, "report": 0}  # kills that left a temporary file behind
    forker = Forker(tmp_path)
    try:
        for round_ in range(KILLS):
            kind = rng.choice(sorted(kinds))
            kinds[kind] += 1
            base = round_ * 100_000
            if kind == "index":
                pid = forker.run(INDEX_LOOP, corpus, index, str(base), ready="ready")
                time.sleep(rng.uniform(0.0, 0.4))
                out = forker.kill(pid)
                for line in out.splitlines():
                    if line.startswith("built "):
                        _, n, code = line.split()
                        assert code in ("0", "None"), line
                        built.add(f"k{n}.md")
                sources = {s for s, _ in _live_files(index)}  # whole, opens, searches
                lost = sorted(built - sources)
                debris["index"] += bool(_leftovers(index))
                # the next writer: a build in this process, to the end
                retrieval.build_index([corpus], index, HashEmbedder())
                sources = {s for s, _ in _live_files(index)}
                # a kill between the writer's open and its write leaves an empty file:
                # nothing to index there, and nothing the index could have lost
                lost += [
                    f"{p.name} not indexed"
                    for p in corpus.glob("k*.md")
                    if p.stat().st_size and p.name not in sources
                ]
                left = _leftovers(index) + sorted(p.name for p in index.glob("g-*"))[2:]
            elif kind == "report":
                pid = forker.run(REPORT_LOOP, report, str(base), str(REPORT_SIZE), ready="ready")
                time.sleep(rng.uniform(0.0, 0.1))
                out = forker.kill(pid)
                seqs = [
                    int(line.split()[1]) for line in out.splitlines() if line.startswith("wrote ")
                ]
                written = max([written, *seqs])
                lost = _report_lost(report, written)  # absent, old or new, and whole
                debris["report"] += bool(_leftovers(report.parent))
                # the next writer: one whole report, written from this process
                written = base + 99_999
                write_atomic(report, json.dumps({"seq": written, "pad": "x" * REPORT_SIZE}) + "\n")
                lost += _report_lost(report, written)
                left = [p.name for p in report.parent.iterdir() if p != report]
            else:
                who = f"w{round_}"
                pid = forker.run(LEDGER_WRITER, ledger, who, str(SEED + round_), ready="opening")
                time.sleep(rng.uniform(0.0, 0.2))
                out = forker.kill(pid)
                done.read(who, out)
                # the next writer: opens (SQLite recovers the journal) and commits a run
                with Ledger.open(ledger) as db:
                    db.start_run(run_id=f"next{round_}", task="durability", agent="a", user="u")
                done.runs.add(f"next{round_}")
                lost = _lost(ledger, done)  # integrity_check, every committed row there
                left = _leftovers(ledger.parent)
            tally(SUITE, cases=1, faults=1, lost=len(lost) + len(left))
            assert not lost, f"round {round_} ({kind}): lost {lost[:10]}"
            assert not left, f"round {round_} ({kind}): left behind {left}"
    finally:
        forker.close()
    assert min(kinds.values()) >= 50, kinds
    # the kills did land inside writes: else nothing here was tested
    assert debris["index"] and debris["report"], debris
    assert len(built) >= 20 and written >= 0 and len(done.calls) + len(done.actions) > 50
