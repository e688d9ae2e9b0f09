"""The ragas baseline, for real: the bundled SmolLM2 behind llama_cpp.server, the real MiniLM.

Nothing is faked. Replies are capped at a few tokens so the run stays short; SmolLM2 then
mostly cannot finish its JSON, which is exactly the "could not score" path the result must
count. The test finds the server while it runs (from the progress callback) and checks that
it listened on loopback only and is gone afterwards.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from retrieval import build_index, get_embedder
from verify.bench import BenchResult, load_dataset
from verify.bench.ragas_baseline import run_ragas_baseline

pytestmark = [
    pytest.mark.model,
    # instructor (pulled in by ragas) compares its own deprecated Mode.FUNCTIONS on every call
    pytest.mark.filterwarnings("ignore:FUNCTIONS is deprecated:DeprecationWarning:instructor.*"),
    # ragas reads its user-id file with a bare open() (even with tracking off), once a process
    pytest.mark.filterwarnings("ignore:unclosed file .*ragas/uuid.json:ResourceWarning"),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in.*ragas/uuid.json:pytest.PytestUnraisableExceptionWarning"
    ),
]

DOCS = {
    "gateway.md": "# Gateway\n\nThe edge gateway thornpass listens on port 8443.\n"
    "All API traffic enters through thornpass.\n",
    "retention.md": "# Retention\n\nSession logs are kept for 30 days, then deleted.\n",
}
CLAIMS = [
    {"id": "c1", "claim": "The gateway thornpass listens on port 8443.", "label": "supported"},
    {"id": "c2", "claim": "Session logs are kept for 90 days.", "label": "contradicted"},
]


def _children(pid: int) -> dict[int, list[str]]:
    """Live child processes of ``pid``: {child pid: argv}."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out[int(entry.name)] = argv
    return out


def test_ragas_baseline_runs_the_real_server_and_stops_it(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    (folder / "corpus").mkdir(parents=True)
    for name, text in DOCS.items():
        (folder / "corpus" / name).write_text(text)
    (folder / "claims.jsonl").write_text("".join(json.dumps(c) + "\n" for c in CLAIMS))
    data = load_dataset(folder)
    index_dir = tmp_path / "index"
    build_index([data.corpus], index_dir, get_embedder())
    ours = BenchResult(
        dataset=data.name,
        predictions=[
            {"id": "c1", "verdict": "error", "score": 0.0, "gold": "supported"},
            {"id": "c2", "verdict": "unverifiable", "score": 0.1, "gold": "contradicted"},
            # beyond the limit (and not in the dataset): never scored, but its share of
            # our token use is in ours' tokens per claim, which spreads usage over all claims
            {"id": "c3", "verdict": "supported", "score": 0.8, "gold": "supported"},
        ],
        metrics={},
        claims_per_second=4.0,
        load_seconds=0.0,
        index_seconds=0.0,
        excluded_trained=0,
        usage={"prompt_tokens": 30, "completion_tokens": 0},
    )
    seen: list[tuple[int, int]] = []
    servers: dict[int, list[str]] = {}

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        servers.update({p: a for p, a in _children(os.getpid()).items() if "llama_cpp.server" in a})

    before = set(_children(os.getpid()))
    out = run_ragas_baseline(data, index_dir, ours, limit=2, progress=progress, max_tokens=24)

    keys = {
        "metric",
        "model",
        "n",
        "scored",
        "unscored_share",
        "unscored_reasons",
        "balanced_accuracy",
        "balanced_accuracy_scored_only",
        "seconds_per_claim",
        "tokens_per_claim",
        "prompt_tokens",
        "completion_tokens",
        "ours_on_same",
    }
    assert keys <= out.keys()
    assert out["metric"] == "ragas.Faithfulness"
    assert out["model"].endswith(".gguf")
    assert out["n"] == 2
    assert out["scored"] + sum(out["unscored_reasons"].values()) == 2
    assert out["unscored_share"] == pytest.approx((2 - out["scored"]) / 2)
    assert [p["id"] for p in out["predictions"]] == ["c1", "c2"]
    # the hook saw real completions: a Faithfulness prompt alone is hundreds of tokens
    assert out["prompt_tokens"] > 200
    assert out["completion_tokens"] > 0
    assert out["tokens_per_claim"] == (out["prompt_tokens"] + out["completion_tokens"]) / 2
    assert 0.0 <= out["balanced_accuracy"] <= 1.0
    assert out["seconds_per_claim"] > 0
    json.dumps(out, allow_nan=False)  # NaN never leaks into the JSON

    ours_same = out["ours_on_same"]
    assert ours_same["balanced_accuracy"] == 0.5  # c1 "error" is a miss, c2 right
    assert ours_same["unscored_share"] == 0.5
    assert ours_same["seconds_per_claim"] == 0.25
    assert ours_same["tokens_per_claim"] == 10.0

    assert seen == [(1, 2), (2, 2)]
    assert len(servers) == 1, servers
    ((pid, argv),) = servers.items()
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    port = int(argv[argv.index("--port") + 1])
    assert not Path(f"/proc/{pid}").exists()  # terminated and reaped
    assert set(_children(os.getpid())) <= before
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", port))
