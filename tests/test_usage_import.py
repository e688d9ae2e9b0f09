"""``verify usage import``: OpenAI-style logs, llama.cpp server logs, verify's own JSON.

The headline test writes 1,000 OpenAI-style log lines from the four agents of
``test_usage`` (concise, padding, looping, mostly blocked) in the three common line shapes,
mixes in malformed lines, imports them through the CLI, and expects: every malformed line
reported by its number, the rest imported, the concise agent first and the others flagged,
and a second import that adds nothing.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from verify.cli import cli
from verify.ledger import Ledger
from verify.usage import Defaults, build_report, import_file
from verify.usage._import import parse

FACTS = [
    "The retry timeout is {n} seconds.",
    "Clients retry {n} times.",
    "Raw uploads are kept {n} days.",
    "The cache holds {n} entries per shard.",
    "The API allows {n} calls per minute.",
]
FILLER = [
    "Generally speaking this reflects care in {w}.",
    "Overall the approach shows {w}.",
    "In many ways the system conveys {w}.",
    "Broadly the pattern signals {w}.",
    "To be clear the method embodies {w}.",
    "On balance the choice captures {w}.",
]
WORDS = [
    "practice",
    "context",
    "spirit",
    "principle",
    "effect",
    "the whole",
    "real terms",
    "most cases",
    "many respects",
    "the long run",
    "broad strokes",
    "its own way",
]


def invoke(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def _verify_block(decision: str, supported: int, total: int) -> dict[str, Any]:
    claims = [
        {
            "id": f"c{i}",
            "text": f"claim {i}",
            "score": 0.9,
            "verdict": "supported" if i < supported else "unverifiable",
            "evidence": [],
            "reason": "",
        }
        for i in range(total)
    ]
    return {
        "decision": decision,
        "claims": claims,
        "summary": {
            "supported": supported,
            "contradicted": 0,
            "unverifiable": total - supported,
            "error": 0,
        },
    }


def _line(
    rng: random.Random,
    n: int,
    meta: dict[str, Any],
    *,
    content: str | None,
    tool: tuple[str, str] | None,
    prompt: int,
    completion: int,
    verify: dict[str, Any] | None,
) -> str:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool:
        message["tool_calls"] = [
            {
                "id": f"call_{n}",
                "type": "function",
                "function": {"name": tool[0], "arguments": tool[1]},
            }
        ]
    response = {
        "id": f"chatcmpl-{n:06d}",
        "object": "chat.completion",
        "created": 1_750_000_000 + n * 30,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }
    shape = n % 3
    if shape == 0:  # a bare response with metadata beside it
        record: dict[str, Any] = {**response, "metadata": meta}
    elif shape == 1:  # a logged exchange
        record = {
            "request": {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "question"}],
                "metadata": meta,
            },
            "response": response,
        }
    else:  # a Batch API output line
        record = {
            "id": f"batch_req_{n}",
            "custom_id": f"req-{n}",
            "metadata": meta,
            "response": {"status_code": 200, "request_id": f"r{n}", "body": response},
            "error": None,
        }
    if verify is not None:
        record["verify"] = verify
    return json.dumps(record)


def openai_log(lines_wanted: int = 1000, seed: int = 3) -> tuple[list[str], list[int]]:
    """``lines_wanted`` valid lines of four agents, plus malformed ones; (lines, bad numbers)."""
    rng = random.Random(seed)
    out: list[str] = []
    n = 0
    run = 0
    while n < lines_wanted:
        task = f"task-{run // 4}"
        agent = ("concise", "padding", "looping", "blocked")[run % 4]
        meta = {
            "run": f"{agent}-{run}",
            "task": task,
            "agent": agent,
            "user": f"{agent}-dev",
            "team": "ml",
        }
        facts = [f.format(n=rng.randint(2, 900)) for f in rng.sample(FACTS, 3)]
        turns: list[dict[str, Any]] = []
        searches = 5 if agent == "looping" else 1
        query = json.dumps({"query": f"{task} reference {rng.randint(1, 10**6)}"})
        for _ in range(searches):
            turns.append(
                {
                    "tool": ("search", query),
                    "content": None,
                    "completion": 18,
                    "verify": _verify_block("pass", 0, 0),
                }
            )
        text = " ".join(facts)
        completion = 60
        if agent == "padding":
            pad = [rng.choice(FILLER).format(w=rng.choice(WORDS)) for _ in range(40)]
            text = " ".join(pad[:20] + facts + pad[20:])
            completion = 900
        blocked = agent == "blocked" and rng.random() < 0.75
        turns.append(
            {
                "tool": None,
                "content": text,
                "completion": completion,
                "verify": _verify_block("block", 1, 3) if blocked else _verify_block("pass", 3, 3),
            }
        )
        for step, turn in enumerate(turns):
            if n >= lines_wanted:
                break
            out.append(
                _line(
                    rng,
                    n,
                    {**meta, "step": step},
                    content=turn["content"],
                    tool=turn["tool"],
                    prompt=700,
                    completion=turn["completion"],
                    verify=turn["verify"],
                )
            )
            n += 1
        run += 1
    malformed = [
        "{not json",
        "[1, 2, 3]",
        json.dumps({"id": "x", "model": "m", "choices": []}),  # no usage
        json.dumps({"id": "y", "usage": {"prompt_tokens": -4, "completion_tokens": 2}}),
        json.dumps({"id": "z", "usage": {"prompt_tokens": "12", "completion_tokens": 2}}),
        json.dumps({"id": "w", "usage": {"prompt_tokens": 3, "completion_tokens": 1.5}}),
        json.dumps(
            {
                "id": "v",
                "usage": {"prompt_tokens": 3, "completion_tokens": 1},
                "metadata": {"step": "two"},
            }
        ),
        json.dumps({"response": "oops"}),
        '{"id": "truncated", "usage": {"prompt_tokens": 12, "completion',
    ]
    bad: list[int] = []
    for text in malformed * 5:
        at = rng.randrange(len(out) + 1)
        out.insert(at, text)
    for number, text in enumerate(out, 1):
        if text in malformed:
            bad.append(number)
    return out, bad


@pytest.fixture(scope="module")
def log_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    folder = tmp_path_factory.mktemp("openai")
    lines, bad = openai_log()
    path = folder / "chat.jsonl"
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")  # a trailing blank line
    return path, bad


def test_a_thousand_openai_lines_rank_and_flag_like_the_live_sessions(
    log_file: tuple[Path, list[int]], tmp_path: Path
) -> None:
    path, bad = log_file
    ledger = tmp_path / "ledger.db"
    result = invoke("usage", "import", path, "--from", "openai-jsonl", "--ledger", ledger)
    assert result.exit_code == 0, result.output
    reported = [
        int(line.split(":")[2])
        for line in result.stderr.splitlines()
        if line.startswith(f"verify: {path}:")
    ]
    assert reported == bad and len(bad) == 45
    assert "1000 records" in result.stdout
    with Ledger.open(ledger) as opened:
        assert opened.execute("SELECT count(*) FROM calls")[0][0] == 1000
        report = build_report(opened.frames(), "agent")
    assert report.rows[0].key == "concise" and report.rows[0].flags == ()
    flags = {r.key: set(r.flags) for r in report.rows}
    assert "padding" in flags["padding"]
    assert "loop" in flags["looping"]
    assert "blocked" in flags["blocked"]
    by_user = invoke("usage", "--ledger", ledger, "--by", "user", "--json")
    assert json.loads(by_user.stdout)["rows"][0]["key"] == "concise-dev"

    again = invoke("usage", "import", path, "--from", "openai-jsonl", "--ledger", ledger, "--json")
    assert again.exit_code == 0
    summary = json.loads(again.stdout)
    assert summary["added"] == 0 and summary["records"] == 1000
    assert summary["present"] > 1000  # every call and every action, already there
    assert [e["line"] for e in summary["errors"]] == bad
    with Ledger.open(ledger) as opened:
        assert opened.execute("SELECT count(*) FROM calls")[0][0] == 1000


def test_a_log_that_grew_adds_only_its_new_lines(tmp_path: Path) -> None:
    lines, _ = openai_log(60)
    lines = [line for line in lines if line.startswith('{"') and "chatcmpl" in line]
    log = tmp_path / "grow.jsonl"
    log.write_text("\n".join(lines[:30]) + "\n")
    ledger = tmp_path / "l.db"
    assert (
        invoke("usage", "import", log, "--from", "openai-jsonl", "--ledger", ledger).exit_code == 0
    )
    log.write_text("\n".join(lines) + "\n")
    result = invoke("usage", "import", log, "--from", "openai-jsonl", "--ledger", ledger, "--json")
    with Ledger.open(ledger) as opened:
        assert opened.execute("SELECT count(*) FROM calls")[0][0] == len(lines)
    assert json.loads(result.stdout)["records"] == len(lines)


def test_openai_lines_without_metadata_use_the_flags_and_a_daily_run(tmp_path: Path) -> None:
    log = tmp_path / "plain.jsonl"
    log.write_text(
        "\n".join(
            json.dumps(
                {
                    "model": "llama-3",
                    "created": 1_750_000_000 + i,
                    "choices": [{"message": {"content": "The cache holds 512 entries."}}],
                    "usage": {"input_tokens": 10, "output_tokens": 5},
                }
            )
            for i in range(3)
        )
        + "\n"
    )
    ledger = tmp_path / "l.db"
    result = invoke(
        "usage",
        "import",
        log,
        "--from",
        "openai-jsonl",
        "--ledger",
        ledger,
        "--user",
        "zoe",
        "--team",
        "data",
        "--task",
        "faq",
    )
    assert result.exit_code == 0, result.output
    with Ledger.open(ledger) as opened:
        runs = opened.execute("SELECT run_id, agent, user, team, task, source FROM runs")
        calls = opened.execute(
            "SELECT count(*), sum(prompt_tokens), sum(completion_tokens) FROM calls"
        )
    assert runs == [
        ("openai-jsonl:llama-3:zoe:2025-06-15", "llama-3", "zoe", "data", "faq", "openai-jsonl")
    ]
    # three identical lines without ids are three calls, not one
    assert calls == [(3, 30, 15)]


def test_the_agent_and_run_flags_fill_what_lines_do_not_say(tmp_path: Path) -> None:
    log = tmp_path / "x.jsonl"
    log.write_text(
        json.dumps({"id": "a", "usage": {"prompt_tokens": 1, "completion_tokens": 1}})
        + "\n"
        + json.dumps(
            {
                "id": "b",
                "usage": {"prompt_tokens": 1, "completion_tokens": 1},
                "metadata": {"agent": "named", "run": "given"},
            }
        )
        + "\n"
    )
    batch = parse(log, "openai-jsonl", Defaults(agent="flagged", run="r-flag", model="mm"))
    assert [(c.run_id, c.model) for c in batch.calls] == [("r-flag", "mm"), ("given", "mm")]
    assert {r.run_id: r.agent for r in batch.runs.values()} == {
        "r-flag": "flagged",
        "given": "named",
    }


# --------------------------------------------------------------------------- llama.cpp

_SERVER_JSON = (
    '{"tid":"1","timestamp":1,"level":"INFO","function":"print_timings",'
    '"line":%d,"msg":"%s","id_slot":0,"id_task":9}'
)
_LLAMA_LINES = (
    "main: server is listening on http://127.0.0.1:8080 - starting the main loop",
    "srv  update_slots: all slots are idle",
    "slot launch_slot_: id  0 | task 0 | processing task",
    "slot update_slots: id  0 | task 0 | new prompt, n_ctx_slot = 4096, n_prompt_tokens = 12",
    "slot      release: id  0 | task 0 | stop processing: n_past = 51, truncated = 0",
    "slot print_timing: id  0 | task 0 |",
    "prompt eval time =      35.46 ms /    12 tokens (    2.96 ms per token,   338.42 tokens"
    " per second)",
    "       eval time =     608.56 ms /    40 tokens (   15.21 ms per token,    65.73 tokens"
    " per second)",
    "      total time =     644.02 ms /    52 tokens",
    "srv  update_slots: all slots are idle",
    "slot print_timing: id  0 | task 7 | prompt eval time =   120.00 ms /   300 tokens (0.40 ms"
    " per token, 2500.00 tokens per second)",
    "slot print_timing: id  0 | task 7 |        eval time =  1000.00 ms /   100 tokens (10.00"
    " ms per token, 100.00 tokens per second)",
    _SERVER_JSON % (1, "prompt eval time     =      10.00 ms /     5 tokens"),
    _SERVER_JSON % (2, "generation eval time =      20.00 ms /     7 runs"),
    "llama_print_timings:        load time =   134.84 ms",
    "llama_print_timings:      sample time =    12.25 ms /    32 runs   (    0.38 ms per token)",
    "llama_print_timings: prompt eval time =   925.78 ms /    24 tokens (   38.57 ms per token)",
    "llama_print_timings:        eval time =  4178.32 ms /    31 runs   (  134.78 ms per token)",
    "llama_print_timings:       total time =  5211.06 ms",
    "       eval time =     608.56 ms /    40 tokens (   15.21 ms per token)",
    "prompt eval time =      35.46 ms /    12 tokens (    2.96 ms per token)",
    "prompt eval time =      35.46 ms /    oops tokens",
    "prompt eval time =      99.00 ms /    12 tokens (    2.96 ms per token)",
)
LLAMA_LOG = "\n".join(_LLAMA_LINES) + "\n"


def test_llama_server_timing_pairs_become_calls(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text(LLAMA_LOG)
    ledger = tmp_path / "l.db"
    result = invoke(
        "usage",
        "import",
        log,
        "--from",
        "llama-server-log",
        "--ledger",
        ledger,
        "--agent",
        "smollm",
        "--user",
        "ops",
        "--task",
        "faq",
        "--model",
        "smol.gguf",
    )
    assert result.exit_code == 0, result.output
    errors = [line for line in result.stderr.splitlines() if "skipped" in line]
    assert [int(e.split(":")[2]) for e in errors] == [20, 21, 22, 23]
    assert "eval time without a preceding prompt eval time" in errors[0]
    assert "without a following eval time" in errors[1]
    assert "unreadable timing line" in errors[2]
    with Ledger.open(ledger) as opened:
        calls = opened.execute(
            "SELECT prompt_tokens, completion_tokens, round(seconds, 4),"
            " model FROM calls ORDER BY id"
        )
        runs = opened.execute("SELECT agent, user, task, source FROM runs")
    assert calls == [
        (12, 40, 0.644, "smol.gguf"),
        (300, 100, 1.12, "smol.gguf"),
        (5, 7, 0.03, "smol.gguf"),
        (24, 31, 5.1041, "smol.gguf"),
    ]
    assert runs == [("smollm", "ops", "faq", "llama-server-log")]
    again = invoke(
        "usage", "import", log, "--from", "llama-server-log", "--ledger", ledger, "--json"
    )
    assert json.loads(again.stdout)["added"] == 0


def test_identical_llama_pairs_in_one_log_are_two_calls(tmp_path: Path) -> None:
    pair = "prompt eval time = 10.00 ms / 5 tokens\n       eval time = 20.00 ms / 7 tokens\n"
    log = tmp_path / "twice.log"
    log.write_text(pair * 2)
    with Ledger.open(tmp_path / "l.db") as ledger:
        first = import_file(ledger, log, "llama-server-log", Defaults())
        second = import_file(ledger, log, "llama-server-log", Defaults())
    assert (first.added, second.added, second.present) == (2, 0, 2)


# --------------------------------------------------------------------------- verify JSON


def _check_doc(decision: str, supported: int, total: int, **extra: Any) -> dict[str, Any]:
    return {
        **_verify_block(decision, supported, total),
        "usage": {"prompt_tokens": 100, "completion_tokens": 20},
        **extra,
    }


def test_verify_json_check_run_and_gate_documents(tmp_path: Path) -> None:
    run_doc = {
        "decision": "block",
        "claims": [],
        "summary": {},
        "run_id": "run-7",
        "task": "retries",
        "agent": "smol",
        "user": "ana",
        "usage": {
            "agent": {"prompt_tokens": 900, "completion_tokens": 90},
            "sample": {"prompt_tokens": 300, "completion_tokens": 30},
        },
        "steps": [
            {
                "action": {"action": "search", "query": "retry timeout"},
                "decision": "pass",
                "executed": True,
                "claims": [],
            },
            {
                "action": {"action": "search", "query": "retry timeout"},
                "decision": "pass",
                "executed": True,
                "claims": [],
            },
            {
                "action": {"action": "write_file", "path": "notes.md", "content": "x"},
                "decision": "pass",
                "executed": True,
                "claims": [],
            },
            {
                "action": {"action": "answer", "text": "The timeout is 30 s."},
                "decision": "block",
                "executed": False,
                "claims": _verify_block("block", 0, 1)["claims"],
            },
        ],
    }
    gate_doc = {**_check_doc("pass", 2, 2), "findings": [], "changed_lines": 30, "run_id": "gate-1"}
    path = tmp_path / "docs.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(_check_doc("pass", 2, 3)),
                json.dumps(run_doc),
                json.dumps(gate_doc),
                "{bad",
                json.dumps({"decision": "maybe"}),
                json.dumps({**_check_doc("pass", 1, 1), "claims": "no"}),
            ]
        )
        + "\n"
    )
    ledger = tmp_path / "l.db"
    result = invoke(
        "usage", "import", path, "--from", "verify-json", "--ledger", ledger, "--user", "ci"
    )
    assert result.exit_code == 0, result.output
    assert [int(x.split(":")[2]) for x in result.stderr.splitlines()] == [4, 5, 6]
    with Ledger.open(ledger) as opened:
        report = build_report(opened.frames(), "run")
        purposes = opened.execute("SELECT purpose, prompt_tokens FROM calls ORDER BY id")
    units = {r.key: r.verified_units for r in report.rows}
    assert units["run-7"] == 2.0  # one search (the repeat counts zero) and the write
    assert units["gate-1"] == pytest.approx(3.0)  # 30 changed lines at 0.1
    check_run = next(k for k in units if k.startswith("check:"))
    assert units[check_run] == 2.0  # passed with 2 of 3 claims supported: 2 units
    assert ("agent", 900) in purposes and ("sample", 300) in purposes


def test_a_single_pretty_printed_check_document(tmp_path: Path) -> None:
    doc = _check_doc("pass", 3, 3, task="t", agent="a")
    path = tmp_path / "check.json"
    path.write_text(json.dumps(doc, indent=2))
    with Ledger.open(tmp_path / "l.db") as ledger:
        result = import_file(ledger, path, "verify-json", Defaults(user="u"))
        frames = ledger.frames()
        report = build_report(frames, "user")
    assert result.records == 1 and result.errors == []
    assert report.rows[0].verified_units == 3.0
    assert report.rows[0].key == "u"


def test_a_run_the_runner_already_recorded_is_not_counted_twice(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.db") as ledger:
        ledger.start_run(run_id="live", task="t", agent="a", user="u")
        ledger.record_call(
            run_id="live",
            purpose="agent",
            model="m",
            prompt_tokens=50,
            completion_tokens=5,
            seconds=0,
            step=0,
        )
        ledger.record_action(
            run_id="live",
            step=0,
            kind="search",
            decision="pass",
            executed=True,
            claims_supported=0,
            claims_total=0,
            summary="q",
        )
        doc = {
            "decision": "pass",
            "claims": [],
            "run_id": "live",
            "usage": {"prompt_tokens": 50, "completion_tokens": 5},
            "steps": [
                {
                    "action": {"action": "search", "query": "q"},
                    "decision": "pass",
                    "executed": True,
                    "claims": [],
                }
            ],
        }
        path = tmp_path / "live.json"
        path.write_text(json.dumps(doc))
        result = import_file(ledger, path, "verify-json", Defaults())
        assert result.added == 0 and result.present == 2
        assert ledger.execute("SELECT count(*) FROM calls")[0][0] == 1


@pytest.mark.parametrize("source", ["openai-jsonl", "llama-server-log", "verify-json"])
def test_a_file_with_nothing_to_import_is_exit_2(tmp_path: Path, source: str) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("nothing here\n")
    result = invoke("usage", "import", empty, "--from", source, "--ledger", tmp_path / "l.db")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("verify: error: no ")


def test_unreadable_input_is_exit_2(tmp_path: Path) -> None:
    missing = invoke(
        "usage",
        "import",
        tmp_path / "nope.jsonl",
        "--from",
        "openai-jsonl",
        "--ledger",
        tmp_path / "l.db",
    )
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    folder = invoke(
        "usage", "import", tmp_path, "--from", "openai-jsonl", "--ledger", tmp_path / "l.db"
    )
    assert folder.exit_code == 2
    bad_from = invoke("usage", "import", tmp_path / "x", "--from", "csv")
    assert bad_from.exit_code == 2 and "Invalid value for '--from'" in bad_from.stderr


def test_invalid_utf8_lines_are_reported_and_skipped(tmp_path: Path) -> None:
    good = json.dumps({"id": "ok", "usage": {"prompt_tokens": 2, "completion_tokens": 1}})
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(good.encode() + b"\n\xff\xfe broken\n")
    result = invoke(
        "usage", "import", path, "--from", "openai-jsonl", "--ledger", tmp_path / "l.db"
    )
    assert result.exit_code == 0
    assert f"{path}:2: skipped: not UTF-8" in result.stderr
