"""``verify run TASK --replay FILE``: recorded transcripts checked like a live agent.

The index of ``corpora/demo`` is built once for the module with the real MiniLM, and each
transcript is run once through the CLI; the tests read its exit code, JSON, workspace and
ledger. The "all supported" transcript is made of short single-fact sentences copied from
the demo docs; sentences without any value are covered by
``test_verbatim_sentences_without_values_are_supported``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.precision import record_precisions

from checks.evidence import IndexEvidence
from retrieval import Index, MiniLMEmbedder, build_index
from retrieval import _embedder as embedder_registry
from verify.checker import Checker
from verify.cli import cli
from verify.config import Config
from verify.ledger import Ledger

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"


@pytest.fixture(scope="module")
def minilm() -> Iterator[MiniLMEmbedder]:
    """The bundled MiniLM, loaded once; `verify run` gets this instance by its name."""
    embedder = MiniLMEmbedder()
    embedder.load()
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(embedder_registry._FACTORIES, "minilm", lambda: embedder)
        yield embedder


@pytest.fixture(scope="module")
def demo_index(minilm: MiniLMEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "index"
    build_index([DEMO], folder, minilm)
    return folder


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str
    root: Path  # the working folder the command ran in
    before: set[str]  # what was in it before

    @property
    def data(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.stdout)
        return parsed

    @property
    def ws(self) -> Path:
        return self.root / "ws"

    def new_entries(self) -> set[str]:
        return {str(p.relative_to(self.root)) for p in self.root.rglob("*")} - self.before


def replay(root: Path, index: Path, lines: list[Any], *extra: str) -> Ran:
    """Write ``lines`` as a transcript and run `verify run --replay` on it inside ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    transcript = root / "transcript.jsonl"
    transcript.write_text(
        "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines),
        encoding="utf-8",
    )
    before = {str(p.relative_to(root)) for p in root.rglob("*")}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        result = CliRunner().invoke(
            cli,
            [
                "run",
                "recorded task",
                "--replay",
                str(transcript),
                "--index",
                str(index),
                "--workspace",
                "ws",
                "--ledger",
                "ledger.db",
                "-q",
                *extra,
            ],
        )
    return Ran(result.exit_code, result.stdout, result.stderr, root, before)


def usage(p: int, c: int) -> dict[str, int]:
    return {"prompt_tokens": p, "completion_tokens": c}


FALSE_LINES: list[dict[str, Any]] = [
    {
        "action": "search",
        "query": "upload session expiry",
        "usage": usage(200, 8),
        "model": "elsewhere-7b",
    },
    {
        "action": "answer",
        "usage": usage(900, 30),
        "model": "elsewhere-7b",
        "text": "A single file may be at most 2048 MB.",
    },
    {
        "action": "answer",
        "usage": usage(910, 31),
        "model": "elsewhere-7b",
        "text": "An upload session expires 48 hours after it is opened.",
    },
    {
        "action": "write_file",
        "usage": usage(950, 40),
        "model": "elsewhere-7b",
        "path": "notes/rate-limit.md",
        "content": "# Rate limit\n\nEach API key may make 900 requests per minute.\n",
        "reason": "Record the rate limit.",
    },
]

TRUE_NOTE = (
    "# Ferrowave upload limits\n\n"
    "JSON request bodies are limited to 64 KB.\n"
    "An upload session expires 24 hours after it is opened.\n"
    "A tenant can complete at most 10,000 uploads per UTC day.\n"
)
TRUE_ONCALL = (
    "Shifts last one week and hand off on Mondays at 10:00 UTC.\n"
    "Every rotation must have at least 5 engineers.\n"
)
TRUE_LINES: list[dict[str, Any]] = [
    {"action": "search", "query": "upload request limits", "usage": usage(210, 9)},
    {
        "action": "answer",
        "usage": usage(1100, 40),
        "text": "A single file may be at most 2048 MB. Chunks are 8 MB. "
        "Each API key may make 600 requests per minute.",
    },
    {
        "action": "write_file",
        "usage": usage(1200, 70),
        "path": "notes/upload-limits.md",
        "content": TRUE_NOTE,
        "reason": "Record the upload limits.",
    },
    {
        "action": "write_file",
        "path": "oncall/rotations.md",
        "content": TRUE_ONCALL,
        "reason": "",
    },  # no usage block: recorded with zero tokens
    {
        "action": "answer",
        "usage": usage(1300, 35),
        "text": "The ferro-reaper job runs every day at 03:30 UTC. "
        "Ingot runs 8 instances spread across 2 availability zones.",
    },
]


@pytest.fixture(scope="module")
def false_run(demo_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Ran:
    return replay(tmp_path_factory.mktemp("false"), demo_index, FALSE_LINES, "--json")


@pytest.fixture(scope="module")
def true_run(demo_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Ran:
    return replay(tmp_path_factory.mktemp("true"), demo_index, TRUE_LINES, "--json")


@pytest.mark.model
def test_false_claims_in_an_answer_and_a_write_are_both_blocked(false_run: Ran) -> None:
    assert false_run.code == 1, false_run.stderr
    steps = false_run.data["steps"]
    assert [(s["decision"], s["executed"]) for s in steps] == [
        ("pass", True),
        ("pass", True),
        ("block", False),
        ("block", False),
    ]
    assert not (false_run.ws / "notes/rate-limit.md").exists()
    assert [e for e in false_run.new_entries() if e.startswith("ws/")] == []
    # each false claim is contradicted by the line that states the true value
    answer_claim, write_claim = steps[2]["claims"][0], steps[3]["claims"][0]
    assert answer_claim["verdict"] == "contradicted"
    assert answer_claim["evidence"][0]["source"] == "api-reference.md"
    assert "24 hours" in answer_claim["evidence"][0]["quote"]
    assert write_claim["verdict"] == "contradicted"
    assert write_claim["text"] == "Each API key may make 900 requests per minute."
    assert "600 requests" in write_claim["evidence"][0]["quote"]


@pytest.mark.model
def test_supported_claims_pass_and_the_files_land_only_in_the_workspace(true_run: Ran) -> None:
    assert true_run.code == 0, (
        true_run.stderr,
        [(c["text"], c["verdict"]) for c in true_run.data["claims"]],
    )
    data = true_run.data
    assert data["decision"] == "pass"
    assert all(s["executed"] and s["decision"] == "pass" for s in data["steps"])
    assert {c["verdict"] for c in data["claims"]} == {"supported"}
    assert len(data["claims"]) == 10  # 3 + 3 + 2 + 2 sentences, each one claim
    assert (true_run.ws / "notes/upload-limits.md").read_text(encoding="utf-8") == TRUE_NOTE
    assert (true_run.ws / "oncall/rotations.md").read_text(encoding="utf-8") == TRUE_ONCALL
    new = true_run.new_entries()
    written = {e for e in new if e.startswith("ws")}
    assert written == {
        "ws",
        "ws/notes",
        "ws/notes/upload-limits.md",
        "ws/oncall",
        "ws/oncall/rotations.md",
    }
    assert {e for e in new - written if not e.startswith("ledger.db")} == set()


@pytest.mark.model
def test_the_json_output_has_steps_usage_and_verified_actions(
    true_run: Ran, false_run: Ran
) -> None:
    for ran, lines in ((true_run, TRUE_LINES), (false_run, FALSE_LINES)):
        data = ran.data
        assert {
            "decision",
            "claims",
            "summary",
            "usage",
            "steps",
            "usage_by_purpose",
            "verified_actions",
        } <= set(data)
        for step, line in zip(data["steps"], lines, strict=True):
            assert {"action", "decision", "executed", "claims"} <= set(step)
            assert step["action"] == {k: v for k, v in line.items() if k not in ("usage", "model")}
            for claim in step["claims"]:
                assert {"id", "text", "verdict", "score", "evidence", "reason"} <= set(claim)
        spent = [line.get("usage", usage(0, 0)) for line in lines]
        total = {k: sum(u[k] for u in spent) for k in ("prompt_tokens", "completion_tokens")}
        assert data["usage"] == total
        assert data["usage_by_purpose"]["agent"] == total
        assert data["verified_actions"] == sum(s["executed"] for s in data["steps"])
    assert true_run.data["verified_actions"] == 5 and false_run.data["verified_actions"] == 2


@pytest.mark.model
def test_the_ledger_has_one_row_per_recorded_turn(true_run: Ran, false_run: Ran) -> None:
    for ran, lines in ((true_run, TRUE_LINES), (false_run, FALSE_LINES)):
        with Ledger.open(ran.root / "ledger.db", create=False) as ledger:
            rows = ledger.execute(
                "SELECT step, purpose, model, prompt_tokens,"
                " completion_tokens FROM calls ORDER BY id"
            )
        assert rows == [
            (
                n,
                "agent",
                line.get("model", "replay"),
                line.get("usage", usage(0, 0))["prompt_tokens"],
                line.get("usage", usage(0, 0))["completion_tokens"],
            )
            for n, line in enumerate(lines, 1)
        ]


@pytest.mark.model
def test_text_output_and_a_rerun_agree(demo_index: Path, tmp_path: Path) -> None:
    """The same transcript twice gives the same verdicts; text output names each step."""
    lines = FALSE_LINES[2:]
    first = replay(tmp_path / "a", demo_index, lines, "--json")
    second = replay(tmp_path / "b", demo_index, lines, "--json")
    verdicts = [
        [(c["text"], c["verdict"], c["score"]) for c in r.data["claims"]] for r in (first, second)
    ]
    assert verdicts[0] == verdicts[1] and first.code == second.code == 1


# -- checker cases found while writing these tests ------------------------------------------

VERBATIM_WITHOUT_VALUES = [
    "Postmortems are blameless.",  # oncall-policy.md
    "Deleted objects are not recoverable.",  # data-retention-policy.md
    "Ferrowave does not keep a trash folder.",  # data-retention-policy.md
    "Chunk uploads are still accepted while backpressure is active.",  # architecture-overview
]


@pytest.fixture(scope="module")
def checker(demo_index: Path, minilm: MiniLMEmbedder) -> Checker:
    return Checker.build(IndexEvidence(Index.open(demo_index, embedder=minilm)), Config())


@pytest.mark.model
@pytest.mark.parametrize("sentence", VERBATIM_WITHOUT_VALUES)
def test_verbatim_sentences_without_values_are_supported(checker: Checker, sentence: str) -> None:
    assert [v.label for v in checker.check_text(sentence).verdicts] == ["supported"]


@pytest.mark.model
def test_a_superseded_value_is_not_supported(checker: Checker) -> None:
    outcome = checker.check_text(
        "Ferrowave keeps raw uploads for 30 days after transcoding finishes."
    )
    assert [v.label for v in outcome.verdicts] == ["contradicted"]


# -- malformed transcripts: exit 2, one line naming the line (no model needed) ---------------

MALFORMED: dict[str, tuple[list[Any], int, str]] = {
    "not json": ([{"action": "search", "query": "q"}, "{broken"], 2, "not JSON"),
    "unknown action": (
        [
            {"action": "search", "query": "q"},
            {"action": "search", "query": "x"},
            {"action": "delete_everything"},
        ],
        3,
        "unknown action",
    ),
    "missing text": ([{"action": "answer"}], 1, "`text` must be a string"),
    "argv not a list": ([{"action": "run_command", "argv": "ls -la"}], 1, "`argv`"),
    "empty argv": ([{"action": "run_command", "argv": []}], 1, "`argv`"),
    "not an object": ([[1, 2, 3]], 1, "expected a JSON object"),
    "negative usage": (
        [{"action": "answer", "text": "x", "usage": {"prompt_tokens": -5}}],
        1,
        "negative",
    ),
    "path not a string": ([{"action": "write_file", "path": 7, "content": "x"}], 1, "`path`"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_transcript_line_exits_2_naming_the_line(tmp_path: Path, name: str) -> None:
    lines, bad_line, words = MALFORMED[name]
    ran = replay(tmp_path, tmp_path / "no-index", lines)
    assert ran.code == 2
    assert ran.stdout == ""
    err = ran.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("verify: error: ")
    assert f"transcript.jsonl:{bad_line}:" in err[0] and words in err[0]
    assert ran.new_entries() == set()  # nothing written: no workspace, no ledger


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "has no actions"),
        (b"\n  \n", "has no actions"),
        (b'{"action": "answer", "text": "caf\xe9"}\n', "cannot read transcript"),
    ],
)
def test_an_empty_or_undecodable_transcript_exits_2(
    tmp_path: Path, content: bytes, words: str
) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(content)
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "t",
            "--replay",
            str(path),
            "--index",
            str(tmp_path / "none"),
            "--ledger",
            str(tmp_path / "l.db"),
        ],
    )
    assert result.exit_code == 2 and words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_run_embeds_its_queries_in_the_configs_precision(
    demo_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = record_precisions(monkeypatch)
    # the bundled model by its name again, not this module's shared instance
    monkeypatch.setitem(embedder_registry._FACTORIES, "minilm", MiniLMEmbedder)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.verify]\nembedder_precision = 'fp32'\n", encoding="utf-8"
    )
    ran = replay(tmp_path, demo_index, TRUE_LINES, "--json")
    assert ran.code in (0, 1), ran.stderr
    assert made == ["fp32"]  # the index's model, opened for the run's queries
